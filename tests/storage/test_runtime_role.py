"""On PostgreSQL the bot runs as a role that appends to and reads the audit log, and nothing
more: it cannot change rows, alter the table, or disable, drop or replace the trigger.

The migrations run as the owner (the test server's superuser); ``releasebot db grant`` gives
a fresh login role its rights; the bot's own storage code then works as that role.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import Session

from commands.cli import main
from storage.audit import append_event, verify_chain
from storage.engine import make_engine
from storage.models import AuditEventCreate
from storage.releases import create_release
from tests.storage.conftest import NOW, release_in


@pytest.fixture
def runtime(database_url: str, engine: Engine, postgres_admin: str) -> Iterator[tuple[str, str]]:
    role = f"rb_runtime_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_admin, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'runtime-pw'")
    url = (
        make_url(database_url)
        .set(username=role, password="runtime-pw")
        .render_as_string(hide_password=False)
    )
    try:
        yield role, url
    finally:
        engine.dispose()
        with psycopg.connect(postgres_admin, autocommit=True) as admin:
            database = make_url(database_url).database
            admin.execute(f"REASSIGN OWNED BY {role} TO postgres")
            with psycopg.connect(
                make_url(database_url)
                .set(drivername="postgresql")
                .render_as_string(hide_password=False),
                autocommit=True,
            ) as inside:
                inside.execute(f"DROP OWNED BY {role}")
            assert database
            admin.execute(f"DROP ROLE {role}")


pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

REFUSED = [
    "UPDATE audit_events SET outcome = 'x'",
    "DELETE FROM audit_events",
    "TRUNCATE audit_events",
    "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
    "ALTER TABLE audit_events DISABLE TRIGGER USER",
    "DROP TRIGGER audit_events_append_only ON audit_events",
    "ALTER TABLE audit_events ADD COLUMN note text",
    "DROP TABLE audit_events",
    "CREATE OR REPLACE FUNCTION releasebot_audit_append_only() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
    "SET session_replication_role = replica",
]


def test_the_runtime_role_appends_and_reads_but_cannot_change_the_log(
    runtime: tuple[str, str],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    role, url = runtime
    monkeypatch.setenv("RELEASEBOT_DATABASE_URL", database_url)
    assert main(["db", "grant", role]) == 0
    assert f"{role} may now run the bot" in capsys.readouterr().out

    bot = make_engine(url)
    try:
        with Session(bot) as session:
            release = create_release(session=session, release_in=release_in(), now=NOW)
            for i in range(3):
                append_event(
                    session=session,
                    event_in=AuditEventCreate(action="deploy_requested", release_id=release.id),
                    now=NOW + timedelta(seconds=i),
                )
            session.commit()
            assert verify_chain(session=session).checked == 3
        conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        for statement in REFUSED:
            with psycopg.connect(conninfo) as raw, pytest.raises(psycopg.Error) as caught:
                raw.execute(statement)
            assert isinstance(
                caught.value,
                (psycopg.errors.InsufficientPrivilege, psycopg.errors.RaiseException),
            ), (statement, caught.value)
        with Session(bot) as session:
            assert verify_chain(session=session).checked == 3
    finally:
        bot.dispose()


def test_grant_refuses_the_owner_and_unknown_roles(
    runtime: tuple[str, str], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELEASEBOT_DATABASE_URL", database_url)
    assert main(["db", "grant", "postgres"]) == 2  # the owner, and a superuser
    assert main(["db", "grant", "no_such_role_here"]) == 2
    assert main(["db", "grant", "Robert'); DROP TABLE releases;--"]) == 2
