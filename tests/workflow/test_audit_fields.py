"""Every audit action records what SECURITY.md promises, checked action by action.

One run drives the workflow through every kind of step (auto deploy, approvals, reject,
cancel, expiry, withdrawal, manual confirm, a failed rollout rolled back by itself, a
rollback by hand) and then reads the audit log. ``REQUIRED`` says, for each action, which
columns must be filled; every action the run wrote must be in it, and every action in it
must have been written, so a new action cannot slip in unchecked.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from bot.kube.sim.behaviour import PodBehaviour
from storage.audit import verify_chain
from storage.models import AuditEvent, VoteDecision
from tests.workflow.harness import ALICE, BOB, REQUESTER, Harness, build, image

WHAT = ("service", "environment", "image", "digest", "outcome", "release_id")
PERSON = ("actor_user_id", "actor_team_id")
REQUIRED: dict[str, tuple[str, ...]] = {
    # asked for by a person (or by releasebot itself, for continuous deployment)
    "deploy_requested": WHAT + PERSON,
    "rollback_requested": WHAT + PERSON,
    "vote_approve": WHAT + PERSON,
    "vote_reject": WHAT + PERSON,
    "vote_withdrawn": WHAT + PERSON,
    "confirmed": WHAT + PERSON,
    "cancelled": WHAT + PERSON,
    "approved": WHAT + PERSON + ("approvers",),
    "rejected": WHAT + PERSON,
    # done on the clock or by the rollout: the revision it started from, and where it ended
    "expired": WHAT,
    "rollout_started": (*WHAT, "revision_before"),
    "rollout_succeeded": (*WHAT, "revision_before", "revision_after"),
    "rollout_failed": (*WHAT, "revision_before"),
    "rolled_back": (*WHAT, "revision_before"),
}


def _filled(event: AuditEvent, column: str) -> bool:
    value = getattr(event, column)
    return value not in (None, "", [])


def test_every_action_records_its_required_fields(h: Harness) -> None:
    h.create_deployment()
    h.create_deployment("web")
    h.workflow.announce_build(build("1.0.1", 1))
    assert h.settle()
    prod = dict(actor=REQUESTER, service="api", environment="production", reason="ship it")

    approved = h.workflow.request_deploy(**prod, target="1.0.1")
    h.workflow.vote(actor=ALICE, release_id=approved.id, decision=VoteDecision.APPROVE)
    h.workflow.vote(actor=BOB, release_id=approved.id, decision=VoteDecision.APPROVE)
    assert h.settle()

    rejected = h.workflow.request_deploy(**prod, target="1.0.1")
    h.workflow.vote(actor=ALICE, release_id=rejected.id, decision=VoteDecision.APPROVE)
    h.workflow.withdraw_vote(actor=ALICE, release_id=rejected.id)
    h.workflow.vote(actor=BOB, release_id=rejected.id, decision=VoteDecision.REJECT)

    cancelled = h.workflow.request_deploy(**prod, target="1.0.1")
    h.workflow.cancel(actor=REQUESTER, release_id=cancelled.id)

    h.workflow.request_deploy(**prod, target="1.0.1")
    h.clock.advance(31 * 60)
    assert h.workflow.expire_due()

    h.workflow.announce_build(build("2.0.0", 2, "web", "registry.example.com/shop/web"))
    manual = h.workflow.request_deploy(
        actor=REQUESTER, service="web", environment="qa", target="2.0.0"
    )
    h.workflow.confirm(actor=REQUESTER, release_id=manual.id)
    assert h.settle()

    h.sim.cluster.images.set(image(3), PodBehaviour.bad_image())
    h.workflow.announce_build(build("1.0.2", 3))
    assert h.settle()
    h.workflow.request_rollback(actor=REQUESTER, service="api", environment="production")
    assert h.settle()

    with Session(h.engine) as session:
        assert verify_chain(session=session).ok
        events = list(session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))))
    written = {e.action for e in events}
    assert written == set(REQUIRED), f"written but not in the table: {written - set(REQUIRED)}"
    missing = [
        (e.seq, e.action, column)
        for e in events
        for column in REQUIRED[e.action]
        if not _filled(e, column)
    ]
    assert missing == []
    for e in events:
        assert e.at.tzinfo is not None and e.at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
