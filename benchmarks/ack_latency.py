"""How fast `/deploy` is acknowledged over HTTP, next to a bare Bolt app, on SQLite and PostgreSQL.

Slack wants an answer within 3 s. 20 concurrent senders post correctly signed `/deploy`
slash commands (each with its own trigger id, so each one is a new request) to:
- a bare Bolt app whose listener only calls ack(), served by Bolt's own FastAPI adapter;
- releasebot as `serve` assembles it (signature check, workspace check, the idempotency
  record in the database, ack, then the workflow on a worker thread), on SQLite and on a
  fresh PostgreSQL database, with the simulated cluster and the Slack Web API stand-in.
Printed: p50 / p99 / max per variant and the p99 ratio to the bare app. Target: p99 ≤ 50 ms
and at most 2x the bare app.

    uv run python benchmarks/ack_latency.py [--senders 20] [--per-sender 25]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import psycopg
from fastapi import FastAPI, Request
from slack_bolt import App
from slack_bolt.adapter.fastapi import SlackRequestHandler
from slack_sdk import WebClient
from sqlalchemy.engine import make_url

from bot.asgi import serve_asgi
from bot.clock import SystemClock
from bot.config import parse_config
from bot.kube.sim.samples import deployment_manifest
from bot.kube.sim.serve import run_simulated_cluster
from bot.slack.standin.webapi import BOT_TOKEN, TEAM_ID, running
from commands.serve import assemble
from storage.engine import make_engine
from storage.migrate import upgrade
from tests.e2e.conftest import HOOK_SECRET, SIGNING_SECRET
from tests.sim import simkit
from tests.slack_ingress.conftest import command_body
from tests.slack_ingress.conftest import sign as slack_sign
from tests.storage.conftest import ADMIN_URL, _admin_conninfo
from tests.workflow.harness import CONFIG_YAML, image


def bare_bolt_app(client: WebClient) -> FastAPI:
    app = App(signing_secret=SIGNING_SECRET, client=client)

    @app.command("/deploy")
    def deploy(ack: Any) -> None:
        ack()

    handler = SlackRequestHandler(app)
    api = FastAPI()

    @api.post("/slack/events")
    async def events(req: Request) -> Any:
        return await handler.handle(req)

    return api


def send_load(url: str, senders: int, per_sender: int) -> list[float]:
    """Run the senders in a separate process, so they do not share this one's GIL."""
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--send",
            url,
            "--senders",
            str(senders),
            "--per-sender",
            str(per_sender),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return [float(x) for x in json.loads(done.stdout)]


def _senders(url: str, senders: int, per_sender: int) -> list[float]:
    latencies: list[float] = []
    lock = threading.Lock()

    def sender(n: int) -> None:
        with httpx.Client(timeout=10) as client:
            for i in range(per_sender):
                body = command_body(
                    "/deploy",
                    "api 1.0.1 to production",
                    team=TEAM_ID,
                    user=f"U0SEND{n:03d}",
                    trigger=f"{uuid.uuid4().int % 10**12}.{n}.{i}",
                )
                headers = {
                    "Content-Type": "application/x-www-form-urlencoded",
                    **slack_sign(body, secret=SIGNING_SECRET),
                }
                started = time.perf_counter()
                response = client.post(f"{url}/slack/events", content=body, headers=headers)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code}: {response.text}")
                with lock:
                    latencies.append(elapsed)

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


@contextmanager
def postgres_database() -> Iterator[str]:
    name = f"releasebot_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield (
            make_url(ADMIN_URL)
            .set(drivername="postgresql+psycopg", database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def releasebot(database_url: str, tmp: Path) -> Iterator[str]:
    clock = SystemClock()
    with run_simulated_cluster(
        clock=clock, kubeconfig_path=tmp / "kubeconfig", namespaces=["apps"]
    ) as sim:
        for namespace in ("default", "apps"):
            simkit.create(sim.cluster, deployment_manifest("api", image=image(15)), namespace)
        upgrade(database_url)
        engine = make_engine(database_url)
        with running(clock=clock) as slack:
            client = WebClient(token=BOT_TOKEN, base_url=slack.base_url, timeout=5)
            bot = assemble(
                config=parse_config(CONFIG_YAML, "releasebot.yml"),
                engine=engine,
                clock=clock,
                client=client,
                signing_secret=SIGNING_SECRET,
                build_hook_secret=HOOK_SECRET,
                simulated_kubeconfig=sim.kubeconfig,
            )
            try:
                with serve_asgi(bot.http_app) as url:
                    yield url
                    bot.workflow.wait_idle(30)
            finally:
                bot.close()
                engine.dispose()


def describe(name: str, values: list[float]) -> float:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"  {name:28} p50 {statistics.median(ordered):6.1f} ms   p99 {p99:6.1f} ms   "
        f"max {ordered[-1]:6.1f} ms   (n={len(ordered)})"
    )
    return p99


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--per-sender", type=int, default=25)
    parser.add_argument("--send", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.send:
        print(json.dumps(_senders(args.send, args.senders, args.per_sender)))
        return
    print(f"/deploy acks over HTTP, {args.senders} concurrent senders x {args.per_sender}:")
    with running(clock=SystemClock()) as slack:
        client = WebClient(token=BOT_TOKEN, base_url=slack.base_url, timeout=5)
        with serve_asgi(bare_bolt_app(client)) as url:
            send_load(url, args.senders, 2)  # warm-up
            load = send_load(url, args.senders, args.per_sender)
            bare = describe("bare Bolt app (ack only)", load)
    results: dict[str, float] = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        releasebot(f"sqlite:///{tmp}/releasebot.db", Path(tmp)) as url,
    ):
        send_load(url, args.senders, 2)
        load = send_load(url, args.senders, args.per_sender)
        results["sqlite"] = describe("releasebot, SQLite", load)
    with (
        tempfile.TemporaryDirectory() as tmp,
        postgres_database() as database,
        releasebot(database, Path(tmp)) as url,
    ):
        send_load(url, args.senders, 2)
        load = send_load(url, args.senders, args.per_sender)
        results["postgresql"] = describe("releasebot, PostgreSQL", load)
    for name, p99 in results.items():
        verdict = "met" if p99 <= 50 and p99 <= 2 * bare else "NOT met"
        print(
            f"  {name}: p99 ratio to the bare app {p99 / bare:.2f}; target (≤ 50 ms, ≤ 2x) {verdict}"
        )


if __name__ == "__main__":
    main()
