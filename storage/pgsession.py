"""A PostgreSQL session of the process's own, for advisory locks that must outlive pool checkouts.

Session-level advisory locks belong to a connection: the leader lock and the rollout claims
each keep one open (autocommit, TCP keepalives so a dead peer is noticed) and lose their locks
with it. Once closed, a session never reconnects: a late caller during shutdown must not open
a new session that would hold locks until the process exits.
"""

from __future__ import annotations

import logging

import psycopg
from sqlalchemy import Engine

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 5
KEEPALIVE = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 10_000,
}
"""libpq settings that let a dead network end the session (and its locks) in about 10 s."""

Connection = psycopg.Connection[tuple[object, ...]]


class SessionClosed(psycopg.OperationalError):
    """The session was closed on purpose (shutdown); nothing reconnects it."""


class OwnSession:
    """One autocommit connection, opened on demand; not thread-safe (callers hold a lock)."""

    def __init__(self, conninfo: str, application_name: str) -> None:
        self._conninfo = conninfo
        self._name = application_name
        self._connection: Connection | None = None
        self._closed = False

    @property
    def backend_pid(self) -> int | None:
        connection = self._connection
        return None if connection is None or connection.closed else connection.info.backend_pid

    @property
    def alive(self) -> bool:
        return self._connection is not None and not self._connection.closed

    def connect(self) -> tuple[Connection, bool]:
        """The open connection, and whether it was opened just now (locks held on an earlier
        one are gone)."""
        if self._closed:
            raise SessionClosed(f"{self._name}: the session was closed for good")
        if self._connection is not None and not self._connection.closed:
            return self._connection, False
        self._connection = psycopg.connect(
            self._conninfo,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            application_name=self._name,
            **KEEPALIVE,  # type: ignore[arg-type]
        )
        return self._connection, True

    def drop(self) -> None:
        """Close the connection (its locks go with it); the next ``connect`` opens another."""
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except psycopg.Error:
                log.debug("%s: closing a dead connection failed", self._name, exc_info=True)

    def close(self) -> None:
        self._closed = True
        self.drop()


def conninfo_for(engine: Engine) -> str:
    """A libpq URI for a connection of our own next to ``engine``'s pool."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def first_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__
