"""The shared namespace watch and rollout tracking, with Deployment status written by hand.

These tests write the status a deployment controller would write, straight into the
simulated cluster's store, so they pin down the driver's reading of the watch independently
of the controller.
"""

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from bot.kube.driver import Cluster
from bot.kube.models import (
    RolloutEvent,
    RolloutProgress,
    RolloutSucceeded,
    RolloutTimedOut,
)
from bot.kube.sim.resources import DEPLOYMENTS

from .conftest import NAMESPACE

WAIT = 5.0
WAITING_API = 'Waiting for deployment "api" rollout to finish: '


def open_watches(sim: Any) -> int:
    """Watch streams the simulated API server is serving right now."""
    streamer = sim.server.watches
    count = getattr(streamer, "open_count", None)
    if count is not None:
        return int(count)
    with streamer._lock:
        return len(streamer._open)


def set_status(sim: Any, name: str, **status: Any) -> None:
    store = sim.cluster.store
    with store.lock:
        obj = store.get(DEPLOYMENTS, NAMESPACE, name)
        obj["status"] = {"observedGeneration": obj["metadata"]["generation"], **status}
        store.update(DEPLOYMENTS, NAMESPACE, obj, subresource="status")


class Collector:
    """Runs a rollout watch in a thread and lets the test wait for what it yielded."""

    def __init__(self, events: Iterator[RolloutEvent]) -> None:
        self.events: list[RolloutEvent] = []
        self.error: BaseException | None = None
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, args=(events,), daemon=True)
        self._thread.start()

    def _run(self, events: Iterator[RolloutEvent]) -> None:
        try:
            for event in events:
                with self._changed:
                    self.events.append(event)
                    self._changed.notify_all()
        except BaseException as err:
            self.error = err
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, predicate: Callable[[RolloutEvent], bool]) -> RolloutEvent:
        with self._changed:
            found = self._changed.wait_for(
                lambda: any(predicate(e) for e in self.events) or not self._thread.is_alive(),
                timeout=WAIT,
            )
            assert found, f"nothing matched; got {self.events}"
            for event in self.events:
                if predicate(event):
                    return event
        raise AssertionError(f"watch ended without a match: {self.events} {self.error!r}")

    def join(self) -> None:
        self._thread.join(WAIT)
        assert not self._thread.is_alive()


def progress(message: str) -> Callable[[RolloutEvent], bool]:
    return lambda e: isinstance(e, RolloutProgress) and e.message == message


def test_rollout_watch_follows_status_to_success(
    sim: Any, driver: Cluster, create_deployment: Callable[..., Any]
) -> None:
    create_deployment("api", "shop/api:1")
    set_status(sim, "api", replicas=4, updatedReplicas=1, availableReplicas=3)
    watch = Collector(driver.watch_rollout("api", timeout=600))
    first = watch.wait_for(progress(WAITING_API + "1 out of 3 new replicas have been updated..."))
    assert isinstance(first, RolloutProgress)
    assert (first.counts.desired, first.counts.updated, first.counts.old_pending_termination) == (
        3,
        1,
        3,
    )
    assert (first.strategy.max_surge, first.strategy.max_unavailable) == (1, 0)
    set_status(sim, "api", replicas=4, updatedReplicas=3, availableReplicas=3)
    watch.wait_for(progress(WAITING_API + "1 old replicas are pending termination..."))
    set_status(sim, "api", replicas=3, updatedReplicas=3, availableReplicas=3)
    done = watch.wait_for(lambda e: isinstance(e, RolloutSucceeded))
    assert done.message == 'deployment "api" successfully rolled out'
    watch.join()
    assert isinstance(watch.events[-1], RolloutSucceeded)


def test_rollouts_in_one_namespace_share_one_watch_per_kind(
    sim: Any, driver: Cluster, create_deployment: Callable[..., Any]
) -> None:
    create_deployment("api", "shop/api:1")
    create_deployment("web", "shop/web:1")
    before = open_watches(sim)
    api = Collector(driver.watch_rollout("api", timeout=600))
    web = Collector(driver.watch_rollout("web", timeout=600))
    api.wait_for(lambda e: isinstance(e, RolloutProgress))
    web.wait_for(lambda e: isinstance(e, RolloutProgress))
    # The streams open right after the initial lists; give them a moment.
    deadline = time.monotonic() + WAIT
    while open_watches(sim) - before < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    assert open_watches(sim) - before == 3
    assert driver.namespace_watch().subscriber_count == 2
    for name in ("api", "web"):
        set_status(sim, name, replicas=3, updatedReplicas=3, availableReplicas=3)
    api.join()
    web.join()
    assert driver.namespace_watch().subscriber_count == 0


def test_watch_resumes_after_the_connection_drops(
    sim: Any, driver: Cluster, create_deployment: Callable[..., Any]
) -> None:
    create_deployment("api", "shop/api:1")
    set_status(sim, "api", replicas=3, updatedReplicas=1, availableReplicas=1)
    watch = Collector(driver.watch_rollout("api", timeout=600))
    watch.wait_for(lambda e: isinstance(e, RolloutProgress))
    sim.cluster.store.close_all_watches()
    set_status(sim, "api", replicas=3, updatedReplicas=3, availableReplicas=3)
    watch.wait_for(lambda e: isinstance(e, RolloutSucceeded))
    watch.join()


def test_timeout_is_measured_on_the_injected_clock(
    sim: Any, driver: Cluster, create_deployment: Callable[..., Any]
) -> None:
    create_deployment("api", "shop/api:1")
    set_status(sim, "api", replicas=3, updatedReplicas=1, availableReplicas=1)
    watch = Collector(driver.watch_rollout("api", timeout=120))
    watch.wait_for(lambda e: isinstance(e, RolloutProgress))
    sim.clock.advance(119)
    assert not any(isinstance(e, RolloutTimedOut) for e in watch.events)
    sim.clock.advance(1)
    timed_out = watch.wait_for(lambda e: isinstance(e, RolloutTimedOut))
    assert isinstance(timed_out, RolloutTimedOut)
    assert "1 out of 3 new replicas" in timed_out.last_status
    watch.join()


def test_deleting_the_deployment_while_watching_is_an_error(
    sim: Any, driver: Cluster, create_deployment: Callable[..., Any]
) -> None:
    from bot.kube.errors import DeploymentDeleted

    create_deployment("api", "shop/api:1")
    watch = Collector(driver.watch_rollout("api", timeout=600))
    watch.wait_for(lambda e: isinstance(e, RolloutProgress))
    sim.cluster.store.delete(DEPLOYMENTS, NAMESPACE, "api")
    watch.join()
    assert isinstance(watch.error, DeploymentDeleted)
