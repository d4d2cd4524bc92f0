"""A releasebot in HTTP mode on 127.0.0.1 with a fake workflow, and signed Slack requests.

``served`` runs ``bot.http.create_http_app`` around ``bot.app.build_app`` in uvicorn, with the
fake Slack Web API (``slack_api``) for replies and a migrated SQLite database for idempotency.
``signed(body)`` gives the headers Slack would send: ``v0=HMAC-SHA256(secret, "v0:ts:body")``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy
import yaml
from slack_sdk import WebClient

from bot.app import build_app
from bot.asgi import serve_asgi
from bot.clock import ManualClock
from bot.config import ReleasebotConfig, parse_config
from bot.http import create_http_app
from bot.slack.ports import Workflow
from bot.slack.standin import requests as slack_requests
from bot.slack.standin.webapi import BOT_USER_ID, TEAM_ID, FakeSlackWebAPI
from commands import SLASH_COMMANDS
from storage.engine import make_engine
from storage.migrate import upgrade_engine
from tests.slack.conftest import slack_api, slack_client  # noqa: F401  (fixtures)
from tests.slack_ingress.fakes import FakeWorkflow

SIGNING_SECRET = "slack-signing-secret-for-tests-8f2a"
ALICE = "U0ALICE"

CONFIG: dict[str, Any] = {
    "timezone": "Europe/Berlin",
    "clusters": {"prod": {"context": "prod-eu"}},
    "environments": {
        "staging": {"cluster": "prod", "namespace": "staging", "policy": "auto"},
        "production": {
            "cluster": "prod",
            "namespace": "apps",
            "policy": "approval",
            "approvals": {"required": 2, "approvers": ["U024BE7LH", "U0G9QF9C6"]},
            "promote_from": "staging",
        },
    },
    "services": {
        "api": {
            "channel": "C0456API",
            "deployment": "api",
            "image": "registry.example.com/shop/api",
        },
        "web": {
            "channel": "C0456WEB",
            "deployment": "web",
            "image": "registry.example.com/shop/web",
        },
    },
}


@pytest.fixture
def config() -> ReleasebotConfig:
    return parse_config(yaml.safe_dump(CONFIG))


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sqlalchemy.Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'releasebot.db'}")
    upgrade_engine(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def sign(body: bytes, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    return slack_requests.signature_headers(body, secret=secret, timestamp=timestamp)


def command_body(
    command: str,
    text: str,
    *,
    team: str = TEAM_ID,
    user: str = ALICE,
    trigger: str | None = None,
    encoded: bool = False,
) -> bytes:
    return slack_requests.command_body(
        command, text, team=team, user=user, channel="C0456API", trigger=trigger, encoded=encoded
    )


def action_body(
    action_id: str, value: str, *, team: str = TEAM_ID, user: str = ALICE, action_ts: str = "1.2"
) -> bytes:
    return slack_requests.action_body(
        action_id,
        value,
        team=team,
        user=user,
        channel="C0456API",
        message_ts="1.0",
        action_ts=action_ts,
    )


def event_body(event: dict[str, Any], *, team: str = TEAM_ID, event_id: str = "Ev0001") -> bytes:
    return slack_requests.event_body(event, team=team, event_id=event_id, bot_user=BOT_USER_ID)


def reaction_event(name: str, *, user: str = ALICE, added: bool = True) -> dict[str, Any]:
    from tests.slack_ingress.fakes import REQUEST_CHANNEL, REQUEST_TS

    return slack_requests.reaction_event(
        name,
        user=user,
        channel=REQUEST_CHANNEL,
        ts=REQUEST_TS,
        item_user=BOT_USER_ID,
        event_ts="1700000001.000200",
        added=added,
    )


@dataclass
class Served:
    url: str
    workflow: FakeWorkflow
    slack: FakeSlackWebAPI

    def post(self, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
        all_headers = {
            "Content-Type": slack_requests.content_type(body),
            **sign(body),
            **(headers or {}),
        }
        return httpx.post(f"{self.url}/slack/events", content=body, headers=all_headers, timeout=10)


@pytest.fixture
def workflow() -> FakeWorkflow:
    return FakeWorkflow()


@contextmanager
def serving(
    *,
    workflow: Workflow,
    client: WebClient,
    config: ReleasebotConfig,
    engine: sqlalchemy.Engine,
    team_id: str | None = None,
) -> Iterator[str]:
    """releasebot's HTTP app around ``workflow`` in uvicorn; yields its base URL."""
    clock = ManualClock()
    slack_app = build_app(
        workflow=workflow,
        client=client,
        signing_secret=SIGNING_SECRET,
        commands=SLASH_COMMANDS,
        team_id=team_id,
        config=config,
        engine=engine,
        clock=clock,
    )
    api = create_http_app(
        slack_app=slack_app, engine=engine, clock=clock, slack_signing_secret=SIGNING_SECRET
    )
    with serve_asgi(api) as url:
        yield url


@pytest.fixture
def served(
    workflow: FakeWorkflow,
    slack_api: FakeSlackWebAPI,  # noqa: F811
    slack_client: WebClient,  # noqa: F811
    config: ReleasebotConfig,
    engine: sqlalchemy.Engine,
) -> Iterator[Served]:
    with serving(workflow=workflow, client=slack_client, config=config, engine=engine) as url:
        try:
            yield Served(url, workflow, slack_api)
        finally:
            if workflow.gate is not None:
                workflow.gate.set()
