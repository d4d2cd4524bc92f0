"""A pyinstrument profile of a multi-threaded round: one profiler per call, combined.

pyinstrument samples only the thread that started it, and the bot's time is spent on many
threads (the HTTP front's pool running Bolt's dispatch and the ack, the work pool after the
ack). So each wrapped call runs under a profiler of its own and the sessions are combined:
the top entries then say where the wall time of acks and of the work beside them goes.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from functools import reduce
from typing import Any, ParamSpec, TypeVar

from pyinstrument import Profiler
from pyinstrument.frame import Frame
from pyinstrument.session import Session

P = ParamSpec("P")
T = TypeVar("T")

INTERVAL_SECONDS = 0.0005


class ThreadProfiles:
    def __init__(self) -> None:
        self.active = False
        self._lock = threading.Lock()
        self._sessions: dict[str, list[Session]] = {}

    def wrap(self, label: str, fn: Callable[P, T]) -> Callable[P, T]:
        """``fn``, profiled under ``label`` while :attr:`active` is set."""

        def profiled(*args: P.args, **kwargs: P.kwargs) -> T:
            if not self.active:
                return fn(*args, **kwargs)
            profiler = Profiler(interval=INTERVAL_SECONDS, async_mode="disabled")
            profiler.start()
            try:
                return fn(*args, **kwargs)
            finally:
                session = profiler.stop()
                with self._lock:
                    self._sessions.setdefault(label, []).append(session)

        return profiled

    def report(self, top: int = 12) -> list[str]:
        """Per label: calls, wall seconds, and the functions with the most self time."""
        lines: list[str] = []
        for label, sessions in sorted(self._sessions.items()):
            combined = reduce(Session.combine, sessions)
            root = combined.root_frame()
            if root is None:
                continue
            selfs: Counter[str] = Counter()
            _self_times(root, selfs)
            total = sum(selfs.values()) or 1.0
            lines.append(
                f"  {label}: {len(sessions)} calls, {combined.duration:.2f} s of wall time "
                f"summed over threads; top self time:"
            )
            for where, seconds in selfs.most_common(top):
                lines.append(f"    {seconds * 1000:8.1f} ms  {seconds / total:5.1%}  {where}")
        return lines


def _self_times(frame: Frame, into: Counter[str]) -> None:
    children: list[Any] = list(frame.children)
    own = frame.time - sum(child.time for child in children)
    named = frame.parent if frame.is_synthetic and frame.parent is not None else frame
    if own > 0:
        where = f"{named.function} ({named.file_path_short}:{named.line_no})"
        if named.file_path_short == "<built-in>":
            # a lock or a socket says little on its own; who waits on it says what it is
            callers = []
            caller = named.parent
            while caller is not None and len(callers) < 2:
                callers.append(f"{caller.function} ({caller.file_path_short}:{caller.line_no})")
                caller = caller.parent
            where = f"{named.function} in " + " ← ".join(callers)
        into[where] += own
    for child in children:
        _self_times(child, into)
