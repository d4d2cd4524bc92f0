from __future__ import annotations

import socket
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from storage.engine import make_engine, normalize_url
from storage.errors import DatabaseUnavailable
from storage.migrate import upgrade
from tests.storage.conftest import fresh_postgres_database


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_postgres_fails_closed_without_leaking_the_password() -> None:
    port = _closed_port()
    engine = make_engine(f"postgresql://releasebot:s3cret-pw@127.0.0.1:{port}/releasebot")
    with pytest.raises(DatabaseUnavailable) as caught, engine.connect():
        pass
    message = str(caught.value)
    assert f"postgresql+psycopg://releasebot@127.0.0.1:{port}/releasebot" in message
    assert "s3cret-pw" not in message
    assert "RELEASEBOT_DATABASE_URL" in message
    assert caught.value.retryable


def test_upgrade_against_an_unreachable_database_raises_database_unavailable() -> None:
    with pytest.raises(DatabaseUnavailable, match="cannot reach the database"):
        upgrade(f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/test")


def test_sqlite_in_a_missing_directory_is_unavailable(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/missing/dir/releasebot.db")
    with pytest.raises(DatabaseUnavailable, match="unable to open database file"):
        engine.connect()


def test_urls_pin_psycopg_and_refuse_other_databases() -> None:
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    with pytest.raises(ValueError, match=r"unsupported database 'mysql'.*sqlite:///PATH"):
        normalize_url("mysql://u:pw@h/db")


def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine: Engine = make_engine(f"sqlite:///{tmp_path}/releasebot.db")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000


def _terminate_sessions_of(admin: str, database: str) -> int:
    """What a DBA, a failover or a restarted pooler does: the server ends every session."""
    with psycopg.connect(admin, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        ).fetchall()
    return len(rows)


def test_a_pooled_connection_the_server_ended_is_replaced_and_the_request_goes_on(
    postgres_admin: str,
) -> None:
    with fresh_postgres_database(postgres_admin) as url:
        engine = make_engine(url, pool_size=2)
        try:
            with engine.connect() as connection:
                first = connection.execute(text("SELECT pg_backend_pid()")).scalar()
            assert _terminate_sessions_of(postgres_admin, str(make_url(url).database)) == 1
            with engine.connect() as connection:
                second = connection.execute(text("SELECT pg_backend_pid()")).scalar()
            assert second != first
        finally:
            engine.dispose()


def test_a_database_that_is_really_down_still_fails_closed_after_a_healed_pool(
    postgres_admin: str,
) -> None:
    """Pre-ping replaces a dead connection; when the replacement cannot connect either, the
    caller hears DatabaseUnavailable, not a driver error."""
    with fresh_postgres_database(postgres_admin) as url:
        engine = make_engine(url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        database = str(make_url(url).database)
        with psycopg.connect(postgres_admin, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS false')
        try:
            _terminate_sessions_of(postgres_admin, database)
            with pytest.raises(DatabaseUnavailable, match="cannot reach the database"):
                engine.connect()
        finally:
            with psycopg.connect(postgres_admin, autocommit=True) as admin:
                admin.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true')
            engine.dispose()
