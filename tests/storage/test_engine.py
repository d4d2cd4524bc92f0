from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from storage.engine import make_engine, normalize_url
from storage.errors import DatabaseUnavailable
from storage.migrate import upgrade


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
