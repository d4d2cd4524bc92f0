"""The listeners' work pool: few fresh tasks at once, none stuck behind a slow one, nothing
accepted is dropped at shutdown."""

from __future__ import annotations

import threading

import pytest

from bot.slack.workpool import WorkPool

WAIT = 10.0


def _blocking(started: threading.Event, release: threading.Event) -> str:
    started.set()
    assert release.wait(WAIT)
    return "done"


def test_no_more_fresh_tasks_than_lanes_run_at_once() -> None:
    pool = WorkPool(lanes=2, stall_after=60)
    release = threading.Event()
    started = [threading.Event() for _ in range(3)]
    try:
        futures = [pool.submit(_blocking, s, release) for s in started]
        assert started[0].wait(WAIT) and started[1].wait(WAIT)
        assert not started[2].is_set()
        assert pool.queued() == 1
        release.set()
        assert started[2].wait(WAIT)
        assert [f.result(WAIT) for f in futures] == ["done"] * 3
    finally:
        release.set()
        pool.shutdown()


def test_a_task_that_keeps_its_lane_too_long_lets_the_next_one_start_beside_it() -> None:
    pool = WorkPool(lanes=1, stall_after=0.05)
    release = threading.Event()
    first, second = threading.Event(), threading.Event()
    try:
        pool.submit(_blocking, first, release)
        later = pool.submit(_blocking, second, release)
        assert first.wait(WAIT)
        assert second.wait(WAIT), "the second task waited for the stuck first one"
        release.set()
        assert later.result(WAIT) == "done"
    finally:
        release.set()
        pool.shutdown()


def test_an_error_reaches_the_future_and_frees_the_lane() -> None:
    pool = WorkPool(lanes=1, stall_after=60)

    def fail() -> None:
        raise ValueError("boom")

    try:
        failed = pool.submit(fail)
        with pytest.raises(ValueError, match="boom"):
            failed.result(WAIT)
        assert pool.submit(lambda: 42).result(WAIT) == 42
    finally:
        pool.shutdown()


def test_shutdown_runs_everything_already_accepted_and_refuses_more() -> None:
    pool = WorkPool(lanes=1, stall_after=60)
    ran: list[int] = []
    lock = threading.Lock()

    def record(n: int) -> None:
        with lock:
            ran.append(n)

    for n in range(20):
        pool.submit(record, n)
    pool.shutdown(wait=True)
    assert ran == list(range(20))
    with pytest.raises(RuntimeError):
        pool.submit(record, 99)


def test_shutdown_can_cancel_what_has_not_started() -> None:
    pool = WorkPool(lanes=1, stall_after=60)
    release = threading.Event()
    started = threading.Event()
    running = pool.submit(_blocking, started, release)
    assert started.wait(WAIT)
    waiting = pool.submit(lambda: "never")
    pool.shutdown(wait=False, cancel_futures=True)
    release.set()
    assert running.result(WAIT) == "done"
    assert waiting.cancelled()
    pool.shutdown(wait=True)


def test_lanes_must_fit_the_threads() -> None:
    with pytest.raises(ValueError, match="lanes"):
        WorkPool(lanes=0)
    with pytest.raises(ValueError, match="lanes"):
        WorkPool(lanes=5, max_threads=4)
