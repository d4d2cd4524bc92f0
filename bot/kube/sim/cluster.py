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
from bot.kube.sim.store import Store


class SimulatedCluster:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.store = Store(clock)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def reconcile(self) -> None:
        """Run every controller until nothing changes any more, at the clock's current time."""

    def next_wake(self) -> datetime | None:
        """The earliest time at which something will change without a client writing."""
        return None

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
