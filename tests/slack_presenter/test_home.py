"""App Home: a valid view that shows what moves, what waits for whom and what runs where."""

from __future__ import annotations

import json
import uuid

from slack_sdk import WebClient

from bot.slack.home import publish_home
from bot.slack.standin.webapi import FakeSlackWebAPI
from bot.workflow.model import ReleaseView, Running
from storage.models import ReleaseState
from tests.slack_presenter.factories import progress, release


class Reads:
    """The two reads publish_home needs from ReleaseWorkflow."""

    def __init__(self, pending: list[ReleaseView], running: list[Running]) -> None:
        self._pending, self._running = pending, running

    def pending(self) -> list[ReleaseView]:
        return self._pending

    def running(self, service: str | None = None, environment: str | None = None) -> list[Running]:
        return self._running


def test_app_home_publishes_a_valid_view(
    slack_api: FakeSlackWebAPI, slack_client: WebClient
) -> None:
    now = slack_api.clock.now()
    reads = Reads(
        [
            release(ReleaseState.ROLLING_OUT, progress=progress(4)),
            release(id=uuid.UUID(int=7), service="web", environment="staging"),
        ],
        [
            Running("api", env, "1.4.1", None, 12, now, "U0REQ")
            for env in ("dev", "staging", "production")
        ]
        + [Running(f"svc{i}", "dev", None, f"img:{i}", None, None, None) for i in range(12)],
    )
    assert publish_home(slack_client, reads, "U0ME", slack_api.clock)
    assert slack_api.block_errors == []
    view = slack_api.views["U0ME"]
    body = json.dumps(view["blocks"])
    assert ":rocket: Rolling out" in body and "4/10 updated" in body
    assert "*web*" in body and "Needs 2 approval(s)" in body
    assert "*api* \\u00b7 production" in body and "rev 12" in body and "<@U0REQ>" in body


def test_an_empty_home_says_what_to_do(slack_api: FakeSlackWebAPI, slack_client: WebClient) -> None:
    assert publish_home(slack_client, Reads([], []), "U0ME", slack_api.clock)
    body = json.dumps(slack_api.views["U0ME"]["blocks"])
    assert "Nothing is rolling out" in body and "/deploy" in body
