"""``releasebot serve`` as a real process, around stand-ins that run in real time.

- ``World``: a simulated cluster on a system clock (pods become Ready on their own), the Slack
  Web API stand-in, a SQLite file, ``releasebot.yml`` (tests/workflow/harness.py's
  ``CONFIG_YAML``) and the environment ``serve`` reads (``SLACK_API_URL`` points the bot at
  the stand-in). Pass ``database_url`` for PostgreSQL (several replicas).
- ``Serve``: one process; ``kill()`` is SIGKILL, ``terminate()`` SIGTERM, ``interrupt()``
  SIGINT. Its output goes to
  a log file whose tail is shown when something does not happen in time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlmodel import Session

from bot.asgi import free_port
from bot.clock import SystemClock
from bot.hooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.kube.sim.resources import DEPLOYMENTS, REPLICASETS
from bot.kube.sim.samples import deployment_manifest
from bot.kube.sim.serve import SimHandle, run_simulated_cluster
from bot.slack.standin.webapi import BOT_TOKEN, BOT_USER_ID, FakeSlackWebAPI, running
from storage.engine import make_engine
from storage.models import Release
from storage.releases import recent_releases
from tests.sim import simkit
from tests.workflow.harness import CONFIG_YAML, build, image

RELEASEBOT = Path(sys.executable).parent / "releasebot"
SIGNING_SECRET = "restart-signing-secret-5d1e7a"
HOOK_SECRET = "restart-build-hook-secret-93bc"
T = TypeVar("T")


@dataclass
class Serve:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def terminate(self, timeout: float = 30) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def interrupt(self, timeout: float = 30) -> int:
        """Ctrl-C."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout)


@dataclass
class World:
    sim: SimHandle
    slack: FakeSlackWebAPI
    tmp: Path
    database_url: str
    env: dict[str, str]
    _engine: Any = None
    _started: list[Serve] = field(default_factory=list)

    # -- the bot ---------------------------------------------------------------------------

    def serve(self, *args: str, extra_env: dict[str, str] | None = None) -> Serve:
        started = self.launch(*args, extra_env=extra_env)
        self.wait_for(
            lambda: started.process.poll() is None and _healthy(started.url),
            what="releasebot serve to answer /healthz",
            serve=started,
            timeout=90,
        )
        return started

    def launch(self, *args: str, extra_env: dict[str, str] | None = None) -> Serve:
        """Start the process without waiting for it to serve."""
        port = free_port()
        log = self.tmp / f"serve-{len(self._started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    str(RELEASEBOT),
                    "serve",
                    "--port",
                    str(port),
                    "--simulated-kubeconfig",
                    str(self.sim.kubeconfig),
                    *args,
                ],
                env={**self.env, **(extra_env or {})},
                cwd=self.tmp,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        started = Serve(process, f"http://127.0.0.1:{port}", log)
        self._started.append(started)
        return started

    def stop_all(self) -> None:
        for started in self._started:
            if started.process.poll() is None:
                started.kill()

    # -- what CI sends ---------------------------------------------------------------------

    def build_hook(self, serve: Serve, version: str, n: int) -> httpx.Response:
        body = build(version, n).model_dump_json().encode()
        ts = int(time.time())
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(ts),
            SIGNATURE_HEADER: sign(HOOK_SECRET.encode(), ts, body),
        }
        return httpx.post(f"{serve.url}/hooks/build", content=body, headers=headers, timeout=30)

    # -- what the test looks at ------------------------------------------------------------

    def releases(self, environment: str = "staging") -> list[Release]:
        if self._engine is None:
            self._engine = make_engine(self.database_url)
        with Session(self._engine) as session:
            return recent_releases(
                session=session, service="api", environment=environment, limit=20
            )

    def deployment(self, namespace: str = "default") -> dict[str, Any]:
        return self.sim.cluster.store.get(DEPLOYMENTS, namespace, "api")

    def replica_sets(self, namespace: str = "default") -> list[dict[str, Any]]:
        items, _ = self.sim.cluster.store.list(REPLICASETS, namespace)
        return items

    def wait_for(
        self,
        predicate: Callable[[], T],
        *,
        what: str,
        serve: Serve | None = None,
        timeout: float = 60,
    ) -> T:
        """Poll (real time: the bot is another process) until ``predicate`` is truthy."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            if serve is not None and serve.process.poll() is not None:
                break
            time.sleep(0.1)
        shown = f"\n--- releasebot serve output ---\n{serve.tail()}" if serve else ""
        raise AssertionError(f"timed out waiting for {what}{shown}")


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def world(
    tmp: Path,
    *,
    progress_deadline_seconds: int = 60,
    app_token: str | None = None,
    socket_mode_url: str | None = None,
    database_url: str | None = None,
) -> Iterator[World]:
    """``app_token`` switches ``serve`` to Socket Mode; the stand-in then accepts that token
    and hands out ``socket_mode_url`` from ``apps.connections.open``."""
    with ExitStack() as stack:
        sim = stack.enter_context(
            run_simulated_cluster(
                clock=SystemClock(),
                kubeconfig_path=tmp / "kubeconfig",
                namespaces=["apps"],
            )
        )
        for namespace in ("default", "apps"):
            simkit.create(
                sim.cluster,
                deployment_manifest(
                    "api",
                    image=image(15),
                    replicas=3,
                    progress_deadline_seconds=progress_deadline_seconds,
                ),
                namespace,
            )
        tokens = {BOT_TOKEN: BOT_USER_ID, **({app_token: BOT_USER_ID} if app_token else {})}
        slack = stack.enter_context(running(tokens=tokens, socket_mode_url=socket_mode_url))
        config = tmp / "releasebot.yml"
        config.write_text(CONFIG_YAML)
        database_url = database_url or f"sqlite:///{tmp}/releasebot.db"
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("SLACK_", "RELEASEBOT_"))
        }
        env.update(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.base_url,
            RELEASEBOT_BUILD_HOOK_SECRET=HOOK_SECRET,
            RELEASEBOT_DATABASE_URL=database_url,
            RELEASEBOT_CONFIG=str(config),
            PYTHONUNBUFFERED="1",
        )
        if app_token is not None:
            env["SLACK_APP_TOKEN"] = app_token
            del env["SLACK_SIGNING_SECRET"]
        w = World(sim, slack, tmp, database_url, env)
        stack.callback(w.stop_all)
        try:
            yield w
        finally:
            if w._engine is not None:
                w._engine.dispose()
