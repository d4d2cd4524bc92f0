"""SQLite's write lock is handed out in order inside the process, acks first."""

from __future__ import annotations

import threading
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlmodel import Session

from storage import writequeue
from storage.engine import make_engine
from storage.writequeue import WriteQueue, urgent
from tests.waiting import wait_until

WAIT = 10.0


def _queue_behind_holder(queue: WriteQueue, jobs: list[tuple[str, bool]]) -> list[str]:
    """The main thread holds the lock while the jobs line up one by one; returns the order
    in which they got it."""
    order: list[str] = []
    queue.acquire()
    threads = []
    for name, is_urgent in jobs:

        def job(name: str = name, is_urgent: bool = is_urgent) -> None:
            owner = queue.acquire(urgent=is_urgent, timeout=WAIT)
            assert owner is not None
            order.append(name)
            queue.release(owner)

        thread = threading.Thread(target=job)
        thread.start()
        threads.append(thread)
        wait_until(
            lambda: queue.waiting >= len(threads),
            what=f"{name} to queue",
            timeout=WAIT,
            interval=0.001,
        )
        assert queue.waiting == len(threads), f"{name} alone should have joined the line"
    queue.release()
    for thread in threads:
        thread.join(WAIT)
    return order


def test_waiters_get_the_lock_in_arrival_order() -> None:
    jobs = [(f"job{n}", False) for n in range(8)]
    assert _queue_behind_holder(WriteQueue(), jobs) == [name for name, _ in jobs]


def test_urgent_waiters_go_first_and_keep_their_own_order() -> None:
    jobs = [("bg1", False), ("ack1", True), ("bg2", False), ("ack2", True)]
    assert _queue_behind_holder(WriteQueue(), jobs) == ["ack1", "ack2", "bg1", "bg2"]


def test_the_holding_thread_re_enters_without_queueing_behind_itself() -> None:
    queue = WriteQueue()
    first = queue.acquire(timeout=WAIT)
    second = queue.acquire(timeout=WAIT)
    assert first == second == threading.get_ident()
    queue.release()
    got: list[int | None] = []
    other = threading.Thread(target=lambda: got.append(queue.acquire(timeout=0.05)))
    other.start()
    other.join(WAIT)
    assert got == [None], "released once of twice: the lock must still be held"
    queue.release()
    other = threading.Thread(target=lambda: got.append(queue.acquire(timeout=WAIT)))
    other.start()
    other.join(WAIT)
    assert got[-1] is not None


def test_a_waiter_that_times_out_leaves_the_line() -> None:
    queue = WriteQueue()
    queue.acquire()
    result: list[int | None] = []
    waiter = threading.Thread(target=lambda: result.append(queue.acquire(timeout=0.05)))
    waiter.start()
    waiter.join(WAIT)
    assert result == [None]
    assert queue.waiting == 0
    queue.release()


def test_giving_back_for_a_thread_that_does_not_hold_it_is_an_error() -> None:
    queue = WriteQueue()
    queue.acquire()
    with pytest.raises(RuntimeError, match="not holding it"):
        queue.release(owner=threading.get_ident() + 1)
    queue.release()


def test_sqlite_writers_from_many_threads_all_commit(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE entries (n INTEGER, who TEXT)"))
    start = threading.Barrier(17)
    errors: list[BaseException] = []

    def writer(who: str, is_urgent: bool) -> None:
        start.wait(WAIT)
        try:
            for n in range(20):
                with urgent() if is_urgent else nullcontext(), Session(engine) as session:
                    session.execute(
                        text("INSERT INTO entries VALUES (:n, :who)"), {"n": n, "who": who}
                    )
                    session.commit()
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(f"w{i}", i % 4 == 0)) for i in range(16)]
    for thread in threads:
        thread.start()
    start.wait(WAIT)
    for thread in threads:
        thread.join(60)
    assert errors == []
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM entries")).scalar_one()
    assert count == 16 * 20
    engine.dispose()


def test_a_writer_waits_for_an_open_session_and_goes_on_when_it_closes(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'open.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    holder = Session(engine)
    holder.execute(text("INSERT INTO t VALUES (1)"))
    thread, done = _insert_in_another_thread(engine, 2)
    assert not done.wait(0.2), "the other writer must wait while the session is open"
    holder.commit()
    holder.close()
    assert done.wait(WAIT)
    thread.join(WAIT)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar_one() == 2
    engine.dispose()


def test_a_transaction_begins_in_sqlite_only_once_its_thread_holds_the_queue(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'order.db'}")
    holders_at_begin: list[bool] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("BEGIN"):
            holders_at_begin.append(writequeue.holds(engine))

    with Session(engine) as session:
        session.execute(text("SELECT 1"))
    assert holders_at_begin == [True]
    engine.dispose()


def test_an_invalidated_connection_gives_the_queue_back(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'invalid.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    holder = Session(engine)
    holder.execute(text("SELECT 1"))
    assert writequeue.holds(engine)
    holder.connection().invalidate()  # e.g. the driver reported the connection broken
    assert not writequeue.holds(engine)
    thread, done = _insert_in_another_thread(engine, 1)
    assert done.wait(WAIT)
    thread.join(WAIT)
    holder.close()
    engine.dispose()


def _insert_in_another_thread(
    engine: Engine, value: int
) -> tuple[threading.Thread, threading.Event]:
    """Another writer of the process: inserts ``value`` into ``t`` and sets the event."""
    done = threading.Event()

    def insert() -> None:
        with Session(engine) as session:
            session.execute(text(f"INSERT INTO t VALUES ({int(value)})"))
            session.commit()
        done.set()

    thread = threading.Thread(target=insert)
    thread.start()
    return thread, done
