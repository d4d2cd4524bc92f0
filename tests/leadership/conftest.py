"""A fresh PostgreSQL database per test (leadership is a PostgreSQL matter), and releasebot
wired to it twice over one simulated cluster: two replicas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from bot.kube.sim.serve import SimHandle
from tests.storage.conftest import (  # noqa: F401  (fixture)
    fresh_postgres_database,
    postgres_admin,
)
from tests.workflow.harness import Harness, harness_fixture, make_harness


@pytest.fixture
def pg_url(postgres_admin: str) -> Iterator[str]:  # noqa: F811
    with fresh_postgres_database(postgres_admin) as url:
        yield url


@pytest.fixture
def replicas(sim: SimHandle, tmp_path: Path, pg_url: str) -> Iterator[tuple[Harness, Harness]]:
    """Two workflows (replica A and replica B) on one database and one cluster."""
    a = make_harness(sim, tmp_path, database=pg_url)
    b = make_harness(sim, tmp_path, database=pg_url)
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def terminate(admin: str, pid: int) -> None:
    """What a crashed host or a DBA does to a session: the server ends it."""
    with psycopg.connect(admin, autocommit=True) as connection:
        row = connection.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()
    assert row is not None and row[0] is True


@pytest.fixture
def h(sim: SimHandle, tmp_path: Path) -> Iterator[Harness]:
    yield from harness_fixture(sim, tmp_path)
