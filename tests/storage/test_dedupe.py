from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session

from storage.dedupe import (
    RequestLog,
    action_key,
    command_key,
    event_key,
    forget_requests,
    record_request,
    record_requests,
)
from storage.engine import make_engine, single_statements
from storage.errors import DatabaseUnavailable
from tests.storage.conftest import NOW


def test_the_first_delivery_acts_and_repeats_do_not(session: Session) -> None:
    key = event_key(event_id="Ev0123")
    assert record_request(session=session, key=key, now=NOW)
    session.commit()
    assert not record_request(session=session, key=key, now=NOW)
    assert not record_request(session=session, key=key, now=NOW)
    assert record_request(session=session, key=command_key(team_id="T1", trigger_id="1.2"), now=NOW)
    assert record_request(
        session=session, key=action_key(team_id="T1", user_id="U1", action_ts="1.3"), now=NOW
    )


def test_a_rolled_back_effect_lets_the_retry_act(session: Session) -> None:
    assert record_request(session=session, key="event:Ev1", now=NOW)
    session.rollback()
    assert record_request(session=session, key="event:Ev1", now=NOW)


def test_concurrent_deliveries_act_exactly_once(engine: Engine) -> None:
    deliveries = 6
    start = threading.Barrier(deliveries)
    results: list[bool] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            with Session(engine) as session:
                start.wait(timeout=10)
                first = record_request(session=session, key="event:Ev2", now=NOW)
                session.commit()
                results.append(first)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=deliver) for _ in range(deliveries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(results) == [False] * (deliveries - 1) + [True]


def test_old_keys_are_forgotten(session: Session) -> None:
    record_request(session=session, key="event:old", now=NOW)
    record_request(session=session, key="event:new", now=NOW + timedelta(days=2))
    assert forget_requests(session=session, seen_before=NOW + timedelta(days=1)) == 1
    assert record_request(session=session, key="event:old", now=NOW + timedelta(days=2))
    assert not record_request(session=session, key="event:new", now=NOW + timedelta(days=2))


def test_keys_twice_in_one_statement_count_once(session: Session) -> None:
    assert record_requests(session=session, keys=["event:A", "event:B", "event:A"], now=NOW) == {
        "event:A",
        "event:B",
    }
    assert record_requests(session=session, keys=["event:A", "event:C"], now=NOW) == {"event:C"}


def test_the_request_log_groups_waiting_threads_and_each_key_acts_once(engine: Engine) -> None:
    """16 threads at once, two deliveries of each of 8 keys: every key is first exactly once,
    and the writes went out in fewer statements than there were threads."""
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("INSERT INTO processed_requests"):
            statements.append(statement)

    log = RequestLog(single_statements(engine))
    start = threading.Barrier(16)
    results: dict[str, list[bool]] = {f"event:G{n}": [] for n in range(8)}
    errors: list[BaseException] = []

    def deliver(key: str) -> None:
        try:
            start.wait(timeout=10)
            results[key].append(log.record(key, NOW))
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=deliver, args=(k,)) for k in results for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert all(sorted(firsts) == [False, True] for firsts in results.values()), results
    assert 1 <= len(statements) < 16


def test_the_request_log_fails_every_waiting_request_when_the_database_is_down() -> None:
    down = make_engine("postgresql://nobody@127.0.0.1:1/nothing")
    log = RequestLog(single_statements(down))
    with pytest.raises(DatabaseUnavailable):
        log.record("event:down", NOW)
    with pytest.raises(DatabaseUnavailable):  # and the next one tries again, and fails again
        log.record("event:down2", NOW)
    down.dispose()
