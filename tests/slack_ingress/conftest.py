"""A releasebot in HTTP mode on 127.0.0.1 with a fake workflow, and signed Slack requests.

``served`` runs ``bot.http.create_http_app`` around ``bot.app.build_app`` in uvicorn, with the
fake Slack Web API (``slack_api``) for replies and a migrated SQLite database for idempotency.
``signed(body)`` gives the headers Slack would send: ``v0=HMAC-SHA256(secret, "v0:ts:body")``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import sqlalchemy
import yaml
from slack_sdk import WebClient

from bot.app import build_app
from bot.clock import ManualClock
from bot.config import ReleasebotConfig, parse_config
from bot.http import create_http_app
from bot.slack.ports import Workflow
from commands import SLASH_COMMANDS
from storage.engine import make_engine
from storage.migrate import upgrade_engine
from tests.asgi import serve_asgi
from tests.slack.conftest import slack_api, slack_client  # noqa: F401  (fixtures)
from tests.slack.fake_web_api import BOT_USER_ID, TEAM_ID, FakeSlackWebAPI
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
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def command_body(
    command: str, text: str, *, team: str = TEAM_ID, user: str = ALICE, trigger: str | None = None
) -> bytes:
    return urlencode(
        {
            "token": "legacy-unused",
            "team_id": team,
            "channel_id": "C0456API",
            "user_id": user,
            "command": command,
            "text": text,
            "response_url": "https://hooks.slack.invalid/commands/1",
            "trigger_id": trigger or f"{uuid.uuid4().int % 10**12}.1.abc",
        }
    ).encode()


def action_body(
    action_id: str, value: str, *, team: str = TEAM_ID, user: str = ALICE, action_ts: str = "1.2"
) -> bytes:
    payload = {
        "type": "block_actions",
        "team": {"id": team},
        "user": {"id": user, "team_id": team},
        "channel": {"id": "C0456API"},
        "container": {"type": "message", "channel_id": "C0456API", "message_ts": "1.0"},
        "trigger_id": "123.456.abc",
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b1",
                "value": value,
                "action_ts": action_ts,
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def event_body(event: dict[str, Any], *, team: str = TEAM_ID, event_id: str = "Ev0001") -> bytes:
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": team,
            "api_app_id": "A0RELEASE",
            "event": event,
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": team, "user_id": BOT_USER_ID, "is_bot": True}],
        }
    ).encode()


def reaction_event(name: str, *, user: str = ALICE, added: bool = True) -> dict[str, Any]:
    from tests.slack_ingress.fakes import REQUEST_CHANNEL, REQUEST_TS

    return {
        "type": "reaction_added" if added else "reaction_removed",
        "user": user,
        "reaction": name,
        "item": {"type": "message", "channel": REQUEST_CHANNEL, "ts": REQUEST_TS},
        "item_user": BOT_USER_ID,
        "event_ts": "1700000001.000200",
    }


@dataclass
class Served:
    url: str
    workflow: FakeWorkflow
    slack: FakeSlackWebAPI

    def post(self, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
        content_type = (
            "application/json" if body.startswith(b"{") else "application/x-www-form-urlencoded"
        )
        all_headers = {"Content-Type": content_type, **sign(body), **(headers or {})}
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
    api = create_http_app(slack_app=slack_app, engine=engine, clock=clock)
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
