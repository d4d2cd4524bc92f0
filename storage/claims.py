"""Who follows which rollout: a claim per release, held while a process follows it.

With several replicas the leader adopts releases left ``rolling_out`` by a process that died;
it must not adopt one that a live replica is still following (Slack would hear everything
twice). On PostgreSQL a claim is a session-level advisory lock keyed by the release, taken on a
connection of this process's own: the server frees every claim of a process whose session
ends, so a dead replica's rollouts become adoptable by themselves. SQLite has one process, so
an in-process set is enough. Both refuse a second claim from the same process, so a process
never follows one release twice either.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from typing import Protocol

import psycopg
from sqlalchemy import Engine

from storage.pgsession import Connection, OwnSession, SessionClosed, conninfo_for, first_line

log = logging.getLogger(__name__)


def claim_key(release_id: uuid.UUID) -> int:
    return int.from_bytes(
        hashlib.sha256(b"releasebot release " + release_id.bytes).digest()[:8], "big", signed=True
    )


class ReleaseClaims(Protocol):
    def try_claim(self, release_id: uuid.UUID) -> bool:
        """True when this process now holds the claim; False when it or another process
        already follows the release, or when the database cannot say."""
        ...

    def free(self, release_id: uuid.UUID) -> None: ...

    def close(self) -> None: ...


class LocalClaims:
    """One process (SQLite, and tests of the workflow alone)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: set[uuid.UUID] = set()

    def try_claim(self, release_id: uuid.UUID) -> bool:
        with self._lock:
            if release_id in self._held:
                return False
            self._held.add(release_id)
            return True

    def free(self, release_id: uuid.UUID) -> None:
        with self._lock:
            self._held.discard(release_id)

    def close(self) -> None:
        with self._lock:
            self._held.clear()


class AdvisoryClaims:
    """``pg_try_advisory_lock`` per release on one session of this process."""

    def __init__(self, conninfo: str) -> None:
        self._lock = threading.Lock()
        self._held: set[uuid.UUID] = set()
        self._session = OwnSession(conninfo, "releasebot-claims")

    @property
    def backend_pid(self) -> int | None:
        return self._session.backend_pid

    def try_claim(self, release_id: uuid.UUID) -> bool:
        with self._lock:
            if release_id in self._held:
                return False
            row = None
            for attempt in range(2):
                try:
                    row = (
                        self._connect()
                        .execute("SELECT pg_try_advisory_lock(%s)", (claim_key(release_id),))
                        .fetchone()
                    )
                    break
                except psycopg.Error as err:
                    # A session the server ended says nothing about who follows the release:
                    # open a new one (taking back this process's claims) and ask again.
                    self._session.drop()
                    if attempt or isinstance(err, SessionClosed):
                        log.warning("cannot claim release %s: %s", release_id, first_line(err))
                        return False
            if row and row[0]:
                self._held.add(release_id)
                return True
            return False

    def free(self, release_id: uuid.UUID) -> None:
        with self._lock:
            if release_id not in self._held:
                return
            self._held.discard(release_id)
            if not self._session.alive:
                return  # the session, and the lock with it, is gone already
            try:
                self._connect().execute("SELECT pg_advisory_unlock(%s)", (claim_key(release_id),))
            except psycopg.Error as err:
                log.warning("cannot free the claim on %s: %s", release_id, first_line(err))
                self._session.drop()

    def close(self) -> None:
        with self._lock:
            self._held.clear()
            self._session.close()

    def _connect(self) -> Connection:
        connection, fresh = self._session.connect()
        if fresh:
            self._reclaim(connection)
        return connection

    def _reclaim(self, connection: Connection) -> None:
        """A new session: take back what this process still follows, where nobody took it.
        A claim another replica took meanwhile is that replica's now."""
        for release_id in sorted(self._held):
            row = connection.execute(
                "SELECT pg_try_advisory_lock(%s)", (claim_key(release_id),)
            ).fetchone()
            if not (row and row[0]):
                self._held.discard(release_id)
                log.warning(
                    "release %s was adopted by another replica while this one's database "
                    "session was down; both may report on it until this one's rollout ends",
                    release_id,
                )


def release_claims(engine: Engine) -> ReleaseClaims:
    if engine.url.get_backend_name() == "sqlite":
        return LocalClaims()
    return AdvisoryClaims(conninfo_for(engine))
