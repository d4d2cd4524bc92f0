"""The presenter against the fake Slack Web API: what people see, and how often Slack is asked."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.clock import ManualClock
from bot.slack import actions
from bot.slack.presenter import SlackPresenter
from bot.slack.standin.webapi import FakeSlackWebAPI, Message
from bot.workflow.events import (
    BuildAnnounced,
    ExternalChange,
    PodTrouble,
    ReleaseDecided,
    ReleaseRequested,
    RolloutFinished,
    RolloutProgressed,
    RolloutStarted,
    VoteRecorded,
)
from bot.workflow.model import Actor
from storage.models import ReleaseState
from tests.slack_presenter.factories import (
    CHANNEL,
    TEAM,
    Memory,
    build,
    progress,
    release,
    vote,
)


def _clock(api: FakeSlackWebAPI) -> ManualClock:
    assert isinstance(api.clock, ManualClock)
    return api.clock


def _buttons(msg: Message) -> list[dict[str, Any]]:
    return [e for b in msg.blocks or [] if b["type"] == "actions" for e in b["elements"]]


def _text(blocks: list[dict[str, Any]] | None) -> str:
    return json.dumps(blocks or [], ensure_ascii=False)


def _first_line(msg: Message) -> str:
    assert msg.blocks
    return str(msg.blocks[0]["text"]["text"])


def _parents(api: FakeSlackWebAPI) -> list[Message]:
    return [m for m in api.messages if m.thread_ts is None]


def test_build_announcement_has_one_deploy_button_per_environment(
    presenter: SlackPresenter, slack_api: FakeSlackWebAPI
) -> None:
    presenter.publish(
        BuildAnnounced(build(environments=("dev", "staging", "production")), ("dev",))
    )
    [msg] = slack_api.messages
    assert msg.channel == CHANNEL
    buttons = _buttons(msg)
    assert [b["action_id"] for b in buttons] == [
        actions.deploy_action_id("staging"),
        actions.deploy_action_id("production"),
    ]
    assert [actions.parse_deploy_value(b["value"]).environment for b in buttons] == [
        "staging",
        "production",
    ]
    body = _text(msg.blocks)
    for part in ("1.4.2", "0123456789ab", "`main`", "ci.example.com/pipelines/42", "Faster"):
        assert part in body
    assert "Deploys by itself to *dev*" in body


def test_request_message_has_approve_and_reject_and_is_remembered(
    presenter: SlackPresenter, slack_api: FakeSlackWebAPI, memory: Memory
) -> None:
    r = release()
    presenter.publish(ReleaseRequested(r))
    [msg] = slack_api.messages
    assert [(b["text"]["text"], b["action_id"], b["value"]) for b in _buttons(msg)] == [
        ("Approve", actions.APPROVE, str(r.id)),
        ("Reject", actions.REJECT, str(r.id)),
    ]
    body = _text(msg.blocks)
    assert "Waiting for approval" in _first_line(msg)
    for part in ("<@U0REQ>", "fix checkout", ":white_check_mark:", "react", "`@release-managers`"):
        assert part in body
    assert memory.remembered == {r.id: (CHANNEL, msg.ts)}


def test_manual_policy_offers_confirm_and_auto_says_it_deploys_by_itself(
    presenter: SlackPresenter, slack_api: FakeSlackWebAPI
) -> None:
    presenter.publish(ReleaseRequested(release(ReleaseState.REQUESTED, policy="manual")))
    _clock(slack_api).advance(1)
    presenter.publish(
        ReleaseRequested(
            release(ReleaseState.APPROVED, policy="auto", id=uuid.UUID(int=2), environment="dev")
        )
    )
    manual, auto = slack_api.messages
    assert [b["action_id"] for b in _buttons(manual)] == [actions.CONFIRM, actions.CANCEL]
    assert _buttons(auto) == []
    assert "deploys by itself" in _text(auto.blocks)


def test_burst_of_progress_edits_at_most_once_then_shows_the_latest_after_two_seconds(
    presenter: SlackPresenter, slack_api: FakeSlackWebAPI
) -> None:
    clock = _clock(slack_api)
    rolling = release(ReleaseState.ROLLING_OUT)
    presenter.publish(ReleaseRequested(rolling))
    clock.advance(2)
    for i in range(50):
        presenter.publish(
            RolloutProgressed(release(ReleaseState.ROLLING_OUT, progress=progress(i // 5, ready=i)))
        )
        clock.advance(0.02)
    assert len(slack_api.calls("chat.update")) <= 1
    clock.advance(2)
    assert presenter.flush_due() == 1
    [parent] = _parents(slack_api)
    assert len(slack_api.calls("chat.update")) == 2
    assert "*Ready*\\n49" in _text(parent.blocks)
    assert "9/10 updated" in _text(parent.blocks)
    assert presenter.flush_due() == 0, "nothing new: no edit"


def test_final_state_is_flushed_at_once(
    presenter: SlackPresenter, slack_api: FakeSlackWebAPI
) -> None:
    presenter.publish(ReleaseRequested(release(ReleaseState.ROLLING_OUT, progress=progress(0))))
    presenter.publish(RolloutProgressed(release(ReleaseState.ROLLING_OUT, progress=progress(5))))
    assert slack_api.calls("chat.update") == []
    done = release(ReleaseState.SUCCEEDED, progress=progress(10))
    presenter.publish(RolloutFinished(done))
    [update] = slack_api.calls("chat.update")
    [parent] = _parents(slack_api)
    assert _first_line(parent).startswith(":white_check_mark: Succeeded")
    assert "10/10 updated" in _text(parent.blocks)
    assert update.at == parent_posted_at(slack_api)


def parent_posted_at(api: FakeSlackWebAPI) -> Any:
    return api.calls("chat.postMessage")[0].at


@pytest.mark.parametrize(
    ("state", "first"),
    [
        (ReleaseState.FAILED, ":x: Failed"),
        (ReleaseState.ROLLED_BACK, ":leftwards_arrow_with_hook: Rolled back"),
    ],
)
def test_a_bad_ending_is_unmistakable_in_the_first_line(
    presenter: SlackPresenter, slack_api: FakeSlackWebAPI, state: ReleaseState, first: str
) -> None:
    presenter.publish(ReleaseRequested(release(ReleaseState.ROLLING_OUT)))
    presenter.publish(
        RolloutFinished(release(state, error="progress deadline exceeded", progress=progress(3)))
    )
    [parent] = _parents(slack_api)
    assert _first_line(parent).startswith(first)
    assert "progress deadline exceeded" in _text(parent.blocks)


def test_milestones_are_replies_in_the_thread(
    presenter: SlackPresenter, slack_api: FakeSlackWebAPI
) -> None:
    clock = _clock(slack_api)
    start = clock.now()
    boss, alice = Actor("U0BOSS", TEAM), Actor("U0ALICE", TEAM)
    presenter.publish(ReleaseRequested(release()))
    one = release(votes=(vote("U0BOSS", start),))
    presenter.publish(VoteRecorded(one, boss, counted=True))
    presenter.publish(VoteRecorded(one, boss, counted=False))
    two = release(ReleaseState.APPROVED, votes=(vote("U0BOSS", start), vote("U0ALICE", start)))
    presenter.publish(VoteRecorded(two, alice, counted=True))
    presenter.publish(ReleaseDecided(two, alice))
    started = release(ReleaseState.ROLLING_OUT, started_at=clock.now(), revision_before=3)
    presenter.publish(RolloutStarted(started))
    clock.advance(83)
    presenter.publish(
        RolloutFinished(
            release(
                ReleaseState.SUCCEEDED,
                started_at=started.started_at,
                finished_at=clock.now(),
                revision_after=4,
            )
        )
    )
    for _ in range(10):
        clock.advance(1)
        presenter.flush_due()
    [parent] = _parents(slack_api)
    replies = [m.text or "" for m in slack_api.thread(CHANNEL, parent.ts)]
    assert len(replies) == 5, replies
    assert "<@U0BOSS> voted *approve* (1 of 2 approvals)" in replies[0]
    assert "<@U0ALICE> voted *approve* (2 of 2 approvals)" in replies[1]
    assert "Approved by <@U0ALICE>" in replies[2] and "<@U0BOSS>" in replies[2]
    assert "Rollout of" in replies[3] and "started" in replies[3]
    assert "Finished in 1 min 23 s" in replies[4] and "Revision 4" in replies[4]
    assert all(
        c.args.get("thread_ts") == parent.ts for c in slack_api.calls("chat.postMessage")[1:]
    )
    assert slack_api.ratelimited_count == 0


def test_pod_trouble_is_posted_once_per_pod_and_reason(
    presenter: SlackPresenter, slack_api: FakeSlackWebAPI
) -> None:
    r = release(ReleaseState.ROLLING_OUT)
    presenter.publish(ReleaseRequested(r))
    for pod, reason in [
        ("api-7d9-a", "ImagePullBackOff"),
        ("api-7d9-a", "ImagePullBackOff"),
        ("api-7d9-b", "ImagePullBackOff"),
        ("api-7d9-a", "ErrImagePull"),
        ("api-7d9-b", "ImagePullBackOff"),
    ]:
        presenter.publish(PodTrouble(r, pod, reason))
        _clock(slack_api).advance(1)
        presenter.flush_due()
    [parent] = _parents(slack_api)
    replies = [m.text or "" for m in slack_api.thread(CHANNEL, parent.ts)]
    assert len(replies) == 3
    assert "`api-7d9-a`" in replies[0] and "ImagePullBackOff" in replies[0]
    assert "`api-7d9-b`" in replies[1]
    assert "ErrImagePull" in replies[2]


def test_external_change_is_posted_to_the_service_channel(
    presenter: SlackPresenter, slack_api: FakeSlackWebAPI
) -> None:
    presenter.publish(
        ExternalChange(
            service="api",
            environment="production",
            channel=CHANNEL,
            old_image="registry.example.com/api:1.4.1",
            new_image="registry.example.com/api:hotfix",
            old_revision=4,
            new_revision=5,
        )
    )
    [msg] = slack_api.messages
    assert msg.channel == CHANNEL and msg.thread_ts is None
    body = msg.text or ""
    assert "`registry.example.com/api:1.4.1` → `registry.example.com/api:hotfix`" in body
    assert "revision 4 → 5" in body
    assert "releasebot did not do it" in body


def test_slack_errors_are_logged_not_raised(
    presenter: SlackPresenter, slack_api: FakeSlackWebAPI, caplog: pytest.LogCaptureFixture
) -> None:
    slack_api.tokens.clear()  # every call now answers invalid_auth
    with caplog.at_level(logging.WARNING):
        presenter.publish(ReleaseRequested(release()))
        presenter.publish(RolloutFinished(release(ReleaseState.FAILED)))
    assert "invalid_auth" in caplog.text
    assert slack_api.messages == []


def test_a_release_known_from_its_snapshot_is_edited_not_posted_again(
    presenter: SlackPresenter, slack_api: FakeSlackWebAPI, slack_client: WebClient, memory: Memory
) -> None:
    """After a restart the workflow's snapshot carries the parent; no second parent appears."""
    presenter.publish(ReleaseRequested(release()))
    [parent] = slack_api.messages
    fresh = SlackPresenter(slack_client, memory, slack_api.clock)
    fresh.publish(
        RolloutProgressed(
            release(ReleaseState.ROLLING_OUT, thread_ts=parent.ts, progress=progress(2))
        )
    )
    assert len(slack_api.messages) == 1
    assert "2/10 updated" in _text(parent.blocks)
