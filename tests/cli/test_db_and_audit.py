"""`releasebot db upgrade` and `releasebot audit verify` on a real SQLite file."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session

from commands.cli import main
from storage.audit import append_event
from storage.engine import make_engine
from storage.models import AuditEventCreate
from tests.storage.conftest import database_url, postgres_admin  # noqa: F401  (fixtures)


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "releasebot.db"
    monkeypatch.setenv("RELEASEBOT_DATABASE_URL", f"sqlite:///{path}")
    return path


def test_upgrade_then_verify_an_intact_log(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "upgrade"]) == 0  # repeating it is harmless
    engine = make_engine(f"sqlite:///{database}")
    with Session(engine) as session:
        for action in ("release.requested", "vote.cast", "release.succeeded"):
            append_event(
                session=session,
                event_in=AuditEventCreate(action=action, actor_user_id="U1", service="api"),
                now=datetime(2026, 11, 26, 12, tzinfo=UTC),
            )
        session.commit()
    engine.dispose()
    assert main(["audit", "verify"]) == 0
    assert "audit log intact, 3 event(s) checked" in capsys.readouterr().out


def test_verify_reports_the_first_edited_event(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    engine = make_engine(f"sqlite:///{database}")
    with Session(engine) as session:
        for user in ("U1", "U2", "U3"):
            append_event(
                session=session,
                event_in=AuditEventCreate(action="vote.cast", actor_user_id=user),
                now=datetime(2026, 11, 26, 12, tzinfo=UTC),
            )
        session.commit()
    engine.dispose()
    with sqlite3.connect(database) as raw:
        seqs = [row[0] for row in raw.execute("SELECT seq FROM audit_events ORDER BY seq")]
        raw.execute("UPDATE audit_events SET actor_user_id = 'U9' WHERE seq = ?", (seqs[1],))
    assert main(["audit", "verify"]) == 1
    assert f"audit log BROKEN at event #{seqs[1]}" in capsys.readouterr().err


def test_an_unreachable_database_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RELEASEBOT_DATABASE_URL", f"sqlite:///{tmp_path}/missing/dir/x.db")
    assert main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("releasebot: ")
    assert "Traceback" not in err


def test_a_postgresql_that_does_not_answer_is_a_sentence_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RELEASEBOT_DATABASE_URL", "postgresql://postgres@127.0.0.1:9/releasebot")
    for command in (["db", "upgrade"], ["audit", "verify"]):
        assert main(command) == 2, command
        err = capsys.readouterr().err
        assert "cannot reach the database at postgresql+psycopg://postgres@127.0.0.1:9" in err
        assert "check that the database is running" in err


def test_verify_without_a_database_file_says_so_and_creates_none(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "verify"]) == 2
    err = capsys.readouterr().err
    assert f"there is no database file {database}, so nothing was checked" in err
    assert "releasebot db upgrade" in err
    assert not database.exists()


def test_verify_on_a_database_never_migrated_says_what_to_run(
    database_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if database_url.startswith("sqlite"):
        Path(database_url.removeprefix("sqlite:///")).touch()  # there, but empty
    monkeypatch.setenv("RELEASEBOT_DATABASE_URL", database_url)
    assert main(["audit", "verify"]) == 2
    err = capsys.readouterr().err
    assert "the database has no releasebot tables" in err
    assert "Run `releasebot db upgrade` first" in err
    assert "Traceback" not in err
