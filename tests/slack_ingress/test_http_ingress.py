"""Signed Slack requests over real HTTP to releasebot in HTTP mode (uvicorn on 127.0.0.1)."""

from __future__ import annotations

import logging
import threading
import time
import uuid

import httpx
import pytest
from slack_sdk import WebClient

from bot.config import ReleasebotConfig
from bot.slack import actions, replies
from bot.slack.standin.webapi import BOT_USER_ID, TEAM_ID, FakeSlackWebAPI
from storage.engine import make_engine
from storage.models import VoteDecision
from tests.slack_ingress.conftest import (
    ALICE,
    Served,
    action_body,
    command_body,
    event_body,
    reaction_event,
    serving,
    sign,
)
from tests.slack_ingress.fakes import FakeWorkflow


def _ephemeral_texts(served: Served, count: int = 1, timeout: float = 5.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while len(served.slack.ephemeral) < count and time.monotonic() < deadline:
        threading.Event().wait(0.01)
    return [str(e["text"]) for e in served.slack.ephemeral]


def _no_more_calls(served: Served, expected: int) -> None:
    """Gives a wrongly accepted repeat a moment to show up, then checks it did not."""
    calls = served.workflow.wait_for_calls(expected + 1, timeout=0.5)
    assert len(calls) == expected, [c.method for c in calls]


def test_signed_deploy_reaches_the_workflow_and_replies_to_its_author(served: Served) -> None:
    response = served.post(command_body("/deploy", "api 1.4.2 to production because hotfix"))
    assert response.status_code == 200
    [call] = served.workflow.wait_for_calls(1)
    assert call.method == "request_deploy"
    assert call.kwargs["actor"].user_id == ALICE
    assert call.kwargs["actor"].team_id == TEAM_ID
    assert (call.kwargs["service"], call.kwargs["target"], call.kwargs["environment"]) == (
        "api",
        "1.4.2",
        "production",
    )
    assert call.kwargs["reason"] == "hotfix"
    [text] = _ephemeral_texts(served)
    assert "Requested *api 1.4.2* → *production*" in text
    assert served.slack.ephemeral[0]["user"] == ALICE


@pytest.mark.parametrize("case", ["stale", "future", "tampered", "missing", "wrong_secret"])
def test_a_request_slack_did_not_sign_now_is_401(served: Served, case: str) -> None:
    body = command_body("/deploy", "api 1.4.2 production")
    headers = sign(body)
    if case == "stale":
        headers = sign(body, timestamp=int(time.time()) - 301)
    elif case == "future":
        # well past the 300 s window: a future timestamp ages towards it while the request
        # travels, and +301 was accepted whenever a second boundary passed on the way
        headers = sign(body, timestamp=int(time.time()) + 360)
    elif case == "tampered":
        body = body.replace(b"1.4.2", b"6.6.6")
    elif case == "missing":
        headers = {}
    elif case == "wrong_secret":
        headers = sign(body, secret="another-secret")
    response = httpx.post(
        f"{served.url}/slack/events",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
    )
    assert response.status_code == 401
    _no_more_calls(served, 0)


def test_the_same_command_three_times_has_one_effect(served: Served) -> None:
    body = command_body("/deploy", "api 1.4.2 production", trigger="777.888.fixed")
    statuses = [
        served.post(body).status_code,
        served.post(body, {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}),
        served.post(body, {"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"}),
    ]
    assert [s if isinstance(s, int) else s.status_code for s in statuses] == [200, 200, 200]
    served.workflow.wait_for_calls(1)
    _no_more_calls(served, 1)


def test_the_same_button_click_three_times_counts_once(served: Served) -> None:
    release_id = uuid.uuid4()
    body = action_body(actions.APPROVE, actions.release_value(release_id), action_ts="99.1")
    for retry in (None, "1", "2"):
        headers = {"X-Slack-Retry-Num": retry} if retry else None
        assert served.post(body, headers).status_code == 200
    [call] = served.workflow.wait_for_calls(1)
    assert call.method == "vote"
    assert call.kwargs["release_id"] == release_id
    assert call.kwargs["decision"] is VoteDecision.APPROVE
    _no_more_calls(served, 1)


def test_the_same_event_three_times_votes_once(served: Served) -> None:
    body = event_body(reaction_event("white_check_mark"), event_id="Ev0REPEAT")
    for retry in (None, "1", "2"):
        headers = {"X-Slack-Retry-Num": retry} if retry else None
        assert served.post(body, headers).status_code == 200
    [call] = served.workflow.wait_for_calls(1)
    assert call.method == "vote"
    assert call.kwargs["decision"] is VoteDecision.APPROVE
    _no_more_calls(served, 1)


def test_ack_comes_back_at_once_while_the_workflow_takes_10_s(served: Served) -> None:
    served.workflow.gate = threading.Event()
    latencies = []
    for n in range(12):  # more than the worker threads: the acks must not queue behind them
        started = time.monotonic()
        response = served.post(command_body("/deploy", f"api 1.4.{n} production"))
        latencies.append(time.monotonic() - started)
        assert response.status_code == 200
    assert max(latencies) < 1.0, latencies
    assert served.workflow.calls == []
    served.workflow.gate.set()
    assert len(served.workflow.wait_for_calls(12)) == 12
    assert len(_ephemeral_texts(served, 12)) == 12


def test_with_the_database_down_the_ack_is_still_at_once_and_the_author_is_told(
    workflow: FakeWorkflow,
    slack_api: FakeSlackWebAPI,
    slack_client: WebClient,
    config: ReleasebotConfig,
) -> None:
    down = make_engine("postgresql://nobody@127.0.0.1:1/nothing")
    try:
        with serving(workflow=workflow, client=slack_client, config=config, engine=down) as url:
            served = Served(url, workflow, slack_api)
            started = time.monotonic()
            response = served.post(command_body("/deploy", "api 1.4.2 production"))
            assert response.status_code == 200
            assert time.monotonic() - started < 1.0
            assert response.text == ""
            [text] = _ephemeral_texts(served)
            assert text == replies.STORE_UNAVAILABLE
            assert served.slack.ephemeral[0]["user"] == ALICE
            _no_more_calls(served, 0)
    finally:
        down.dispose()


def test_a_command_from_another_workspace_is_refused(served: Served) -> None:
    response = served.post(command_body("/deploy", "api 1.4.2 production", team="T0OTHER"))
    assert response.status_code == 200
    assert response.text == replies.OTHER_WORKSPACE
    _no_more_calls(served, 0)


def test_events_and_buttons_from_another_workspace_do_nothing(served: Served) -> None:
    served.post(event_body(reaction_event("white_check_mark"), team="T0OTHER"))
    served.post(action_body(actions.APPROVE, str(uuid.uuid4()), team="T0OTHER"))
    _no_more_calls(served, 0)


def test_the_bots_own_reaction_is_ignored(served: Served) -> None:
    served.post(event_body(reaction_event("white_check_mark", user=BOT_USER_ID), event_id="Ev1"))
    _no_more_calls(served, 0)
    served.post(event_body(reaction_event("white_check_mark"), event_id="Ev2"))
    [call] = served.workflow.wait_for_calls(1)
    assert call.kwargs["actor"].user_id == ALICE


@pytest.mark.parametrize(
    ("reaction", "added", "method", "decision"),
    [
        ("white_check_mark", True, "vote", VoteDecision.APPROVE),
        ("heavy_check_mark", True, "vote", VoteDecision.APPROVE),
        ("x", True, "vote", VoteDecision.REJECT),
        ("white_check_mark", False, "withdraw_vote", None),
        ("x", False, "withdraw_vote", None),
    ],
)
def test_reactions_on_the_request_message_vote_and_withdraw(
    served: Served, reaction: str, added: bool, method: str, decision: VoteDecision | None
) -> None:
    served.post(event_body(reaction_event(reaction, added=added)))
    [call] = served.workflow.wait_for_calls(1)
    assert call.method == method
    assert call.kwargs["release_id"] == served.workflow.release_id
    assert call.kwargs.get("decision") is decision


def test_other_reactions_and_other_messages_do_nothing(served: Served) -> None:
    served.post(event_body(reaction_event("tada"), event_id="Ev1"))
    elsewhere = {
        **reaction_event("white_check_mark"),
        "item": {"type": "message", "channel": "C1", "ts": "1.1"},
    }
    served.post(event_body(elsewhere, event_id="Ev2"))
    _no_more_calls(served, 0)


@pytest.mark.parametrize(
    ("action_id", "method"),
    [(actions.REJECT, "vote"), (actions.CONFIRM, "confirm"), (actions.CANCEL, "cancel")],
)
def test_release_buttons_carry_only_the_release_id(
    served: Served, action_id: str, method: str
) -> None:
    release_id = uuid.uuid4()
    served.post(action_body(action_id, actions.release_value(release_id)))
    [call] = served.workflow.wait_for_calls(1)
    assert call.method == method
    assert call.kwargs["release_id"] == release_id


def test_a_forged_button_value_is_refused_privately(served: Served) -> None:
    served.post(action_body(actions.APPROVE, "api 1.4.2 production"))
    assert _ephemeral_texts(served) == [replies.BAD_BUTTON]
    _no_more_calls(served, 0)


def test_a_retried_forged_button_is_refused_once(served: Served) -> None:
    body = action_body(actions.APPROVE, "api 1.4.2 production")
    for retry in (None, "1", "2"):
        headers = {"X-Slack-Retry-Num": retry} if retry else None
        assert served.post(body, headers).status_code == 200
    served.post(action_body(actions.APPROVE, "another forgery", action_ts="9.9"))
    _ephemeral_texts(served, 2)
    # a repeat that was wrongly answered again would show up within this moment
    assert _ephemeral_texts(served, 3, timeout=0.5) == [replies.BAD_BUTTON] * 2
    _no_more_calls(served, 0)


def test_the_deploy_button_of_a_build_announcement_requests_a_deploy(served: Served) -> None:
    value = actions.deploy_value("api", "1.4.2", "staging")
    served.post(action_body(actions.deploy_action_id("staging"), value))
    [call] = served.workflow.wait_for_calls(1)
    assert call.method == "request_deploy"
    assert (call.kwargs["service"], call.kwargs["target"], call.kwargs["environment"]) == (
        "api",
        "1.4.2",
        "staging",
    )


def test_a_workflow_refusal_is_shown_only_to_the_actor(served: Served) -> None:
    from bot.workflow.errors import NotAllowed

    served.workflow.refuse = NotAllowed("You requested this release, so your vote cannot count.")
    served.post(action_body(actions.APPROVE, str(uuid.uuid4())))
    assert _ephemeral_texts(served) == ["You requested this release, so your vote cannot count."]
    assert served.slack.ephemeral[0]["user"] == ALICE


def test_deploy_help_lists_services_and_environments(served: Served) -> None:
    served.post(command_body("/deploy", "help"))
    [text] = _ephemeral_texts(served)
    assert "`api`, `web`" in text
    assert "`staging` (auto)" in text
    assert "`production` (approval)" in text
    assert "/deploy api 1.4.2 to production" in text
    _no_more_calls(served, 0)


def test_a_body_over_1_mib_is_413(served: Served) -> None:
    body = command_body("/deploy", "x" * (1024 * 1024))
    response = served.post(body)
    assert response.status_code == 413
    _no_more_calls(served, 0)


def test_health_and_readiness(served: Served) -> None:
    assert httpx.get(f"{served.url}/healthz").json() == {"ok": True}
    assert httpx.get(f"{served.url}/readyz").json() == {"ready": True}


def test_a_reply_slack_cannot_take_is_logged_not_lost_in_the_worker(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.workflow.errors import NotAllowed

    served.workflow.refuse = NotAllowed("You requested this release, so your vote cannot count.")
    served.slack.stop()
    with caplog.at_level(logging.WARNING, logger="bot.slack.listeners"):
        served.post(action_body(actions.APPROVE, str(uuid.uuid4())))
        served.workflow.wait_for_calls(1)
        deadline = time.monotonic() + 10
        while not any("Slack unreachable" in r.getMessage() for r in caplog.records):
            assert time.monotonic() < deadline, [r.getMessage() for r in caplog.records]
            time.sleep(0.01)
    assert not any(r.exc_info for r in caplog.records), "a lost reply is a warning, not a crash"
