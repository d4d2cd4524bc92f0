"""Engines configured the one way releasebot needs, and fail-closed connection errors.

SQLite gets WAL (readers do not block the writer), foreign keys, a busy timeout, and
``BEGIN IMMEDIATE`` for every transaction: a deferred transaction that reads and then writes
can fail with "database is locked" without waiting, while an immediate one queues for the write
lock, so two threads racing for the same release both get a clean answer. It also makes
SAVEPOINT work, which the repository functions use to turn constraint violations into errors.
The price: on SQLite any open transaction, even one that only read, holds the write lock until
commit or rollback, so keep sessions short and never hold one across a slow side effect.
Threads of this process queue for that lock in order (``storage.writequeue``) rather than in
SQLite's busy handler.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError

from storage import writequeue
from storage.errors import ConnectionLost, DatabaseUnavailable

SQLITE_BUSY_TIMEOUT_SECONDS = 30
POSTGRES_CONNECT_TIMEOUT_SECONDS = 5

SUPPORTED = "sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE"


def normalize_url(url: str | URL) -> URL:
    """Accept the usual spellings of a PostgreSQL URL and pin the psycopg 3 driver."""
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise ValueError(f"not a database URL: expected {SUPPORTED}") from err
    if parsed.drivername in {"postgres", "postgresql", "postgresql+psycopg"}:
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername in {"sqlite", "sqlite+pysqlite"}:
        return parsed
    raise ValueError(
        f"unsupported database {parsed.drivername!r} in {redact(parsed)}: expected {SUPPORTED}"
    )


def redact(url: str | URL) -> str:
    """The URL as it may appear in messages and logs: without the password."""
    # URL.set() ignores None, so the password is removed with the NamedTuple's _replace.
    return make_url(url)._replace(password=None).render_as_string(hide_password=False)


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for ``url``; connection failures surface as ``DatabaseUnavailable``."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(parsed, **kwargs)
    else:
        connect_args = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS}
        connect_args.update(kwargs.pop("connect_args", {}))
        engine = create_engine(parsed, pool_pre_ping=True, connect_args=connect_args, **kwargs)
    _fail_closed(engine)
    return engine


def _sqlite_engine(url: URL, **kwargs: Any) -> Engine:
    connect_args: dict[str, Any] = {
        "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
        "check_same_thread": False,
    }
    connect_args.update(kwargs.pop("connect_args", {}))
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    in_memory = url.database in {None, "", ":memory:"}

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so BEGIN IMMEDIATE and SAVEPOINT work.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    # Listeners run in the order they were added: queue first, then take SQLite's lock.
    writequeue.install(engine, timeout=SQLITE_BUSY_TIMEOUT_SECONDS)

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _fail_closed(engine: Engine) -> None:
    """Connection failures become ``DatabaseUnavailable``, except during the pool's pre-ping.

    A pooled connection the server ended (``pg_terminate_backend``, a failover, a restarted
    pooler) fails its pre-ping as a disconnect; SQLAlchemy then discards it and opens another,
    and the caller never knows. Raising here would turn that healing into an outage. If the
    fresh connection cannot be opened either, the database really is down, and the connect
    failure that follows fails closed as usual.
    """
    shown = redact(engine.url)

    @event.listens_for(engine, "handle_error")
    def _unavailable(context: ExceptionContext) -> None:
        if context.is_pre_ping:
            return
        if context.connection is None or context.is_disconnect:
            reason = str(context.original_exception).strip().splitlines()
            error = ConnectionLost if context.connection is not None else DatabaseUnavailable
            raise error(
                shown, reason[0] if reason else type(context.original_exception).__name__
            ) from context.original_exception


def single_statements(engine: Engine) -> Engine:
    """``engine`` for work that is one statement: on PostgreSQL in autocommit, which saves the
    BEGIN and COMMIT round trips (the idempotency record written before every Slack request's
    work). SQLite keeps its transactions: they are what queue it for the write lock."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine
