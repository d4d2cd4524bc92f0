"""Rollbacks are kept in the database: a restart neither forgets their target nor undoes twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.kube.sim.behaviour import PodBehaviour
from bot.kube.sim.serve import SimHandle
from bot.workflow.errors import BadRequest
from bot.workflow.events import RolloutFinished
from storage.models import ReleaseKind, ReleaseState, VoteDecision
from tests.workflow.harness import (
    ALICE,
    CONFIG_YAML,
    REQUESTER,
    Harness,
    build,
    image,
    make_harness,
)

STAGING = "  staging: {cluster: local, namespace: default, policy: auto, progress_timeout: 5m}\n"
ROLLBACK_APPROVALS_YAML = CONFIG_YAML.replace(
    STAGING,
    "  staging:\n"
    "    cluster: local\n"
    "    namespace: default\n"
    "    policy: auto\n"
    "    progress_timeout: 5m\n"
    "    rollback_approvals: {required: 1, approvers: [U0ALICE], expire_after: 30m}\n",
)


def _image_of(h: Harness, namespace: str = "default") -> str:
    container = h.deployment(namespace)["spec"]["template"]["spec"]["containers"][0]  # type: ignore[index]
    return str(container["image"])


def _two_releases(h: Harness) -> None:
    """Revisions 1 (image 15, the Deployment's first), 2 (1.0.1) and 3 (1.0.2) in staging."""
    h.create_deployment()
    h.workflow.announce_build(build("1.0.1", 1))
    assert h.settle()
    h.workflow.announce_build(build("1.0.2", 2))
    assert h.settle()


def test_rollback_to_a_revision_goes_exactly_there(h: Harness) -> None:
    _two_releases(h)
    view = h.workflow.request_rollback(
        actor=REQUESTER, service="api", environment="staging", to_revision=1
    )
    assert view.kind is ReleaseKind.ROLLBACK and view.state is ReleaseState.APPROVED
    assert h.settle()
    assert h.workflow.release(view.id).state is ReleaseState.SUCCEEDED
    assert _image_of(h) == image(15)


def test_rollback_to_a_revision_that_is_not_there_is_refused(h: Harness) -> None:
    _two_releases(h)
    with pytest.raises(BadRequest, match="no revision 9 in staging; revisions: 1, 2, 3"):
        h.workflow.request_rollback(
            actor=REQUESTER, service="api", environment="staging", to_revision=9
        )


def test_a_rollback_waiting_for_approval_keeps_its_target_across_a_restart(
    sim: SimHandle, tmp_path: Path
) -> None:
    first = make_harness(sim, tmp_path, ROLLBACK_APPROVALS_YAML)
    try:
        _two_releases(first)
        waiting = first.workflow.request_rollback(
            actor=REQUESTER, service="api", environment="staging", to_revision=1
        )
        assert waiting.state is ReleaseState.AWAITING_APPROVAL
        assert waiting.required_approvals == 1
        assert first.workflow.wait_idle(1)
        assert _image_of(first) == image(2)  # nothing happens before the approval
    finally:
        first.close()
    second = make_harness(sim, tmp_path, ROLLBACK_APPROVALS_YAML)
    try:
        second.workflow.resume()
        voted = second.workflow.vote(
            actor=ALICE, release_id=waiting.id, decision=VoteDecision.APPROVE
        )
        assert voted.state is ReleaseState.APPROVED
        assert second.settle()
        assert second.workflow.release(waiting.id).state is ReleaseState.SUCCEEDED
        assert _image_of(second) == image(15)  # revision 1, not "the one before" (image 1)
    finally:
        second.close()


def test_resume_finishes_a_rollback_whose_undo_landed_without_undoing_again(
    sim: SimHandle, tmp_path: Path
) -> None:
    first = make_harness(sim, tmp_path)
    first.create_deployment()
    first.workflow.announce_build(build("1.0.1", 1))
    assert first.settle()
    first.sim.cluster.images.set(image(3), PodBehaviour.unready())
    first.workflow.announce_build(build("1.0.3", 3))
    for _ in range(5):
        sim.cluster.advance(1)
        first.workflow.wait_idle(0.05)
    [stuck] = first.workflow.pending()
    assert stuck.state is ReleaseState.ROLLING_OUT
    rollback = first.workflow.request_rollback(
        actor=REQUESTER, service="api", environment="staging"
    )
    assert rollback.rollback_of == stuck.id
    first.workflow._runner.stop(rollback.id)  # the old process "dies" right after the undo
    assert first.workflow.wait_idle(10)
    assert first.workflow.release(rollback.id).state is ReleaseState.ROLLING_OUT
    assert _image_of(first) == image(1)
    revision = first.deployment("default")["metadata"]["annotations"][  # type: ignore[index]
        "deployment.kubernetes.io/revision"
    ]
    assert revision == "4"  # revision 2's template came back as 4; revision 2 is gone
    first.close()

    second = make_harness(sim, tmp_path)
    try:
        second.workflow.resume()
        assert second.settle()
        done = second.workflow.release(rollback.id)
        assert done.state is ReleaseState.SUCCEEDED, done.error  # a second undo to 2 fails
        assert done.rollback_of == stuck.id
        assert second.workflow.release(stuck.id).state is ReleaseState.ROLLED_BACK
        assert [e.release.id for e in second.sink.of(RolloutFinished)] == [rollback.id, stuck.id]
        assert (
            second.deployment("default")["metadata"]["annotations"][  # type: ignore[index]
                "deployment.kubernetes.io/revision"
            ]
            == "4"
        )
    finally:
        second.close()


def test_an_automatic_rollback_records_what_it_undoes(h: Harness) -> None:
    h.create_deployment()
    h.sim.cluster.images.set(image(2), PodBehaviour.bad_image())
    h.workflow.announce_build(build("1.0.2", 2))
    assert h.settle()
    failed, rollback, _ = (e.release for e in h.sink.of(RolloutFinished))
    assert rollback.kind is ReleaseKind.ROLLBACK
    assert h.workflow.release(rollback.id).rollback_of == failed.id
    assert h.workflow.release(failed.id).state is ReleaseState.ROLLED_BACK
