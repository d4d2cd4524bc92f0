"""What happens by itself is told: outside changes, blocked auto-deploys, lapsed approvals."""

from __future__ import annotations

import time
from pathlib import Path

from bot.kube.sim.behaviour import PodBehaviour
from bot.kube.sim.serve import SimHandle
from bot.workflow.events import (
    ApprovalLapsed,
    AutoDeployBlocked,
    ExternalChange,
    RolloutStarted,
)
from storage.models import ReleaseState, VoteDecision
from tests.sim.simkit import set_image
from tests.workflow.harness import (
    ALICE,
    CAROL,
    REQUESTER,
    Harness,
    HeldExecutor,
    build,
    image,
    make_harness,
)


def _wait_for(
    h: Harness, kind: type[ExternalChange], count: int, seconds: float = 15.0
) -> list[ExternalChange]:
    """Up to ``count`` events, waiting at most ``seconds`` of real time for the watch thread."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = h.sink.of(kind)
        if len(found) >= count:
            return found
        h.sim.cluster.advance(0.1)
        h.workflow.wait_idle(0.02)
    return h.sink.of(kind)


def test_an_image_changed_by_hand_is_published_and_the_bots_deploy_is_not(h: Harness) -> None:
    h.create_deployment()
    h.workflow.watch_for_external_changes()
    h.workflow.announce_build(build("1.0.1", 1))
    assert h.settle()
    set_image(h.sim.cluster, "api", image(7), namespace="default")
    [change] = _wait_for(h, ExternalChange, 1)
    assert change == ExternalChange(
        service="api",
        environment="staging",
        channel="C0APICHAN",
        old_image=image(1),
        new_image=image(7),
        old_revision=2,
        new_revision=3,
    )
    assert len(_wait_for(h, ExternalChange, 2, seconds=2.0)) == 1


def test_a_build_blocked_by_a_release_in_progress_says_so(h: Harness) -> None:
    h.create_deployment()
    h.sim.cluster.images.set(image(3), PodBehaviour.unready())
    h.workflow.announce_build(build("1.0.3", 3))
    h.workflow.announce_build(build("1.0.4", 4))
    [holder] = h.workflow.pending()
    [blocked] = h.sink.of(AutoDeployBlocked)
    assert (blocked.build.version, blocked.environment) == ("1.0.4", "staging")
    assert f"held by release {holder.id}" in blocked.reason


AUTO_PRODUCTION = """
timezone: Europe/Berlin
clusters:
  local: {simulated: true}
environments:
  staging: {cluster: local, namespace: default, policy: manual}
  production: {cluster: local, namespace: apps, policy: auto, promote_from: staging}
services:
  api:
    channel: C0APICHAN
    deployment: api
    image: registry.example.com/shop/api
    environments: [staging, production]
"""


def test_a_build_that_skipped_promotion_is_not_deployed_and_says_so(
    sim: SimHandle, tmp_path: Path
) -> None:
    h = make_harness(sim, tmp_path, AUTO_PRODUCTION)
    try:
        h.create_deployment()
        h.workflow.announce_build(build("1.0.1", 1))
        [blocked] = h.sink.of(AutoDeployBlocked)
        assert blocked.environment == "production"
        assert "staging" in blocked.reason
        assert h.workflow.pending() == []
    finally:
        h.close()


def test_an_approval_that_lapses_before_the_start_is_told(sim: SimHandle, tmp_path: Path) -> None:
    held = HeldExecutor()
    h = make_harness(sim, tmp_path, executor=held)
    try:
        h.create_deployment()
        h.workflow.announce_build(build("1.0.1", 1))
        held.release()
        assert h.settle()
        held.hold()  # hold the production rollout between the approval and its start
        view = h.workflow.request_deploy(
            actor=REQUESTER, service="api", environment="production", target="1.0.1"
        )
        h.workflow.vote(actor=ALICE, release_id=view.id, decision=VoteDecision.APPROVE)
        approved = h.workflow.vote(actor=CAROL, release_id=view.id, decision=VoteDecision.APPROVE)
        assert approved.state is ReleaseState.APPROVED
        h.groups.members_of["@release-managers"] = set()  # Carol leaves the group
        held.release()
        assert h.settle()
        [lapsed] = h.sink.of(ApprovalLapsed)
        assert lapsed.release.id == view.id
        assert lapsed.release.state is ReleaseState.AWAITING_APPROVAL
        assert lapsed.still_counted == ("U0ALICE",)
        assert view.id not in [e.release.id for e in h.sink.of(RolloutStarted)]
    finally:
        h.close()
