"""One leader among replicas: it runs the scheduled jobs and the rollout watchers.

Every replica serves Slack and the hooks and follows the rollouts it starts itself; only the
leader resumes releases another process left ``rolling_out``, watches for changes made
outside releasebot and runs the scheduler. :class:`Leadership` asks the lock every few
seconds; winning it calls ``on_elected``, losing it (the database session is gone) calls
``on_demoted``. Overlapping leaders are harmless: the database refuses a second active
release and every state change is a compare-and-set, so at most one of them acts on it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from storage.leadership import LeaderLock

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0
"""Real seconds between two looks at the lock: how long a replica may lead alone after the
database freed the lock, and how long a new leader may take to notice it can lead."""


class Leadership:
    def __init__(
        self,
        lock: LeaderLock,
        *,
        on_elected: Callable[[], None],
        on_demoted: Callable[[], None],
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self._lock = lock
        self._on_elected = on_elected
        self._on_demoted = on_demoted
        self._retry = retry_seconds
        self._leading = False
        self._step_lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def is_leader(self) -> bool:
        return self._leading

    def step(self) -> bool:
        """Look at the lock once and act on a change; True while this process leads."""
        with self._step_lock:
            if self._stopping.is_set():
                return False
            held = self._lock.hold()
            if held and not self._leading:
                self._leading = True
                log.info("this replica is now the leader: resuming rollouts and scheduled jobs")
                _call(self._on_elected, "taking over as leader")
            elif not held and self._leading:
                self._leading = False
                log.warning("this replica lost the leadership: stopping leader-only jobs")
                _call(self._on_demoted, "stepping down as leader")
            return held

    def start(self) -> None:
        """Try once now (so a lone replica leads before it serves), then keep trying."""
        self.step()
        self._thread = threading.Thread(target=self._run, name="leadership", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop trying, step down and free the lock for the next replica."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        with self._step_lock:
            if self._leading:
                self._leading = False
                _call(self._on_demoted, "stepping down as leader")
            self._lock.release()

    def _run(self) -> None:
        while not self._stopping.wait(self._retry):
            self.step()


def _call(callback: Callable[[], None], doing: str) -> None:
    try:
        callback()
    except Exception:
        log.exception("%s failed", doing)
