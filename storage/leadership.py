"""Who leads: the lock that lets one replica run the scheduler and the rollout watchers.

On PostgreSQL the leader holds a session-level advisory lock on a connection of its own, held
open. The server frees the lock when that session ends, so a leader that dies, is partitioned
away (TCP keepalives and ``tcp_user_timeout`` notice within seconds) or has its backend
terminated stops being leader without anyone's help. On SQLite there is one process by
design, so it always leads.

The lock is a lease, not a guarantee: for a moment two processes may both believe they lead
(the old one has not noticed yet). The database's constraints and compare-and-set state
transitions keep that harmless.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import Protocol

import psycopg
from sqlalchemy import Engine

log = logging.getLogger(__name__)

LEADER_KEY = int.from_bytes(hashlib.sha256(b"releasebot leader").digest()[:8], "big", signed=True)
"""The advisory lock's key: the same for every replica on one database."""

CONNECT_TIMEOUT_SECONDS = 5
KEEPALIVE = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 10_000,
}
"""libpq settings that let a dead network end the session (and the lease) in about 10 s."""


class LeaderLock(Protocol):
    def hold(self) -> bool:
        """Take the lock if it is free, or confirm it is still held: True while this process
        leads; False when another process leads or the database cannot be reached."""
        ...

    def release(self) -> None:
        """Give the lock up (shutting down), so another replica can lead at once."""
        ...

    @property
    def backend_pid(self) -> int | None:
        """The database session holding (or trying for) the lock, when there is one."""
        ...


class SoleProcess:
    """SQLite: one process owns the database file, so it always leads."""

    def hold(self) -> bool:
        return True

    def release(self) -> None:
        return None

    @property
    def backend_pid(self) -> int | None:
        return None


class AdvisoryLock:
    """``pg_try_advisory_lock`` on a dedicated autocommit connection, kept open while held.

    Not thread-safe by itself; calls are serialised with a lock because the leadership loop
    and shutdown may both call it.
    """

    def __init__(self, conninfo: str, key: int = LEADER_KEY) -> None:
        self._conninfo = conninfo
        self._key = key
        self._mutex = threading.Lock()
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None
        self._held = False

    @property
    def backend_pid(self) -> int | None:
        connection = self._connection
        return None if connection is None or connection.closed else connection.info.backend_pid

    def hold(self) -> bool:
        with self._mutex:
            try:
                connection = self._connect()
                if self._held:
                    connection.execute("SELECT 1")  # the session lives, so the lock does
                else:
                    row = connection.execute(
                        "SELECT pg_try_advisory_lock(%s)", (self._key,)
                    ).fetchone()
                    self._held = bool(row and row[0])
                return self._held
            except psycopg.Error as err:
                log.warning("leader lock: the database session is gone (%s)", _first_line(err))
                self._drop()
                return False

    def release(self) -> None:
        with self._mutex:
            if self._connection is not None and not self._connection.closed and self._held:
                try:
                    self._connection.execute("SELECT pg_advisory_unlock(%s)", (self._key,))
                except psycopg.Error as err:
                    log.warning("leader lock: could not unlock (%s)", _first_line(err))
            self._drop()

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._connection is None or self._connection.closed:
            self._held = False
            self._connection = psycopg.connect(
                self._conninfo,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                application_name="releasebot-leader",
                **KEEPALIVE,  # type: ignore[arg-type]
            )
        return self._connection

    def _drop(self) -> None:
        self._held = False
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except psycopg.Error:
                log.debug("leader lock: closing a dead connection failed", exc_info=True)


def leader_lock(engine: Engine) -> LeaderLock:
    """The lock that fits ``engine``'s database."""
    if engine.url.get_backend_name() == "sqlite":
        return SoleProcess()
    return AdvisoryLock(conninfo_for(engine))


def conninfo_for(engine: Engine) -> str:
    """A libpq URI for a connection of our own next to ``engine``'s pool."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _first_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__
