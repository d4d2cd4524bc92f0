"""Every storage test runs twice: on a fresh SQLite file and on a fresh PostgreSQL database.

PostgreSQL is found at RELEASEBOT_TEST_POSTGRES_URL (default: user postgres, trust auth, on
127.0.0.1:5432, database ``test``); each test gets its own database, dropped afterwards, so
parallel runs never collide. Where PostgreSQL is not reachable those tests skip, saying why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import Session

from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import ReleaseCreate, ReleaseKind

ADMIN_URL = os.environ.get(
    "RELEASEBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DIGEST = "sha256:" + "a" * 64


def _admin_conninfo() -> str:
    url = make_url(ADMIN_URL)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[str]:
    try:
        with psycopg.connect(_admin_conninfo(), connect_timeout=3, autocommit=True):
            pass
    except psycopg.Error as err:
        pytest.skip(
            f"PostgreSQL is not reachable at {make_url(ADMIN_URL).render_as_string()} "
            f"({str(err).strip()}); set RELEASEBOT_TEST_POSTGRES_URL to a server where this "
            "user may CREATE DATABASE"
        )
    yield _admin_conninfo()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/releasebot.db"
        return
    with fresh_postgres_database(request.getfixturevalue("postgres_admin")) as url:
        yield url


@contextmanager
def fresh_postgres_database(admin: str, prefix: str = "releasebot_test") -> Iterator[str]:
    """A new, empty database on the test server (its SQLAlchemy URL), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield (
            make_url(ADMIN_URL)
            .set(drivername="postgresql+psycopg", database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


def release_in(
    *, service: str = "api", environment: str = "production", requester: str = "U0REQUEST"
) -> ReleaseCreate:
    return ReleaseCreate(
        service=service,
        environment=environment,
        version="1.4.2",
        image="registry.example.com/shop/api:1.4.2",
        digest=DIGEST,
        kind=ReleaseKind.DEPLOY,
        requester_user_id=requester,
        requester_team_id="T0TEAM",
        reason="weekly release",
        required_approvals=2,
    )
