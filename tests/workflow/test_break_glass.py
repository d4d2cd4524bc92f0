"""Break-glass deploys (SECURITY.md "Approvals"), one rule per test, on SQLite and PostgreSQL.

production's usual approvers are U0ALICE, U0BOBBY and @release-managers (2 needed); its
break-glass approvers are U0BOBBY (in both lists), U0REQUEST, U0DAVEY and @oncall (2 needed).
staging (auto) and qa (manual) have no break_glass block.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.kube.sim.behaviour import PodBehaviour
from bot.kube.sim.serve import SimHandle
from bot.workflow.breakglass import skips_freezes
from bot.workflow.errors import BadRequest, Conflict, NotAllowed, PromotionRequired
from bot.workflow.events import ApprovalLapsed, ReleaseRequested, RolloutStarted
from bot.workflow.model import Actor, ReleaseView
from storage.audit import events_for_release, verify_chain
from storage.models import AuditEvent, ReleaseState, VoteDecision
from storage.releases import get_release
from tests.storage.conftest import database_url, postgres_admin  # noqa: F401  (fixtures)
from tests.workflow.harness import (
    ALICE,
    BOB,
    CAROL,
    CONFIG_YAML,
    REQUESTER,
    TEAM,
    Harness,
    HeldExecutor,
    build,
    image,
    make_harness,
)

APPROVE, REJECT = VoteDecision.APPROVE, VoteDecision.REJECT
DAVEY = Actor("U0DAVEY", TEAM)
OLIVE = Actor("U0OLIVE", TEAM)  # in @oncall
REASON = "checkout is down for everyone"

BREAK_GLASS_YAML = CONFIG_YAML.replace(
    "    promote_from: staging\n",
    "    break_glass:\n"
    "      required: 2\n"
    '      approvers: [U0BOBBY, U0REQUEST, U0DAVEY, "@oncall"]\n'
    "    promote_from: staging\n",
)


@pytest.fixture
def bg(sim: SimHandle, tmp_path: Path, database_url: str) -> Iterator[Harness]:  # noqa: F811
    h = make_harness(sim, tmp_path, BREAK_GLASS_YAML, database=database_url)
    h.groups.members_of["@oncall"] = {OLIVE.user_id}
    h.create_deployment()
    try:
        yield h
    finally:
        h.close()


def _glass(h: Harness, target: str = "1.0.1", actor: Actor = REQUESTER) -> ReleaseView:
    return h.workflow.request_deploy(
        actor=actor,
        service="api",
        environment="production",
        target=target,
        reason=REASON,
        break_glass=True,
    )


def _announced(h: Harness, version: str = "1.0.1", n: int = 1) -> None:
    h.workflow.announce_build(build(version, n))
    assert h.settle()


def test_the_reason_is_mandatory(bg: Harness) -> None:
    _announced(bg)
    for reason in (None, "", "   "):
        with pytest.raises(BadRequest, match="needs a reason") as refused:
            bg.workflow.request_deploy(
                actor=REQUESTER,
                service="api",
                environment="production",
                target="1.0.1",
                reason=reason,
                break_glass=True,
            )
        assert "break-glass because" in refused.value.message  # shows a correct example
    assert bg.workflow.pending() == []


def test_an_environment_without_break_glass_refuses_and_says_how_to_enable_it(
    bg: Harness,
) -> None:
    _announced(bg)
    with pytest.raises(NotAllowed) as refused:
        bg.workflow.request_deploy(
            actor=REQUESTER,
            service="api",
            environment="staging",
            target="1.0.1",
            reason=REASON,
            break_glass=True,
        )
    assert "staging has no break-glass approvers" in refused.value.message
    assert "`break_glass: {required: 1, approvers:" in refused.value.message
    assert "`environments.staging`" in refused.value.message
    assert bg.workflow.pending() == []


def test_the_usual_approvers_do_not_count_unless_they_are_break_glass_approvers_too(
    bg: Harness,
) -> None:
    _announced(bg)
    view = _glass(bg)
    assert view.break_glass and view.state is ReleaseState.AWAITING_APPROVAL
    assert view.approvers == ("U0BOBBY", "U0REQUEST", "U0DAVEY", "@oncall")
    for usual in (ALICE, CAROL):  # CAROL approves through @release-managers
        with pytest.raises(NotAllowed, match="not one of its break-glass approvers"):
            bg.workflow.vote(actor=usual, release_id=view.id, decision=APPROVE)
    assert bg.workflow.release(view.id).votes == ()
    counted = bg.workflow.vote(actor=BOB, release_id=view.id, decision=APPROVE)
    assert counted.approvals == ("U0BOBBY",)
    assert counted.state is ReleaseState.AWAITING_APPROVAL


def test_the_requester_is_refused_as_a_co_signer(bg: Harness) -> None:
    _announced(bg)
    view = _glass(bg)  # U0REQUEST is itself a break-glass approver
    with pytest.raises(NotAllowed, match="not even as a break-glass co-signer"):
        bg.workflow.vote(actor=REQUESTER, release_id=view.id, decision=APPROVE)
    assert bg.workflow.release(view.id).votes == ()


def test_it_needs_n_distinct_break_glass_approvers_then_rolls_out(bg: Harness) -> None:
    _announced(bg)
    view = _glass(bg)
    assert view.required_approvals == 2
    bg.workflow.vote(actor=DAVEY, release_id=view.id, decision=APPROVE)
    twice = bg.workflow.vote(actor=DAVEY, release_id=view.id, decision=APPROVE)
    assert twice.approvals == ("U0DAVEY",) and twice.state is ReleaseState.AWAITING_APPROVAL
    approved = bg.workflow.vote(actor=OLIVE, release_id=view.id, decision=APPROVE)  # via @oncall
    assert approved.state is ReleaseState.APPROVED
    assert bg.settle()
    done = bg.workflow.release(view.id)
    assert done.state is ReleaseState.SUCCEEDED
    container = bg.deployment()["spec"]["template"]["spec"]["containers"][0]  # type: ignore[index]
    assert container["image"] == image(1)
    [started] = [e for e in bg.sink.of(RolloutStarted) if e.release.id == view.id]
    assert started.release.break_glass and started.release.reason == REASON


def test_a_break_glass_approver_can_reject(bg: Harness) -> None:
    _announced(bg)
    view = _glass(bg)
    rejected = bg.workflow.vote(actor=DAVEY, release_id=view.id, decision=REJECT)
    assert rejected.state is ReleaseState.REJECTED


def test_promote_from_is_skipped_and_the_skip_is_audited(bg: Harness) -> None:
    bg.sim.cluster.images.set(image(2), PodBehaviour.bad_image())
    _announced(bg, "1.0.2", 2)  # staging fails and rolls back: 1.0.2 never succeeded there
    with pytest.raises(PromotionRequired):
        bg.workflow.request_deploy(
            actor=REQUESTER, service="api", environment="production", target="1.0.2"
        )
    bg.sim.cluster.images.set(image(2), PodBehaviour.ready())
    view = _glass(bg, "1.0.2")
    assert view.state is ReleaseState.AWAITING_APPROVAL
    bg.workflow.vote(actor=BOB, release_id=view.id, decision=APPROVE)
    bg.workflow.vote(actor=DAVEY, release_id=view.id, decision=APPROVE)
    assert bg.settle()
    assert bg.workflow.release(view.id).state is ReleaseState.SUCCEEDED
    requested = _events(bg, view.id)[0]
    assert requested.action == "deploy_requested"
    assert requested.details["promote_from_skipped"] == "staging"


def test_every_audit_event_carries_break_glass_and_the_reason(bg: Harness) -> None:
    _announced(bg)
    view = _glass(bg)
    bg.workflow.vote(actor=BOB, release_id=view.id, decision=APPROVE)
    bg.workflow.vote(actor=OLIVE, release_id=view.id, decision=APPROVE)
    assert bg.settle()
    events = _events(bg, view.id)
    assert [e.action for e in events] == [
        "deploy_requested",
        "vote_approve",
        "vote_approve",
        "approved",
        "rollout_started",
        "rollout_succeeded",
    ]
    for event in events:
        assert event.break_glass_reason == REASON
        assert event.details["break_glass"] is True
    assert "promote_from_skipped" not in events[0].details  # 1.0.1 did succeed in staging
    assert events[3].approvers == ["U0BOBBY", "U0OLIVE"]
    with Session(bg.engine) as session:
        assert verify_chain(session=session).ok
        row = get_release(session=session, release_id=view.id)
        assert row is not None and (row.break_glass, row.break_glass_reason) == (True, REASON)
        assert skips_freezes(row)  # the question the freeze check will ask
    assert not skips_freezes(bg.workflow.history("api", "staging")[0])
    normal = [e for e in _all_events(bg) if e.release_id != view.id]
    assert normal and all(
        e.break_glass_reason is None and "break_glass" not in e.details for e in normal
    )


def test_a_break_glass_request_is_published_as_such(bg: Harness) -> None:
    _announced(bg)
    view = _glass(bg)
    [published] = [e for e in bg.sink.of(ReleaseRequested) if e.release.id == view.id]
    assert published.release.break_glass
    assert published.release.reason == REASON
    assert published.release.policy == "approval"


def test_in_an_auto_environment_break_glass_still_waits_for_its_co_signers(
    sim: SimHandle,
    tmp_path: Path,
    database_url: str,  # noqa: F811
) -> None:
    yaml = CONFIG_YAML.replace(
        "  staging: {cluster: local, namespace: default, policy: auto, progress_timeout: 5m}\n",
        "  staging:\n"
        "    {cluster: local, namespace: default, policy: auto, progress_timeout: 5m,\n"
        "     break_glass: {required: 1, approvers: [U0DAVEY], expire_after: 10m}}\n",
    )
    h = make_harness(sim, tmp_path, yaml, database=database_url)
    try:
        h.create_deployment()
        h.workflow.announce_build(build("1.0.1", 1))
        assert h.settle()
        h.workflow.announce_build(build("1.0.2", 2))  # staging deploys it by itself
        assert h.settle()
        view = h.workflow.request_deploy(
            actor=REQUESTER,
            service="api",
            environment="staging",
            target="1.0.1",
            reason=REASON,
            break_glass=True,
        )
        assert view.state is ReleaseState.AWAITING_APPROVAL and view.required_approvals == 1
        assert view.expires_at is not None and view.created_at is not None
        assert (view.expires_at - view.created_at).total_seconds() == 600
        h.clock.advance(601)
        [expired] = h.workflow.expire_due()
        assert expired.id == view.id and expired.state is ReleaseState.EXPIRED
        with pytest.raises(Conflict, match="expired"):
            h.workflow.vote(actor=DAVEY, release_id=view.id, decision=APPROVE)
    finally:
        h.close()


def test_group_membership_is_checked_again_before_the_rollout(
    sim: SimHandle,
    tmp_path: Path,
    database_url: str,  # noqa: F811
) -> None:
    held = HeldExecutor()
    h = make_harness(sim, tmp_path, BREAK_GLASS_YAML, database=database_url, executor=held)
    h.groups.members_of["@oncall"] = {OLIVE.user_id}
    try:
        h.create_deployment()
        held.release()
        _announced(h)
        held.hold()
        view = _glass(h)
        h.workflow.vote(actor=DAVEY, release_id=view.id, decision=APPROVE)
        approved = h.workflow.vote(actor=OLIVE, release_id=view.id, decision=APPROVE)
        assert approved.state is ReleaseState.APPROVED
        h.groups.members_of["@oncall"].clear()  # Olive leaves on-call before the start
        held.release()
        assert h.settle()
        assert h.workflow.release(view.id).state is ReleaseState.AWAITING_APPROVAL
        [lapsed] = h.sink.of(ApprovalLapsed)
        assert lapsed.still_counted == ("U0DAVEY",)
        assert _events(h, view.id)[-1].action == "approval_lapsed"
        assert _events(h, view.id)[-1].details["break_glass"] is True
    finally:
        h.close()


# -- helpers ------------------------------------------------------------------------------


def _events(h: Harness, release_id: uuid.UUID) -> list[AuditEvent]:
    with Session(h.engine) as session:
        return events_for_release(session=session, release_id=release_id)


def _all_events(h: Harness) -> list[AuditEvent]:
    with Session(h.engine) as session:
        return list(session.exec(select(AuditEvent)).all())
