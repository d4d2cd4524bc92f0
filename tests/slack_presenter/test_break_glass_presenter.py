"""A break-glass release is loud in the channel: the parent says so with the requester, the
reason and its break-glass approvers, and the start is broadcast from the thread."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import SectionBlock

from bot.clock import ManualClock
from bot.slack import blocks as kit
from bot.slack import messages as text
from bot.slack.presenter import SlackPresenter
from bot.slack.standin.webapi import FakeSlackWebAPI
from bot.workflow.events import ReleaseRequested, RolloutStarted
from bot.workflow.model import ReleaseView
from storage.models import ReleaseState
from tests.slack_presenter.factories import CHANNEL, release

REASON = "checkout is down"


def _glass(state: ReleaseState = ReleaseState.AWAITING_APPROVAL, **changes: Any) -> ReleaseView:
    return release(
        state,
        break_glass=True,
        reason=REASON,
        required_approvals=1,
        approvers=("U0ONCALL1", "S0ONCALL1"),
        **changes,
    )


def test_the_request_is_posted_in_the_channel_with_marker_requester_reason_and_approvers(
    presenter: SlackPresenter, slack_api: FakeSlackWebAPI
) -> None:
    presenter.publish(ReleaseRequested(_glass()))
    [parent] = slack_api.messages
    assert parent.channel == CHANNEL and parent.thread_ts is None
    assert slack_api.ephemeral == []
    first = str((parent.blocks or [])[0]["text"]["text"])
    assert first.startswith(":rotating_light: *BREAK-GLASS* :raised_hand: Waiting for approval")
    body = json.dumps(parent.blocks, ensure_ascii=False)
    for part in (
        "deploy requested by <@U0REQ>",
        f"*Reason:* {REASON}",
        "skips freezes and `promote_from`",
        "Needs 1 break-glass approval(s) from <@U0ONCALL1>, <!subteam^S0ONCALL1>",
        "Break-glass reason: " + REASON,
    ):
        assert part in body, part
    assert (parent.text or "").startswith("🚨 BREAK-GLASS Waiting for approval")
    assert REASON in (parent.text or "")


def test_the_start_is_broadcast_to_the_channel_and_names_requester_and_reason(
    presenter: SlackPresenter, slack_api: FakeSlackWebAPI
) -> None:
    clock = slack_api.clock
    assert isinstance(clock, ManualClock)
    presenter.publish(ReleaseRequested(_glass()))
    clock.advance(2)
    presenter.publish(RolloutStarted(_glass(ReleaseState.ROLLING_OUT, revision_before=4)))
    clock.advance(2)
    presenter.flush_due()
    [parent, started] = [c for c in slack_api.calls("chat.postMessage") if c.status == 200]
    assert "reply_broadcast" not in parent.args
    assert started.args["reply_broadcast"] is True
    assert started.args["thread_ts"] == slack_api.messages[0].ts
    assert started.args["text"].startswith(":rotating_light: *BREAK-GLASS* rollout of *api*")
    assert "requested by <@U0REQ> because: " + REASON in started.args["text"]


def test_an_ordinary_start_stays_in_the_thread(
    presenter: SlackPresenter, slack_api: FakeSlackWebAPI
) -> None:
    clock = slack_api.clock
    assert isinstance(clock, ManualClock)
    presenter.publish(ReleaseRequested(release()))
    clock.advance(2)
    presenter.publish(RolloutStarted(release(ReleaseState.ROLLING_OUT)))
    clock.advance(2)
    presenter.flush_due()
    [_, started] = slack_api.calls("chat.postMessage")
    assert "reply_broadcast" not in started.args
    assert "BREAK-GLASS" not in json.dumps([m.blocks for m in slack_api.messages])


def test_an_ordinary_release_has_no_banner() -> None:
    r = release()
    assert text.break_glass_banner(r) is None
    assert not text.state_line(r).startswith(text.BREAK_GLASS_MARK)
    assert all(
        text.BREAK_GLASS_MARK not in block.text.text  # type: ignore[union-attr]
        for block in kit.release_message(r)
        if isinstance(block, SectionBlock) and block.text is not None
    )
