"""Time for everything that waits: the workflow, the scheduler and the simulated cluster.

Nothing in releasebot reads the wall clock directly, so tests drive time by hand instead of
sleeping on a schedule.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class ManualClock:
    """A clock that moves only when told to; ``sleep`` returns once it was advanced far enough."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._moved = threading.Condition()

    def now(self) -> datetime:
        with self._moved:
            return self._now

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        with self._moved:
            self._now += timedelta(seconds=seconds)
            self._moved.notify_all()
            return self._now

    def set(self, when: datetime) -> None:
        with self._moved:
            if when < self._now:
                raise ValueError("a clock does not go backwards")
            self._now = when
            self._moved.notify_all()

    def sleep(self, seconds: float) -> None:
        with self._moved:
            until = self._now + timedelta(seconds=seconds)
            while self._now < until:
                self._moved.wait()
