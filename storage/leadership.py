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

from storage.pgsession import OwnSession, conninfo_for, first_line

log = logging.getLogger(__name__)

LEADER_KEY = int.from_bytes(hashlib.sha256(b"releasebot leader").digest()[:8], "big", signed=True)
"""The advisory lock's key: the same for every replica on one database."""


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
    """``pg_try_advisory_lock`` on a session of its own, kept open while held; calls are
    serialised because the leadership loop and shutdown may both make them."""

    def __init__(self, conninfo: str, key: int = LEADER_KEY) -> None:
        self._key = key
        self._mutex = threading.Lock()
        self._session = OwnSession(conninfo, "releasebot-leader")
        self._held = False

    @property
    def backend_pid(self) -> int | None:
        return self._session.backend_pid

    def hold(self) -> bool:
        with self._mutex:
            try:
                connection, fresh = self._session.connect()
                if self._held and not fresh:
                    connection.execute("SELECT 1")  # the session lives, so the lock does
                else:
                    row = connection.execute(
                        "SELECT pg_try_advisory_lock(%s)", (self._key,)
                    ).fetchone()
                    self._held = bool(row and row[0])
                return self._held
            except psycopg.Error as err:
                log.warning("leader lock: the database session is gone (%s)", first_line(err))
                self._held = False
                self._session.drop()
                return False

    def release(self) -> None:
        """Give the lock up for good (shutting down): the session is closed, never reopened."""
        with self._mutex:
            if self._session.alive and self._held:
                try:
                    connection, _ = self._session.connect()
                    connection.execute("SELECT pg_advisory_unlock(%s)", (self._key,))
                except psycopg.Error as err:
                    log.warning("leader lock: could not unlock (%s)", first_line(err))
            self._held = False
            self._session.close()


def leader_lock(engine: Engine) -> LeaderLock:
    """The lock that fits ``engine``'s database."""
    if engine.url.get_backend_name() == "sqlite":
        return SoleProcess()
    return AdvisoryLock(conninfo_for(engine))
