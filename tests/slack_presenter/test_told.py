"""A blocked auto-deploy is told in the service channel; a lapsed approval in the thread."""

from __future__ import annotations

from bot.clock import ManualClock
from bot.slack.presenter import SlackPresenter
from bot.slack.standin.webapi import FakeSlackWebAPI
from bot.workflow.events import ApprovalLapsed, AutoDeployBlocked, ReleaseRequested
from storage.models import ReleaseState
from tests.slack_presenter.factories import CHANNEL, build, release


def test_a_blocked_auto_deploy_is_posted_with_its_reason(
    presenter: SlackPresenter, slack_api: FakeSlackWebAPI
) -> None:
    reason = "api in staging is held by release 42; wait for it to finish or cancel it first."
    presenter.publish(AutoDeployBlocked(build(), "staging", reason))
    [msg] = slack_api.messages
    assert msg.channel == CHANNEL and msg.thread_ts is None
    body = msg.text or ""
    assert "`1.4.2` of *api* was *not* deployed to *staging*" in body
    assert reason in body
    assert "`/deploy api 1.4.2 to staging`" in body


def test_a_lapsed_approval_is_told_in_the_release_thread(
    presenter: SlackPresenter, slack_api: FakeSlackWebAPI
) -> None:
    r = release(ReleaseState.APPROVED)
    presenter.publish(ReleaseRequested(r))
    [parent] = [m for m in slack_api.messages if m.thread_ts is None]
    clock = slack_api.clock
    assert isinstance(clock, ManualClock)
    clock.advance(2)
    presenter.publish(ApprovalLapsed(release(ReleaseState.AWAITING_APPROVAL), ("U0ALICE",)))
    [reply] = slack_api.thread(CHANNEL, parent.ts)
    body = reply.text or ""
    assert "did not start" in body
    assert f"only 1 of {r.required_approvals} still count (<@U0ALICE>)" in body
