"""Failures, automatic rollback, /rollback, fail-closed and resume against the simulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.kube.sim.behaviour import PodBehaviour
from bot.workflow.errors import BadRequest, Unavailable
from bot.workflow.events import PodTrouble, RolloutFinished
from storage.models import ReleaseKind, ReleaseState
from tests.workflow.harness import (
    ALICE,
    REQUESTER,
    Harness,
    build,
    image,
    make_harness,
)


def test_bad_image_fails_then_rolls_back_automatically(h: Harness) -> None:
    h.create_deployment()
    h.sim.cluster.images.set(image(2), PodBehaviour.bad_image())
    h.workflow.announce_build(build("1.0.2", 2))
    assert h.settle()
    assert h.sink.of(PodTrouble)
    finished = [(e.release.kind, e.release.state) for e in h.sink.of(RolloutFinished)]
    assert finished == [
        (ReleaseKind.DEPLOY, ReleaseState.FAILED),
        (ReleaseKind.ROLLBACK, ReleaseState.SUCCEEDED),
        (ReleaseKind.DEPLOY, ReleaseState.ROLLED_BACK),
    ]
    container = h.deployment("default")["spec"]["template"]["spec"]["containers"][0]  # type: ignore[index]
    assert container["image"] == image(15)


def test_a_failed_release_needs_a_fresh_request(h: Harness) -> None:
    h.create_deployment()
    h.sim.cluster.images.set(image(2), PodBehaviour.bad_image())
    h.workflow.announce_build(build("1.0.2", 2))
    assert h.settle()
    failed = h.sink.of(RolloutFinished)[0].release
    from bot.workflow.errors import Conflict
    from storage.models import VoteDecision

    with pytest.raises(Conflict):
        h.workflow.vote(actor=ALICE, release_id=failed.id, decision=VoteDecision.APPROVE)
    with pytest.raises(Conflict):
        h.workflow.confirm(actor=failed.requester, release_id=failed.id)


def test_rollback_to_a_version_without_approval(h: Harness) -> None:
    h.create_deployment()
    h.workflow.announce_build(build("1.0.1", 1))
    assert h.settle()
    h.workflow.announce_build(build("1.0.2", 2))
    assert h.settle()
    view = h.workflow.request_rollback(
        actor=REQUESTER, service="api", environment="staging", to_version="1.0.1"
    )
    assert view.kind is ReleaseKind.ROLLBACK and view.version == "1.0.1"
    assert h.settle()
    done = h.workflow.release(view.id)
    assert done.state is ReleaseState.SUCCEEDED
    container = h.deployment("default")["spec"]["template"]["spec"]["containers"][0]  # type: ignore[index]
    assert container["image"] == image(1)
    assert h.workflow.running("api", "staging")[0].version == "1.0.1"


def test_rollback_to_unknown_version_is_refused(h: Harness) -> None:
    h.create_deployment()
    with pytest.raises(BadRequest, match="never ran in staging"):
        h.workflow.request_rollback(
            actor=REQUESTER, service="api", environment="staging", to_version="9.9.9"
        )


def test_rollback_while_rolling_out_stops_and_undoes_it(h: Harness) -> None:
    h.create_deployment()
    h.sim.cluster.images.set(image(3), PodBehaviour.unready())
    h.workflow.announce_build(build("1.0.3", 3))
    for _ in range(5):
        h.sim.cluster.advance(1)
        h.workflow.wait_idle(0.05)
    [held] = h.workflow.pending()
    assert held.state is ReleaseState.ROLLING_OUT
    rollback = h.workflow.request_rollback(actor=REQUESTER, service="api", environment="staging")
    assert h.settle()
    assert h.workflow.release(held.id).state is ReleaseState.ROLLED_BACK
    assert h.workflow.release(rollback.id).state is ReleaseState.SUCCEEDED
    container = h.deployment("default")["spec"]["template"]["spec"]["containers"][0]  # type: ignore[index]
    assert container["image"] == image(15)


def test_database_unreachable_fails_closed(sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    h = make_harness(sim, tmp_path)
    try:
        h.create_deployment()
        h.workflow.announce_build(build("1.0.1", 1))
        assert h.settle()
        revision = h.deployment("default")["metadata"]["annotations"]  # type: ignore[index]
        before = dict(revision)
        h.engine.dispose()
        (tmp_path / "releasebot.db").rename(tmp_path / "gone.db")
        (tmp_path / "releasebot.db").mkdir()  # the file is now a directory: cannot be opened
        with pytest.raises(Unavailable, match="nothing was changed"):
            h.workflow.request_rollback(actor=REQUESTER, service="api", environment="staging")
        assert h.workflow.wait_idle(1)
        assert h.deployment("default")["metadata"]["annotations"] == before  # type: ignore[index]
    finally:
        h.close()


def test_resume_reattaches_without_patching_twice(sim, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = make_harness(sim, tmp_path)
    first.create_deployment()
    first.sim.cluster.images.set(image(4), PodBehaviour.ready(after=20))
    first.workflow.announce_build(build("1.0.4", 4))
    for _ in range(3):
        sim.cluster.advance(1)
        first.workflow.wait_idle(0.05)
    [running] = first.workflow.pending()
    assert running.state is ReleaseState.ROLLING_OUT
    generation = first.deployment("default")["metadata"]["generation"]  # type: ignore[index]
    first.workflow._runner.stop(running.id)  # the old process "dies": it stops following
    first.close()
    second = make_harness(sim, tmp_path)
    try:
        second.workflow.resume()
        assert second.settle()
        assert second.workflow.release(running.id).state is ReleaseState.SUCCEEDED
        assert second.deployment("default")["metadata"]["generation"] == generation  # type: ignore[index]
    finally:
        second.close()
