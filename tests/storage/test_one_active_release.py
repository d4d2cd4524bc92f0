"""One active release per (service, environment), held by the database in every active state.

The states are spelled out here rather than taken from ``storage.models``, so a change to the
index or to the constant it is built from fails these tests. A holder is written straight
into the table (no repository logic), so only the partial unique index can refuse the second.
Two OS processes racing for the slot get exactly one winner, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import multiprocessing
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import Engine, exc
from sqlmodel import Session, select

from storage.engine import make_engine
from storage.errors import ReleaseLocked
from storage.models import Release, ReleaseState
from storage.releases import create_release
from tests.storage.conftest import NOW, release_in

ACTIVE = ["requested", "awaiting_approval", "approved", "rolling_out", "baking"]
ENDED = ["succeeded", "rejected", "expired", "cancelled", "failed", "rolled_back"]


def test_the_lists_here_name_every_state() -> None:
    assert sorted(ACTIVE + ENDED) == sorted(s.value for s in ReleaseState)


def _row(state: str, requester: str = "U0HOLDER", service: str = "api") -> Release:
    return Release.model_validate(
        release_in(requester=requester, service=service).model_copy(
            update={"state": ReleaseState(state)}
        ),
        update={"created_at": NOW, "updated_at": NOW},
    )


@pytest.mark.parametrize("holder_state", ACTIVE)
@pytest.mark.parametrize("second_state", ["requested", "approved", "rolling_out"])
def test_the_index_refuses_a_second_active_row_whatever_the_holder_is_doing(
    engine: Engine, holder_state: str, second_state: str
) -> None:
    with Session(engine) as session:
        session.add(_row(holder_state))
        session.commit()
    with Session(engine) as session:
        session.add(_row(second_state, requester="U0SECOND"))
        with pytest.raises(exc.IntegrityError):
            session.commit()


@pytest.mark.parametrize("holder_state", ACTIVE)
def test_a_request_while_the_slot_is_held_is_told_who_holds_it(
    engine: Engine, holder_state: str
) -> None:
    with Session(engine) as session:
        holder = _row(holder_state)
        session.add(holder)
        session.commit()
        holder_id = holder.id
    with Session(engine) as session, pytest.raises(ReleaseLocked) as caught:
        create_release(session=session, release_in=release_in(requester="U0SECOND"), now=NOW)
    assert caught.value.holder_id == holder_id
    assert caught.value.holder_state == holder_state


@pytest.mark.parametrize("ended_state", ENDED)
def test_an_ended_release_leaves_the_slot_free(engine: Engine, ended_state: str) -> None:
    with Session(engine) as session:
        session.add(_row(ended_state))
        session.add(_row(ended_state, requester="U0TWICE"))
        session.commit()
        create_release(session=session, release_in=release_in(), now=NOW + timedelta(seconds=1))
        session.commit()


def _contend(url: str, requester: str, start: object, results: object) -> None:
    """Runs in its own process: for each active state, once both processes are ready, insert
    a release in that state into a slot of its own (service ``race-<state>``)."""
    engine = make_engine(url)
    try:
        for state in ACTIVE:
            with Session(engine) as session:
                session.add(_row(state, requester=requester, service=f"race-{state}"))
                start.wait(timeout=30)  # type: ignore[attr-defined]
                try:
                    session.commit()
                    results.put((state, "won", requester))  # type: ignore[attr-defined]
                except exc.IntegrityError:
                    results.put((state, "refused", requester))  # type: ignore[attr-defined]
    except Exception as err:  # reported to the test, which fails with it
        results.put(("?", "error", f"{requester}: {err!r}"))  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def test_two_processes_racing_for_a_slot_get_one_winner_in_every_active_state(
    database_url: str,
) -> None:
    from storage.migrate import upgrade

    upgrade(database_url)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    results = context.Queue()
    names = [f"U0P{uuid.uuid4().hex[:6].upper()}" for _ in range(2)]
    processes = [
        context.Process(target=_contend, args=(database_url, name, start, results))
        for name in names
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in range(2 * len(ACTIVE))]
    for process in processes:
        process.join(timeout=30)
    for state in ACTIVE:
        kinds = sorted(kind for s, kind, _ in outcomes if s == state)
        assert kinds == ["refused", "won"], (state, outcomes)
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            rows = session.exec(select(Release)).all()
        assert sorted((r.service, r.state.value) for r in rows) == sorted(
            (f"race-{state}", state) for state in ACTIVE
        )
    finally:
        engine.dispose()
