"""Policies auto and manual, against the simulated cluster and a SQLite file."""

from __future__ import annotations

import pytest

from bot.workflow.errors import NotAllowed
from bot.workflow.events import BuildAnnounced, RolloutFinished, RolloutProgressed, RolloutStarted
from storage.audit import verify_chain
from storage.models import ReleaseState
from tests.workflow.harness import ALICE, BOT, REQUESTER, Harness, build, image


def test_build_on_auto_environment_deploys_by_itself(h: Harness) -> None:
    h.create_deployment()
    h.workflow.announce_build(build("1.0.1", 1))
    assert h.settle()
    announced = h.sink.of(BuildAnnounced)
    assert announced[0].auto_environments == ("staging",)
    [finished] = h.sink.of(RolloutFinished)
    release = finished.release
    assert release.state is ReleaseState.SUCCEEDED
    assert release.requester == BOT and release.environment == "staging"
    assert release.revision_before == 1 and release.revision_after == 2
    assert h.sink.of(RolloutStarted) and h.sink.of(RolloutProgressed)
    deployment = h.deployment("default")
    annotations = deployment["metadata"]["annotations"]  # type: ignore[index]
    assert annotations["releasebot/release-id"] == str(release.id)
    assert annotations["kubernetes.io/change-cause"] == (
        f"releasebot: api 1.0.1 by U0BOTUSER (release {release.id})"
    )
    container = deployment["spec"]["template"]["spec"]["containers"][0]  # type: ignore[index]
    assert container["image"] == image(1)
    [running] = h.workflow.running("api", "staging")
    assert running.version == "1.0.1" and running.revision == 2


def test_every_transition_is_audited_in_one_chain(h: Harness) -> None:
    from sqlmodel import Session, select

    from storage.models import AuditEvent

    h.create_deployment()
    h.workflow.announce_build(build("1.0.1", 1))
    assert h.settle()
    with Session(h.engine) as session:
        actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.seq))]
        assert verify_chain(session=session).broken_at is None
    assert actions == ["deploy_requested", "rollout_started", "rollout_succeeded"]


def test_manual_policy_waits_for_the_requester_and_nobody_else(h: Harness) -> None:
    h.create_deployment("web")
    h.workflow.announce_build(build("2.0.0", 2, "web", "registry.example.com/shop/web"))
    view = h.workflow.request_deploy(
        actor=REQUESTER, service="web", environment="qa", target="2.0.0"
    )
    assert view.state is ReleaseState.REQUESTED and view.policy == "manual"
    with pytest.raises(NotAllowed, match="only <@U0REQUEST>"):
        h.workflow.confirm(actor=ALICE, release_id=view.id)
    assert h.workflow.release(view.id).state is ReleaseState.REQUESTED
    h.workflow.confirm(actor=REQUESTER, release_id=view.id)
    assert h.settle()
    assert h.workflow.release(view.id).state is ReleaseState.SUCCEEDED
