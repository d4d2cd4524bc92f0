"""Signed Slack requests over HTTP to releasebot driving the real ReleaseWorkflow (SQLite and
the simulated cluster, from tests/workflow/harness.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient

from bot.kube.sim.serve import SimHandle
from bot.slack import actions
from bot.slack.standin.webapi import FakeSlackWebAPI
from storage.models import ReleaseState
from tests.slack_ingress.conftest import (
    Served,
    action_body,
    command_body,
    event_body,
    reaction_event,
    serving,
)
from tests.workflow.harness import ALICE, REQUESTER, TEAM, Harness, build, harness_fixture


@pytest.fixture
def h(sim: SimHandle, tmp_path: Path) -> Iterator[Harness]:
    yield from harness_fixture(sim, tmp_path)


@pytest.fixture
def real(h: Harness, slack_api: FakeSlackWebAPI, slack_client: WebClient) -> Iterator[Served]:
    with serving(
        workflow=h.workflow,
        client=slack_client,
        config=h.config,
        engine=h.engine,
        team_id=TEAM,
    ) as url:
        yield Served(url, None, slack_api)  # type: ignore[arg-type]


def _until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        threading.Event().wait(0.01)
    return False


def test_deploy_retried_three_times_makes_one_release_and_votes_count_once(
    h: Harness, real: Served
) -> None:
    h.create_deployment()
    h.workflow.announce_build(build("1.0.1", 1))
    assert h.settle()
    body = command_body(
        "/deploy", "api 1.0.1 to production", team=TEAM, user=REQUESTER.user_id, trigger="1.2.x"
    )
    for retry in (None, "1", "2"):
        assert real.post(body, {"X-Slack-Retry-Num": retry} if retry else None).status_code == 200
    assert _until(lambda: len(real.slack.ephemeral) >= 1)
    threading.Event().wait(0.3)  # room for a wrongly accepted repeat to answer "held by"
    assert len(real.slack.ephemeral) == 1, real.slack.ephemeral
    [release] = h.workflow.pending()
    assert release.state is ReleaseState.AWAITING_APPROVAL
    assert "Requested *api 1.0.1* → *production*" in str(real.slack.ephemeral[0]["text"])

    approve = actions.release_value(release.id)
    real.post(action_body(actions.APPROVE, approve, team=TEAM, user=REQUESTER.user_id))
    assert _until(lambda: len(real.slack.ephemeral) >= 2)
    assert h.workflow.release(release.id).approvals == ()

    h.workflow.remember_message(release.id, "C0APICHAN", "1700000000.000100")
    event = reaction_event("white_check_mark", user=ALICE.user_id)
    event["item"] = {"type": "message", "channel": "C0APICHAN", "ts": "1700000000.000100"}
    for retry in (None, "1", "2"):
        real.post(
            event_body(event, team=TEAM, event_id="EvREAL"),
            {"X-Slack-Retry-Num": retry} if retry else None,
        )
    assert _until(lambda: h.workflow.release(release.id).approvals == (ALICE.user_id,))
    threading.Event().wait(0.3)
    assert len(h.workflow.release(release.id).votes) == 1
