"""A rollout followed right after its patch must not be judged on the cache's older state.

The shared namespace watch may not have received the patch's MODIFIED event yet when a
rollout is followed; its cached Deployment then still says "successfully rolled out" for the
previous revision. This test builds that window on purpose: the subscription is taken before
the patch (its snapshot is the old, complete state; the patch's events arrive after it), and
a broken image must still end in the progress-deadline failure, never in a success.
"""

from __future__ import annotations

from typing import Any

from bot.kube.driver import Cluster
from bot.kube.models import RolloutFailed, RolloutSucceeded
from bot.kube.sim.behaviour import PodBehaviour
from bot.kube.tracking import follow_rollout
from bot.kube.watching import NamespaceWatch, Subscription

from .conftest import settle
from .test_watching import Collector


class LaggingWatch:
    """The real shared watch, handing out a subscription that was opened earlier."""

    def __init__(self, watch: NamespaceWatch, early: Subscription) -> None:
        self.conn = watch.conn
        self._watch = watch
        self._early = early

    def subscribe(self, deployment: str | None = None) -> Subscription:
        return self._early

    def unsubscribe(self, subscription: Subscription) -> None:
        self._watch.unsubscribe(subscription)


def test_a_stale_cached_success_is_not_taken_for_the_new_rollout(
    sim: Any, driver: Cluster, create_deployment: Any
) -> None:
    create_deployment("api", "shop/api:1", progressDeadlineSeconds=30)
    settle(sim)
    watch = driver.namespace_watch()
    early = watch.subscribe("api")
    assert early.snapshot["deployments"]["api"]["status"]["updatedReplicas"] == 3

    sim.cluster.images.set("shop/api:broken", PodBehaviour.bad_image())
    driver.deploy("api", image="shop/api:broken", change_cause="c", release_id="r2")
    collector = Collector(
        follow_rollout(
            LaggingWatch(watch, early),  # type: ignore[arg-type]
            driver.where,
            deployment="api",
            container="api",
            clock=sim.clock,
            timeout=600,
        )
    )
    settle(sim, 60)
    failed = collector.wait_for(lambda e: isinstance(e, RolloutFailed))
    assert failed.message == 'deployment "api" exceeded its progress deadline'
    assert not any(isinstance(e, RolloutSucceeded) for e in collector.events)
