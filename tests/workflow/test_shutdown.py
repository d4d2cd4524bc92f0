"""Closing the bot mid-rollout stops following it at once and leaves it for resume()."""

from __future__ import annotations

import time

from bot.kube.sim.behaviour import PodBehaviour
from storage.models import ReleaseState
from tests.workflow.harness import Harness, build, image


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
