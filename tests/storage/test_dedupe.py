from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from storage.dedupe import action_key, command_key, event_key, forget_requests, record_request
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
