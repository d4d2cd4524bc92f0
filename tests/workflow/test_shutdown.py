"""Closing the bot mid-rollout stops following it at once and leaves it for resume()."""

from __future__ import annotations

import time
from pathlib import Path

from bot.kube.sim.behaviour import PodBehaviour
from bot.kube.sim.serve import SimHandle
from storage.models import ReleaseState
from tests.workflow.harness import Harness, HeldExecutor, build, image, make_harness


def test_closing_the_watches_ends_a_followed_rollout_and_keeps_it_rolling_out(
    h: Harness,
) -> None:
    h.create_deployment()
    h.sim.cluster.images.set(image(3), PodBehaviour.unready())
    h.workflow.announce_build(build("1.0.3", 3))
    [release] = h.workflow.pending()
    deadline = time.monotonic() + 10  # the runner patches and starts following on its thread
    while time.monotonic() < deadline:
        if h.workflow.release(release.id).state is ReleaseState.ROLLING_OUT:
            break
        h.workflow.wait_idle(0.05)
    h.sim.cluster.advance(5)
    assert h.workflow.release(release.id).state is ReleaseState.ROLLING_OUT
    assert not h.workflow.wait_idle(0.2), "the runner should still be following"

    h.clusters.close()  # what closing the bot does to the shared watches

    assert h.workflow.wait_idle(10), "the runner kept waiting on a closed watch"
    assert h.workflow.release(release.id).state is ReleaseState.ROLLING_OUT


def test_a_rollout_that_starts_after_the_clusters_closed_is_left_for_resume(
    sim: SimHandle, tmp_path: Path
) -> None:
    """It used to open a new connection nobody would close, wait 7 s for a list from a
    cluster the bot had let go, then fail the release."""
    held = HeldExecutor()
    h = make_harness(sim, tmp_path, executor=held)
    try:
        h.create_deployment()
        h.workflow.announce_build(build("1.0.3", 3))  # staging deploys by itself: job held
        [release] = h.workflow.pending()
        h.clusters.close()  # the bot closes before the runner gets to the release
        held.release()
        assert h.workflow.wait_idle(5), "the runner waited on a cluster the bot had closed"
        after = h.workflow.release(release.id)
        assert after.state in (ReleaseState.APPROVED, ReleaseState.ROLLING_OUT), after.state
        assert image(3) not in str(h.deployment("default")), "patched after the bot closed"
    finally:
        h.close()
