"""SECURITY.md "Approvals" and "Concurrency", one rule per test."""

from __future__ import annotations

import pytest

from bot.workflow.errors import Conflict, NotAllowed, PromotionRequired
from bot.workflow.events import ReleaseDecided, VoteRecorded
from bot.workflow.model import ReleaseView
from storage.models import ReleaseState, VoteDecision
from tests.workflow.harness import ALICE, BOB, CAROL, MALLORY, REQUESTER, Harness, build

APPROVE, REJECT = VoteDecision.APPROVE, VoteDecision.REJECT


def _in_production(h: Harness, version: str = "1.0.1", n: int = 1) -> ReleaseView:
    """A build that went through staging, requested for production."""
    h.create_deployment()
    h.workflow.announce_build(build(version, n))
    assert h.settle()
    return h.workflow.request_deploy(
        actor=REQUESTER, service="api", environment="production", target=version, reason="ship it"
    )


def test_promotion_requires_success_in_the_source_environment(h: Harness) -> None:
    h.create_deployment()
    h.workflow.announce_build(build("1.0.1", 1))  # staging starts, has not succeeded yet
    with pytest.raises(PromotionRequired, match="deploy it to staging first"):
        h.workflow.request_deploy(
            actor=REQUESTER, service="api", environment="production", target="1.0.1"
        )
    assert h.settle()
    view = h.workflow.request_deploy(
        actor=REQUESTER, service="api", environment="production", target="1.0.1"
    )
    assert view.state is ReleaseState.AWAITING_APPROVAL


def test_two_distinct_approvers_approve_and_it_rolls_out(h: Harness) -> None:
    view = _in_production(h)
    assert view.state is ReleaseState.AWAITING_APPROVAL and view.required_approvals == 2
    h.workflow.vote(actor=ALICE, release_id=view.id, decision=APPROVE)
    again = h.workflow.vote(actor=ALICE, release_id=view.id, decision=APPROVE)
    assert again.state is ReleaseState.AWAITING_APPROVAL and again.approvals == ("U0ALICE",)
    assert [e.counted for e in h.sink.of(VoteRecorded)] == [True, False]
    h.workflow.vote(actor=CAROL, release_id=view.id, decision=APPROVE)  # via @release-managers
    assert h.settle()
    assert h.workflow.release(view.id).state is ReleaseState.SUCCEEDED


def test_requester_cannot_vote_and_is_told_why(h: Harness) -> None:
    h.groups.members_of["@release-managers"].add("U0REQUEST")
    view = _in_production(h)
    with pytest.raises(NotAllowed, match="you requested this release") as refused:
        h.workflow.vote(actor=REQUESTER, release_id=view.id, decision=APPROVE)
    assert "ask one of <@U0ALICE>, <@U0BOBBY>, `@release-managers`" in refused.value.message
    assert h.workflow.release(view.id).votes == ()


def test_someone_not_designated_cannot_vote(h: Harness) -> None:
    view = _in_production(h)
    with pytest.raises(NotAllowed, match="not an approver"):
        h.workflow.vote(actor=MALLORY, release_id=view.id, decision=APPROVE)


def test_a_reject_by_an_approver_rejects(h: Harness) -> None:
    view = _in_production(h)
    h.workflow.vote(actor=ALICE, release_id=view.id, decision=APPROVE)
    rejected = h.workflow.vote(actor=BOB, release_id=view.id, decision=REJECT)
    assert rejected.state is ReleaseState.REJECTED
    assert h.sink.of(ReleaseDecided)[-1].by == BOB
    with pytest.raises(Conflict):
        h.workflow.vote(actor=CAROL, release_id=view.id, decision=APPROVE)


def test_withdrawn_vote_no_longer_counts(h: Harness) -> None:
    view = _in_production(h)
    h.workflow.vote(actor=ALICE, release_id=view.id, decision=APPROVE)
    assert h.workflow.withdraw_vote(actor=ALICE, release_id=view.id).approvals == ()
    after = h.workflow.vote(actor=BOB, release_id=view.id, decision=APPROVE)
    assert after.state is ReleaseState.AWAITING_APPROVAL


def test_requester_cancels_before_start_and_nobody_else_can(h: Harness) -> None:
    view = _in_production(h)
    with pytest.raises(NotAllowed):
        h.workflow.cancel(actor=ALICE, release_id=view.id)
    assert h.workflow.cancel(actor=REQUESTER, release_id=view.id).state is ReleaseState.CANCELLED


def test_pending_request_expires(h: Harness) -> None:
    view = _in_production(h)
    assert view.expires_at is not None
    h.clock.advance(29 * 60)
    assert h.workflow.expire_due() == []
    h.clock.advance(61)
    [expired] = h.workflow.expire_due()
    assert expired.id == view.id and expired.state is ReleaseState.EXPIRED
    with pytest.raises(Conflict):
        h.workflow.vote(actor=ALICE, release_id=view.id, decision=APPROVE)


def test_removed_group_member_no_longer_counts(h: Harness) -> None:
    view = _in_production(h)
    h.workflow.vote(actor=CAROL, release_id=view.id, decision=APPROVE)
    h.groups.members_of["@release-managers"].clear()
    after = h.workflow.vote(actor=ALICE, release_id=view.id, decision=APPROVE)
    assert after.state is ReleaseState.AWAITING_APPROVAL
    h.workflow.vote(actor=BOB, release_id=view.id, decision=APPROVE)
    assert h.settle()
    assert h.workflow.release(view.id).state is ReleaseState.SUCCEEDED


def test_second_request_is_told_who_holds_the_slot(h: Harness) -> None:
    view = _in_production(h)
    h.workflow.announce_build(build("1.0.2", 2))
    assert h.settle()
    with pytest.raises(Conflict, match=f"held by release {view.id}.*U0REQUEST.*awaiting_approval"):
        h.workflow.request_deploy(
            actor=BOB, service="api", environment="production", target="1.0.2"
        )
