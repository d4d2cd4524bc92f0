"""Rollout watches over the shared namespace watch, against the simulated controller."""

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.kube.connection import ClusterConfig, Timeouts
from bot.kube.driver import Cluster
from bot.kube.models import (
    PodChanged,
    ReplicaSetChanged,
    RolloutEvent,
    RolloutFailed,
    RolloutProgress,
    RolloutSucceeded,
    RolloutTimedOut,
    WatchStopped,
)
from bot.kube.sim.behaviour import PodBehaviour
from bot.kube.sim.resources import DEPLOYMENTS
from tests.waiting import wait_until

from .conftest import NAMESPACE, settle

WAIT = 5.0
WAITING_API = 'Waiting for deployment "api" rollout to finish: '

STRAY_STREAM_WINDOW = 0.2
"""Real seconds a test looks out for a watch stream that must never open. Nothing signals
"no more streams are coming", so this one check is a window: a rollout that opened streams of
its own would do so right after its initial lists, which are done before it yields its first
event, and a local connection opens in milliseconds. A slow machine can only make the window
miss such a bug, never fail a correct run."""


def open_watches(sim: Any) -> int:
    """Watch streams the simulated API server is serving right now."""
    return int(sim.server.watches.open_count)


class ReadClock:
    """The cluster's clock, counting the rollout watch's reads: it reads the time once to set
    its deadline, then once each time it finds no event and compares the time to it. A read
    that follows another proves the earlier comparison did not end the watch."""

    def __init__(self, clock: ManualClock) -> None:
        self._clock = clock
        self._read = threading.Condition()
        self._reads = 0

    def now(self) -> datetime:
        with self._read:  # read and count in one step: a read counted later came later
            now = self._clock.now()
            self._reads += 1
            self._read.notify_all()
            return now

    def sleep(self, seconds: float) -> None:
        self._clock.sleep(seconds)

    def wait_for_reads(self, more: int) -> None:
        """Wait until the watch has read the time ``more`` times after this call began."""
        with self._read:
            target = self._reads + more
            assert self._read.wait_for(lambda: self._reads >= target, WAIT), (
                f"the watch read the clock {self._reads - target + more} of {more} more times:"
                " it ended (a timeout too early?) or stalled"
            )


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

    def ended(self, timeout: float) -> bool:
        """Whether the watch has ended, waiting up to ``timeout`` real seconds for it."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def join(self) -> None:
        self._thread.join(WAIT)
        assert not self._thread.is_alive()


def progress(message: str) -> Callable[[RolloutEvent], bool]:
    return lambda e: isinstance(e, RolloutProgress) and e.message == message


def test_deploy_and_watch_to_success_with_kubectls_messages(
    sim: Any, driver: Cluster, create_deployment: Callable[..., Any]
) -> None:
    create_deployment("api", "shop/api:1")
    settle(sim)
    driver.deploy("api", image="shop/api:2", change_cause="deploy 2", release_id="r2")
    watch = Collector(driver.watch_rollout("api", timeout=600))
    watch.wait_for(lambda e: isinstance(e, RolloutProgress))
    for _ in range(600):  # half-second steps: five minutes of the cluster's time at most
        if watch.ended(0.01):  # the watch takes its turn between two steps
            break
        sim.cluster.advance(0.5)
    watch.join()
    messages = [e.message for e in watch.events if isinstance(e, RolloutProgress)]
    for expected in (
        WAITING_API + "1 out of 3 new replicas have been updated...",
        WAITING_API + "2 out of 3 new replicas have been updated...",
        WAITING_API + "1 old replicas are pending termination...",
        'deployment "api" successfully rolled out',
    ):
        assert expected in messages
    last = watch.events[-1]
    assert isinstance(last, RolloutSucceeded)
    assert last.revision == 2
    first = next(e for e in watch.events if isinstance(e, RolloutProgress))
    assert (first.strategy.max_surge, first.strategy.max_unavailable) == (1, 0)
    assert any(isinstance(e, ReplicaSetChanged) and e.image == "shop/api:2" for e in watch.events)
    assert any(isinstance(e, PodChanged) and e.ready for e in watch.events)


def test_a_never_ready_image_fails_at_the_progress_deadline(
    sim: Any, driver: Cluster, create_deployment: Callable[..., Any]
) -> None:
    create_deployment("api", "shop/api:1", progressDeadlineSeconds=60)
    settle(sim)
    sim.cluster.images.set("shop/api:broken", PodBehaviour.unready())
    driver.deploy("api", image="shop/api:broken", change_cause="c", release_id="r2")
    watch = Collector(driver.watch_rollout("api", timeout=600))
    watch.wait_for(lambda e: isinstance(e, RolloutProgress))
    settle(sim, 90, step=5)
    failed = watch.wait_for(lambda e: isinstance(e, RolloutFailed))
    assert failed.message == 'deployment "api" exceeded its progress deadline'
    watch.join()


def test_pods_that_cannot_pull_their_image_are_reported(
    sim: Any, driver: Cluster, create_deployment: Callable[..., Any]
) -> None:
    create_deployment("api", "shop/api:1")
    settle(sim)
    sim.cluster.images.set("shop/api:typo", PodBehaviour.bad_image())
    driver.deploy("api", image="shop/api:typo", change_cause="c", release_id="r2")
    watch = Collector(driver.watch_rollout("api", timeout=600))
    watch.wait_for(lambda e: isinstance(e, RolloutProgress))
    settle(sim, 30)
    pod = watch.wait_for(
        lambda e: isinstance(e, PodChanged) and e.waiting_reason == "ImagePullBackOff"
    )
    assert isinstance(pod, PodChanged)
    assert not pod.ready


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
    # The streams open right after the initial lists, on the shared watch's own threads.
    wait_until(
        lambda: open_watches(sim) - before >= 3,
        timeout=WAIT,
        what=lambda: f"three watch streams; {open_watches(sim) - before} are open",
    )
    time.sleep(STRAY_STREAM_WINDOW)
    assert open_watches(sim) - before == 3
    assert driver.namespace_watch().subscriber_count == 2
    settle(sim)
    api.join()
    web.join()
    assert driver.namespace_watch().subscriber_count == 0


def test_watch_resumes_after_the_connection_drops(
    sim: Any, driver: Cluster, create_deployment: Callable[..., Any]
) -> None:
    create_deployment("api", "shop/api:1")
    settle(sim)
    driver.deploy("api", image="shop/api:2", change_cause="c", release_id="r2")
    watch = Collector(driver.watch_rollout("api", timeout=600))
    watch.wait_for(lambda e: isinstance(e, RolloutProgress))
    sim.cluster.store.close_all_watches()
    settle(sim)
    watch.wait_for(lambda e: isinstance(e, RolloutSucceeded))
    watch.join()


def test_timeout_is_measured_on_the_injected_clock(
    sim: Any, create_deployment: Callable[..., Any]
) -> None:
    clock = ReadClock(sim.clock)
    driver = Cluster.connect(
        ClusterConfig(context=sim.context, kubeconfig=str(sim.kubeconfig)),
        NAMESPACE,
        clock=clock,
        timeouts=Timeouts(connect=2.0, read=5.0),
    )
    try:
        create_deployment("api", "shop/api:1")
        settle(sim)
        sim.cluster.images.set("shop/api:slow", PodBehaviour.unready())
        driver.deploy("api", image="shop/api:slow", change_cause="c", release_id="r2")
        watch = Collector(driver.watch_rollout("api", timeout=120))
        watch.wait_for(lambda e: isinstance(e, RolloutProgress))
        clock.wait_for_reads(1)  # the deadline is set: 120 s from now
        sim.cluster.advance(119)
        clock.wait_for_reads(2)  # the first compared 119 s to the deadline and went on
        assert not any(isinstance(e, RolloutTimedOut) for e in watch.events)
        sim.cluster.advance(1)
        timed_out = watch.wait_for(lambda e: isinstance(e, RolloutTimedOut))
        assert isinstance(timed_out, RolloutTimedOut)
        assert "1 out of 3 new replicas" in timed_out.last_status
        watch.join()
    finally:
        driver.close()


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


def test_watch_lists_again_when_its_version_is_gone(
    sim: Any, driver: Cluster, create_deployment: Callable[..., Any]
) -> None:
    from bot.kube.sim.resources import EVENTS
    from bot.kube.sim.store import HISTORY_LIMIT

    create_deployment("api", "shop/api:1")
    settle(sim)
    driver.deploy("api", image="shop/api:2", change_cause="c", release_id="r2")
    watch = Collector(driver.watch_rollout("api", timeout=600))
    watch.wait_for(lambda e: isinstance(e, RolloutProgress))
    store = sim.cluster.store
    with store.lock:
        # While the streams are down, push the watch's version out of the server's history.
        store.close_all_watches()
        note = {"metadata": {"name": "filler"}, "involvedObject": {}, "reason": "Filler"}
        store.create(EVENTS, NAMESPACE, note)
        for i in range(HISTORY_LIMIT + 1):
            note["reason"] = f"Filler{i}"
            store.update(EVENTS, NAMESPACE, note, check_version=False)
    settle(sim)
    watch.wait_for(lambda e: isinstance(e, RolloutSucceeded))
    watch.join()


def test_after_close_no_rollout_can_follow_a_watch_nobody_will_stop(
    sim: Any, driver: Cluster, create_deployment: Callable[..., Any]
) -> None:
    """A runner that starts following just as the bot closes used to subscribe to a watch
    that had already stopped (or start a new one) and wait for good, keeping the process
    alive at exit."""
    create_deployment("api", "shop/api:1")
    settle(sim)
    stopped_watch = driver.namespace_watch()
    driver.close()
    with pytest.raises(WatchStopped, match="shutting down"):
        driver.watch_rollout("api", timeout=600)
    with pytest.raises(WatchStopped, match="shutting down"):
        stopped_watch.subscribe()


def test_a_reader_arriving_after_the_watch_stopped_is_told_so_at_once(
    sim: Any, driver: Cluster, create_deployment: Callable[..., Any]
) -> None:
    create_deployment("api", "shop/api:1")
    settle(sim)
    watch = driver.namespace_watch()
    earlier = Collector(driver.watch_rollout("api", timeout=600))  # starts the shared watch
    earlier.wait_for(lambda e: isinstance(e, RolloutSucceeded))
    watch.stop()
    later = Collector(driver.watch_rollout("api", timeout=600))
    assert later.ended(WAIT), "a reader kept waiting on a stopped watch"
    assert isinstance(later.error, WatchStopped), later.error
