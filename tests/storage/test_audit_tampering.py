"""`releasebot audit verify` finds an edit of any column of any event, and a cut-off tail.

Each column is changed in turn, straight in the database (on PostgreSQL with the owner's
``session_replication_role = replica``, which is what it takes to get past the trigger), and
the CLI must name that event. The columns come from the table itself, so a column added
later without a way to tamper with it here fails the test instead of going unchecked.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session

from commands.cli import main
from storage.audit import ChainHead, append_event, verify_chain
from storage.models import AuditEventCreate
from tests.storage.conftest import DIGEST, NOW

TAMPERED: dict[str, str] = {
    "seq": "seq = 40",
    "at": "at = :later",
    "prev_hash": "prev_hash = '" + "e" * 64 + "'",
    "hash": "hash = '" + "f" * 64 + "'",
    "actor_user_id": "actor_user_id = 'U0MALLORY'",
    "actor_team_id": "actor_team_id = 'T0OTHER'",
    "action": "action = 'rollout_succeeded'",
    "release_id": "release_id = :other_release",
    "service": "service = 'web'",
    "environment": "environment = 'staging'",
    "image": "image = 'registry.example.com/shop/api:evil'",
    "digest": "digest = 'sha256:" + "0" * 64 + "'",
    "revision_before": "revision_before = 3",
    "revision_after": "revision_after = 4",
    "approvers": """approvers = '["U0MALLORY"]'""",
    "freeze_decision": "freeze_decision = 'allowed'",
    "break_glass_reason": "break_glass_reason = 'none'",
    "outcome": "outcome = 'succeeded'",
    "details": """details = '{"reason": "forged"}'""",
}


def _fill(engine: Engine, count: int = 4) -> None:
    with Session(engine) as session:
        for i in range(count):
            append_event(
                session=session,
                event_in=AuditEventCreate(
                    actor_user_id="U0REQUEST",
                    actor_team_id="T0TEAM",
                    action="deploy_requested",
                    release_id=uuid.UUID(int=7),
                    service="api",
                    environment="production",
                    image="registry.example.com/shop/api:1.4.2",
                    digest=DIGEST,
                    revision_before=1,
                    revision_after=2,
                    approvers=["U0ALICE"],
                    freeze_decision="no freeze window open",
                    break_glass_reason="checkout down",
                    outcome="requested",
                    details={"step": i},
                ),
                now=NOW + timedelta(seconds=i),
            )
        session.commit()


def _tamper(engine: Engine, assignment: str, seq: int) -> None:
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(
            text(f"UPDATE audit_events SET {assignment} WHERE seq = :seq"),
            {"seq": seq, "later": NOW + timedelta(days=1), "other_release": str(uuid.uuid4())},
        )


def test_every_column_has_a_tampering_case(engine: Engine) -> None:
    columns = {c["name"] for c in inspect(engine).get_columns("audit_events")}
    assert columns == set(TAMPERED)


@pytest.mark.parametrize("column", sorted(TAMPERED))
def test_an_edit_of_any_column_is_named_by_audit_verify(
    engine: Engine,
    database_url: str,
    column: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _fill(engine)
    monkeypatch.setenv("RELEASEBOT_DATABASE_URL", database_url)
    assert main(["audit", "verify"]) == 0
    capsys.readouterr()
    _tamper(engine, TAMPERED[column], seq=3)
    assert main(["audit", "verify"]) == 1
    error = capsys.readouterr().err
    named = 4 if column == "seq" else 3  # event 3 renumbered: the sequence jumps from 2 to 4
    assert f"audit log BROKEN at event #{named}" in error, error


def test_deleting_the_newest_events_is_caught_against_a_kept_head(
    engine: Engine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _fill(engine, 5)
    monkeypatch.setenv("RELEASEBOT_DATABASE_URL", database_url)
    assert main(["audit", "verify"]) == 0
    printed = capsys.readouterr().out
    with Session(engine) as session:
        head = verify_chain(session=session).head
    assert head is not None and f"Head: {head} " in printed
    assert main(["audit", "verify", "--expect", str(head)]) == 0
    capsys.readouterr()
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(text("DELETE FROM audit_events WHERE seq >= 4"))
    assert main(["audit", "verify"]) == 0, "without the kept head the cut is invisible"
    capsys.readouterr()
    assert main(["audit", "verify", "--expect", str(head)]) == 1
    error = capsys.readouterr().err
    assert "ends at event #3 but the kept head is event #5" in error


def test_a_head_whose_hash_differs_is_caught(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(engine, 3)
    monkeypatch.setenv("RELEASEBOT_DATABASE_URL", database_url)
    assert main(["audit", "verify", "--expect", str(ChainHead(2, "a" * 64))]) == 1


@pytest.mark.parametrize("head", ["5", "x:" + "a" * 64, "0:" + "a" * 64, "3:abc"])
def test_a_malformed_head_is_refused_with_exit_2(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch, head: str
) -> None:
    monkeypatch.setenv("RELEASEBOT_DATABASE_URL", database_url)
    assert main(["audit", "verify", "--expect", head]) == 2
