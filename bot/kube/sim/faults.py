"""Faults a test can ask of the simulated API server: answers that are slow, and watches
that cannot be opened, as a busy or restarting kube-apiserver gives them.

They are counted, not timed: "the next 3 GETs stall 2 s" ends by itself, so a test never
has to switch a fault off at the right moment.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    stall: float = 0.0
    """Real seconds to wait before answering."""
    drop: bool = False
    """Close the connection without an answer."""


NONE = Fault()


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stalls: list[float] = []
        self._dropped_watches = 0
        self.stalled = 0
        """GETs answered late so far."""
        self.dropped = 0
        """Watches refused so far."""

    def stall_gets(self, count: int, seconds: float) -> None:
        """The next ``count`` GETs that are not watches wait ``seconds`` before answering."""
        with self._lock:
            self._stalls.extend([seconds] * count)

    def drop_watches(self, count: int) -> None:
        """The next ``count`` watch requests have their connection closed unanswered."""
        with self._lock:
            self._dropped_watches += count

    def take(self, method: str, watch: bool) -> Fault:
        with self._lock:
            if watch and self._dropped_watches:
                self._dropped_watches -= 1
                self.dropped += 1
                return Fault(drop=True)
            if method == "GET" and not watch and self._stalls:
                self.stalled += 1
                return Fault(stall=self._stalls.pop(0))
            return NONE
