from __future__ import annotations

import hashlib
import itertools
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from storage.audit import (
    GENESIS,
    append_event,
    canonical_json,
    events_for_release,
    link_hash,
    verify_chain,
)
from storage.models import AuditEvent, AuditEventCreate
from tests.storage.conftest import DIGEST, NOW


def _event(action: str = "release.requested", **details: object) -> AuditEventCreate:
    return AuditEventCreate(
        actor_user_id="U0REQUEST",
        actor_team_id="T0TEAM",
        action=action,
        release_id=uuid.UUID(int=7),
        service="api",
        environment="production",
        image="registry.example.com/shop/api:1.4.2",
        digest=DIGEST,
        revision_before=11,
        approvers=["U1", "U2"],
        freeze_decision="allowed: no freeze window open",
        outcome="ok",
        details=dict(details),
    )


def _append(session: Session, count: int) -> list[AuditEvent]:
    events = [
        append_event(session=session, event_in=_event(step=i), now=NOW + timedelta(seconds=i))
        for i in range(count)
    ]
    session.commit()
    return events


def test_appended_events_form_a_verifiable_chain(session: Session) -> None:
    events = _append(session, 5)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(events))
    first = events[0]
    assert first.hash == hashlib.sha256((canonical_json(first) + GENESIS).encode()).hexdigest()
    session.expire_all()
    assert verify_chain(session=session, batch_size=2).ok
    assert verify_chain(session=session).checked == 5
    assert [e.seq for e in events_for_release(session=session, release_id=uuid.UUID(int=7))] == [
        1,
        2,
        3,
        4,
        5,
    ]


def test_an_empty_log_verifies(session: Session) -> None:
    result = verify_chain(session=session)
    assert (result.ok, result.checked) == (True, 0)


def _tamper(engine: Engine, statement: str) -> None:
    with engine.begin() as connection:
        connection.execute(text(statement))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_edited_row_is_detected_at_its_sequence_number(engine: Engine, session: Session) -> None:
    _append(session, 5)
    _tamper(engine, "UPDATE audit_events SET outcome = 'denied' WHERE seq = 3")
    session.expire_all()
    result = verify_chain(session=session)
    assert (result.ok, result.broken_at, result.checked) == (False, 3, 2)
    assert result.reason == "row content does not match its hash"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(
    engine: Engine, session: Session
) -> None:
    _append(session, 5)
    forged = session.get(AuditEvent, 2)
    assert forged is not None
    forged_hash = link_hash(forged.model_copy(update={"outcome": "denied"}))
    session.rollback()  # on SQLite an open transaction holds the write lock
    _tamper(
        engine, f"UPDATE audit_events SET outcome = 'denied', hash = '{forged_hash}' WHERE seq = 2"
    )
    session.expire_all()
    result = verify_chain(session=session)
    assert (result.broken_at, result.checked) == (3, 2)
    assert result.reason == "prev_hash does not match the hash of the row before"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_deleted_row_is_detected(engine: Engine, session: Session) -> None:
    _append(session, 5)
    _tamper(engine, "DELETE FROM audit_events WHERE seq = 4")
    session.expire_all()
    result = verify_chain(session=session)
    assert (result.broken_at, result.reason) == (5, "sequence jumps from 3 to 5")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET outcome = 'denied' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 1",
        "TRUNCATE audit_events",
    ],
)
def test_postgres_refuses_to_change_the_audit_log(
    engine: Engine, session: Session, statement: str
) -> None:
    _append(session, 2)
    with pytest.raises(DBAPIError, match="audit_events is append-only"):
        _tamper(engine, statement)
    session.expire_all()
    assert verify_chain(session=session).checked == 2


def test_concurrent_writers_never_fork_the_chain(engine: Engine) -> None:
    writers, each = 6, 5
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            start.wait(timeout=10)
            for i in range(each):
                with Session(engine) as session:
                    append_event(session=session, event_in=_event(writer=writer, step=i), now=NOW)
                    session.commit()
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with Session(engine) as session:
        result = verify_chain(session=session)
        assert (result.ok, result.checked) == (True, writers * each)
        seqs = session.exec(select(AuditEvent.seq).order_by(col(AuditEvent.seq))).all()
        assert list(seqs) == list(range(1, writers * each + 1))
