"""First come, first served for SQLite's one write lock, inside the process.

Every releasebot transaction on SQLite is ``BEGIN IMMEDIATE`` and so takes the database's
single write lock. Left to SQLite, threads that find it taken sleep in the busy handler
(1, 2, 5 … 100 ms) and retry: the lock is often free while they sleep and a newcomer can take
it again and again, so under load a few requests wait seconds for a lock that is mostly free.
Queueing the threads here instead hands the lock straight to the next one in line.

Writes that a person is waiting on (the idempotency record every Slack request writes before
its work) may jump ahead of background work with :func:`urgent`: a rollout's bookkeeping can
wait a few milliseconds, a reply in Slack should not.

The lock is taken when a connection begins a transaction and given back when the connection
returns to the pool, which a ``Session`` does right after its commit or rollback. A thread
that already holds it and opens a second connection does not queue behind itself.
"""

from __future__ import annotations

import itertools
import logging
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Engine, event

log = logging.getLogger(__name__)

_URGENT: ContextVar[bool] = ContextVar("releasebot_urgent_write", default=False)
_HOLDS = "releasebot_holds_write_queue"
_QUEUES: weakref.WeakKeyDictionary[Engine, WriteQueue] = weakref.WeakKeyDictionary()


@contextmanager
def urgent() -> Iterator[None]:
    """Transactions begun in this block go to the front of the queue (behind other urgent
    ones, in order)."""
    token = _URGENT.set(True)
    try:
        yield
    finally:
        _URGENT.reset(token)


class WriteQueue:
    """A fair lock with two lanes; the holder is a thread, re-entered without queueing."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._tickets = itertools.count()
        self._waiting: list[tuple[int, int]] = []  # (lane, ticket), lane 0 = urgent
        self._owner: int | None = None
        self._depth = 0

    def acquire(self, *, urgent: bool = False, timeout: float | None = None) -> int | None:
        """Wait for the lock; returns the holder (this thread) to give to :meth:`release`,
        or None when ``timeout`` passed first (the caller goes on and leaves the waiting to
        SQLite's busy handler, so a forgotten open session slows others but hangs nobody)."""
        me = threading.get_ident()
        with self._condition:
            if self._owner == me:
                self._depth += 1
                return me
            place = (0 if urgent else 1, next(self._tickets))
            self._waiting.append(place)

            def my_turn() -> bool:
                return self._owner is None and min(self._waiting) == place

            got = self._condition.wait_for(my_turn, timeout)
            self._waiting.remove(place)
            if not got:
                self._condition.notify_all()
                return None
            self._owner = me
            self._depth = 1
            return me

    def release(self, owner: int | None = None) -> None:
        """``owner``: the thread that acquired, when another one gives back for it (a
        connection can be returned to the pool by the garbage collector)."""
        with self._condition:
            if self._owner != (owner if owner is not None else threading.get_ident()):
                raise RuntimeError("the write queue was given back for a thread not holding it")
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._condition.notify_all()

    @property
    def held_here(self) -> bool:
        """Whether the calling thread holds the lock."""
        with self._condition:
            return self._owner == threading.get_ident()

    @property
    def waiting(self) -> int:
        with self._condition:
            return len(self._waiting)


def install(engine: Engine, *, timeout: float) -> WriteQueue:
    """Queue ``engine``'s transactions; install before the listener that sends ``BEGIN``."""
    queue = _QUEUES[engine] = WriteQueue()

    @event.listens_for(engine, "begin")
    def _queue(connection: Any) -> None:
        info = connection.connection.info
        if _HOLDS not in info:
            owner = queue.acquire(urgent=_URGENT.get(), timeout=timeout)
            if owner is None:
                log.warning(
                    "a transaction has held SQLite's write lock for over %s s (a session left "
                    "open across slow work?); going on, SQLite's busy timeout decides now",
                    timeout,
                )
            else:
                info[_HOLDS] = owner

    def _give_back(_dbapi_connection: Any, record: Any, *_: Any) -> None:
        owner = record.info.pop(_HOLDS, None) if record is not None else None
        if owner is not None:
            queue.release(owner)

    event.listen(engine.pool, "checkin", _give_back)
    event.listen(engine.pool, "invalidate", _give_back)
    return queue


def holds(engine: Engine) -> bool:
    """Whether the calling thread holds ``engine``'s write queue (False without a queue)."""
    queue = _QUEUES.get(engine)
    return queue is not None and queue.held_here
