"""releasebot as `serve` assembles it, over real HTTP, around three stand-ins.

- the simulated cluster (``sim``, a ManualClock shared by everything here),
- the Slack Web API stand-in with Slack's rate tiers switched on,
- a database: a SQLite file, and a fresh PostgreSQL database (tests/storage/conftest.py).

``Stack`` sends what Slack and CI would send (signed slash commands, button clicks, reaction
events, the signed build hook) and moves simulated time until the bot is idle.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient

from bot.asgi import serve_asgi
from bot.clock import ManualClock
from bot.hooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.kube.sim.samples import deployment_manifest
from bot.kube.sim.serve import SimHandle
from bot.slack.standin.webapi import BOT_TOKEN, DEFAULT_TIERS, TEAM_ID, FakeSlackWebAPI, running
from bot.workflow.model import ReleaseView
from commands.serve import Bot, assemble
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import ReleaseState
from tests.sim import simkit
from tests.slack_ingress.conftest import action_body, command_body, event_body
from tests.slack_ingress.conftest import sign as slack_sign
from tests.storage.conftest import database_url, postgres_admin  # noqa: F401  (fixtures)
from tests.workflow.harness import CONFIG_YAML, build, image

SIGNING_SECRET = "e2e-signing-secret-2b9d41"
HOOK_SECRET = b"e2e-build-hook-secret-77c1"
CHANNEL = "C0APICHAN"
REQUESTER, ALICE, BOB, CAROL = "U0REQUEST", "U0ALICE", "U0BOBBY", "U0CAROL"


@dataclass
class Stack:
    bot: Bot
    sim: SimHandle
    slack: FakeSlackWebAPI
    url: str
    _events: int = 0
    _clicks: int = 0

    @property
    def clock(self) -> ManualClock:
        assert isinstance(self.sim.clock, ManualClock)
        return self.sim.clock

    # -- what CI and Slack send ----------------------------------------------------------

    def build_hook(self, version: str, n: int, **fields: object) -> httpx.Response:
        body = build(version, n).model_copy(update=fields).model_dump_json().encode()
        return self.post_build(body)

    def post_build(self, body: bytes) -> httpx.Response:
        """Signed as CI signs, at the stack's clock."""
        ts = int(self.clock.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(ts),
            SIGNATURE_HEADER: sign(HOOK_SECRET, ts, body),
        }
        return httpx.post(f"{self.url}/hooks/build", content=body, headers=headers, timeout=30)

    def send(self, body: bytes, retry: str | None = None) -> httpx.Response:
        """A signed request to /slack/events, as Slack sends it."""
        content_type = (
            "application/json" if body.startswith(b"{") else "application/x-www-form-urlencoded"
        )
        headers = {"Content-Type": content_type, **slack_sign(body, secret=SIGNING_SECRET)}
        if retry is not None:
            headers["X-Slack-Retry-Num"] = retry
        response = httpx.post(f"{self.url}/slack/events", content=body, headers=headers, timeout=10)
        assert response.status_code == 200, response.text
        return response

    def command(
        self,
        user: str,
        command: str,
        text: str,
        *,
        trigger: str | None = None,
        retry: str | None = None,
        encoded: bool = False,
    ) -> None:
        body = command_body(
            command, text, team=TEAM_ID, user=user, trigger=trigger, encoded=encoded
        )
        self.send(body, retry)

    def click(self, user: str, action_id: str, value: str) -> None:
        self._clicks += 1
        body = action_body(
            action_id, value, team=TEAM_ID, user=user, action_ts=f"1700000500.{self._clicks:06d}"
        )
        self.send(body)

    def react(self, user: str, release: ReleaseView, name: str = "white_check_mark") -> None:
        assert release.thread_ts is not None, "the request message was never posted"
        self._events += 1
        event = {
            "type": "reaction_added",
            "user": user,
            "reaction": name,
            "item": {"type": "message", "channel": release.channel, "ts": release.thread_ts},
            "item_user": "U0BOT",
            "event_ts": f"1700000600.{self._events:06d}",
        }
        self.send(event_body(event, team=TEAM_ID, event_id=f"Ev{self._events:08d}"))

    # -- waiting ------------------------------------------------------------------------

    def settle(self, limit: int = 600) -> None:
        """Move simulated time a second at a time until no rollout runs and Slack is told."""
        moving = {ReleaseState.APPROVED, ReleaseState.ROLLING_OUT, ReleaseState.BAKING}
        for _ in range(limit):
            self.bot.presenter.flush_due()
            if (
                self.bot.workflow.wait_idle(0.02)
                and not any(r.state in moving for r in self.bot.workflow.pending())
                and self.bot.presenter.flush_due() == 0
            ):
                return
            self.sim.cluster.advance(1)
        raise AssertionError("the bot never became idle")

    def ephemeral_to(self, user: str) -> list[str]:
        return [str(e.get("text")) for e in self.slack.ephemeral if e.get("user") == user]

    def thread_texts(self, release: ReleaseView) -> list[str]:
        assert release.thread_ts is not None
        return [
            json.dumps(m.blocks) + (m.text or "")
            for m in self.slack.thread(release.channel, release.thread_ts)
        ]

    def assert_no_429(self) -> None:
        refused = [(c.method, c.args.get("channel")) for c in self.slack.calls() if c.status == 429]
        assert self.slack.ratelimited_count == 0, refused

    def parent_text(self, release: ReleaseView) -> str:
        assert release.thread_ts is not None
        message = self.slack.message(release.channel, release.thread_ts)
        return (message.text or "") + json.dumps(message.blocks)

    def until(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Poll a condition the bot makes true after its ack, on its worker threads.

        Slack posts are paced one per second per channel on the simulated clock, so each
        poll also lets a quarter of a simulated second pass.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            threading.Event().wait(0.01)
            self.clock.advance(0.25)
            self.bot.presenter.flush_due()
        raise AssertionError("condition not met in time")


@pytest.fixture
def config_yaml() -> str:
    """The releasebot.yml the stack runs with; a test module overrides it for its own setup."""
    return CONFIG_YAML


@pytest.fixture
def stack(sim: SimHandle, database_url: str, config_yaml: str) -> Iterator[Stack]:  # noqa: F811
    for namespace in ("default", "apps"):
        simkit.create(
            sim.cluster,
            deployment_manifest("api", image=image(15), replicas=3, progress_deadline_seconds=60),
            namespace,
        )
    sim.cluster.advance(30)
    upgrade(database_url)
    engine = make_engine(database_url)
    from bot.config import parse_config

    config = parse_config(config_yaml, "releasebot.yml")
    with running(clock=sim.clock, rate_limits=DEFAULT_TIERS, post_message_limit=True) as slack:
        slack.set_usergroup("S0RELMGR", [CAROL], handle="release-managers")
        client = WebClient(token=BOT_TOKEN, base_url=slack.base_url, timeout=5)
        bot = assemble(
            config=config,
            engine=engine,
            clock=sim.clock,
            client=client,
            signing_secret=SIGNING_SECRET,
            build_hook_secret=HOOK_SECRET,
            simulated_kubeconfig=sim.kubeconfig,
        )
        try:
            with serve_asgi(bot.http_app) as url:
                yield Stack(bot, sim, slack, url)
        finally:
            bot.close()
            engine.dispose()
