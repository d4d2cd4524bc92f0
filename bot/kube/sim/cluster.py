"""The simulated cluster as one object: store, controllers, pod behaviour and time.

Controllers run synchronously, to a fixed point, after every client write and whenever time
moves. With a :class:`~bot.clock.ManualClock` a test moves time with :meth:`advance` and sees
every intermediate state, in order, exactly when it would have happened; with the system clock
:meth:`start` runs a background thread for demos.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from bot.clock import Clock, ManualClock
from bot.kube.sim.behaviour import ImageBehaviours, PodBehaviour
from bot.kube.sim.deployments import DeploymentController
from bot.kube.sim.events import EventRecorder
from bot.kube.sim.gc import GarbageCollector
from bot.kube.sim.informer import Informer
from bot.kube.sim.kubelet import Kubelet
from bot.kube.sim.replicasets import ReplicaSetController
from bot.kube.sim.resources import DEPLOYMENTS, PODS, REPLICASETS
from bot.kube.sim.store import Store

MAX_PASSES = 10_000


class ReconcileLoopError(RuntimeError):
    """The controllers kept changing objects without settling: a simulator bug."""


class SimulatedCluster:
    def __init__(self, clock: Clock, *, default_behaviour: PodBehaviour | None = None) -> None:
        self.clock = clock
        self.store = Store(clock)
        self.images = ImageBehaviours(default_behaviour or PodBehaviour())
        self._informer = Informer(self.store)
        events = EventRecorder(self.store)
        self._kubelet = Kubelet(self.store, self._informer, events, self.images)
        self._replicasets = ReplicaSetController(self.store, self._informer, events)
        self._deployments = DeploymentController(self.store, self._informer, events)
        self._gc = GarbageCollector(self.store, self._informer)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def reconcile(self) -> None:
        """Run every controller until nothing changes any more, at the clock's current time."""
        with self.store.lock:
            self._informer.fire_timers(self.clock.now())
            passes = 0
            while self._informer.pending():
                passes += 1
                if passes > MAX_PASSES:
                    raise ReconcileLoopError("controllers did not settle; see the store history")
                for uid in self._gc.collect():
                    self._kubelet.forget(uid)
                for key in self._informer.take(PODS):
                    self._kubelet.sync(key)
                for key in self._informer.take(REPLICASETS):
                    self._replicasets.sync(key)
                for key in self._informer.take(DEPLOYMENTS):
                    self._deployments.sync(key)

    def next_wake(self) -> datetime | None:
        """The earliest time at which something will change without a client writing."""
        with self.store.lock:
            return self._informer.next_timer(self.clock.now())

    def after_write(self) -> None:
        """Called by the API server after each client write it accepted."""
        with self.store.lock:
            self.reconcile()

    def advance(self, seconds: float) -> None:
        """Move a manual clock forward, stopping at every moment something is due."""
        if not isinstance(self.clock, ManualClock):
            raise TypeError("advance() needs a ManualClock; a real-time cluster moves by itself")
        target = self.clock.now() + timedelta(seconds=seconds)
        with self.store.lock:
            self.reconcile()
            while True:
                wake = self.next_wake()
                if wake is None or wake > target:
                    break
                if wake > self.clock.now():
                    self.clock.set(wake)
                self.reconcile()
            self.clock.set(target)
            self.reconcile()

    def start(self, tick: float = 0.05) -> None:
        """Real-time mode: reconcile in a background thread as the clock moves."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(tick,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.store.close_all_watches()

    def _run(self, tick: float) -> None:
        while not self._stop.is_set():
            with self.store.lock:
                self.reconcile()
            self._stop.wait(tick)
