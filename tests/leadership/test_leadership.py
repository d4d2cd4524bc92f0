"""One leader among replicas on PostgreSQL; SQLite's one process always leads; a new leader
resumes what the old one left; two leaders overlapping act on a release only once."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import psycopg
from apscheduler.schedulers.background import BackgroundScheduler
from sqlmodel import Session

from bot.kube.sim.behaviour import PodBehaviour
from bot.kube.sim.resources import REPLICASETS
from bot.leadership import Leadership
from bot.workflow.events import PodTrouble, RolloutFinished, RolloutStarted
from commands.serve import ADOPT_JOB, EXPIRY_JOB, LeaderJobs
from storage.audit import events_for_release
from storage.engine import make_engine
from storage.leadership import AdvisoryLock, LeaderLock, SoleProcess, leader_lock
from storage.migrate import upgrade
from storage.models import ReleaseState
from tests.leadership.conftest import terminate
from tests.waiting import wait_until
from tests.workflow.harness import REQUESTER, Harness, HeldExecutor, build, image, make_harness


class Record:
    """Callbacks that count what leadership asked for."""

    def __init__(self) -> None:
        self.elected = 0
        self.demoted = 0

    def on_elected(self) -> None:
        self.elected += 1

    def on_demoted(self) -> None:
        self.demoted += 1


class Looked:
    """The real advisory lock, keeping what each look at it answered, so a test can wait for
    the leadership loop's next looks instead of sleeping through a few of them."""

    def __init__(self, lock: LeaderLock) -> None:
        self._lock = lock
        self._looked = threading.Condition()
        self._answers: list[bool] = []

    def hold(self) -> bool:
        held = self._lock.hold()
        with self._looked:
            self._answers.append(held)
            self._looked.notify_all()
        return held

    def release(self) -> None:
        self._lock.release()

    @property
    def backend_pid(self) -> int | None:
        return self._lock.backend_pid

    def next_answers(self, count: int, timeout: float = 10.0) -> list[bool]:
        """What the next ``count`` looks (from now on) answered."""
        with self._looked:
            start = len(self._answers)
            assert self._looked.wait_for(lambda: len(self._answers) >= start + count, timeout), (
                f"the loop looked at the lock {len(self._answers) - start} of {count} times"
            )
            return self._answers[start : start + count]


def advisory_lock(url: str) -> AdvisoryLock:
    lock = leader_lock(make_engine(url))
    assert isinstance(lock, AdvisoryLock)
    return lock


def contender(
    url: str, record: Record, retry: float = 5.0, lock: LeaderLock | None = None
) -> Leadership:
    return Leadership(
        lock or advisory_lock(url),
        on_elected=record.on_elected,
        on_demoted=record.on_demoted,
        retry_seconds=retry,
    )


def lock_pid(leadership: Leadership) -> int:
    pid = leadership._lock.backend_pid  # the session the test terminates
    assert pid is not None
    return pid


def test_two_contenders_on_one_database_make_exactly_one_leader(pg_url: str) -> None:
    upgrade(pg_url)
    ra, rb = Record(), Record()
    a, b = contender(pg_url, ra), contender(pg_url, rb)
    try:
        results = [a.step(), b.step(), a.step(), b.step()]
        assert results == [True, False, True, False]
        assert (ra.elected, rb.elected, ra.demoted, rb.demoted) == (1, 0, 0, 0)
    finally:
        a.stop()
        b.stop()
    assert ra.demoted == 1, "stopping steps down"


def test_stopping_frees_the_lock_for_the_next_replica_at_once(pg_url: str) -> None:
    ra, rb = Record(), Record()
    a, b = contender(pg_url, ra), contender(pg_url, rb)
    try:
        assert a.step() and not b.step()
        a.stop()
        assert b.step()
        assert not a.step(), "a stopped contender never leads again"
    finally:
        a.stop()
        b.stop()


def test_a_terminated_leader_session_hands_over_within_the_loop(
    pg_url: str, postgres_admin: str
) -> None:
    """The loop on its thread: the old leader notices it lost the session, the other wins."""
    ra, rb = Record(), Record()
    a_lock = Looked(advisory_lock(pg_url))
    a = contender(pg_url, ra, retry=0.05, lock=a_lock)
    b = contender(pg_url, rb, retry=0.05)
    a.start()
    b.start()
    try:
        assert a.is_leader and not b.is_leader
        terminate(postgres_admin, lock_pid(a))
        wait_until(
            lambda: b.is_leader and ra.demoted == 1,
            what="B to lead and A to step down",
            timeout=10,
        )
        wait_until(lambda: not a.is_leader, what="A to stop leading", timeout=10)
        assert rb.elected == 1
        # the old leader's loop keeps trying, but the lock is taken now
        assert a_lock.next_answers(2) == [False, False]
        assert not a.is_leader and b.is_leader and ra.elected == 1
    finally:
        a.stop()
        b.stop()


def test_sqlite_always_leads(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/releasebot.db"
    upgrade(url)
    engine = make_engine(url)
    record = Record()
    lock = leader_lock(engine)
    assert isinstance(lock, SoleProcess)
    leadership = Leadership(lock, on_elected=record.on_elected, on_demoted=record.on_demoted)
    leadership.start()
    try:
        assert leadership.is_leader and record.elected == 1
    finally:
        leadership.stop()
        engine.dispose()
    assert record.demoted == 1


def _rolling_out(h: Harness) -> Any:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        pending = h.workflow.pending()
        if pending and pending[0].state is ReleaseState.ROLLING_OUT:
            return pending[0]
        h.workflow.wait_idle(0.05)
    raise AssertionError("the release never started rolling out")


def _settle_both(a: Harness, b: Harness, limit: int = 300) -> None:
    for _ in range(limit):
        if a.workflow.wait_idle(0.02) and b.workflow.wait_idle(0.02):
            return
        a.sim.cluster.advance(1)
    raise AssertionError("the rollouts never ended")


def _replica_sets(h: Harness, namespace: str = "default") -> list[dict[str, Any]]:
    items, _ = h.sim.cluster.store.list(REPLICASETS, namespace)
    return items


def test_a_new_leader_resumes_the_release_the_dead_one_left_rolling_out(
    replicas: tuple[Harness, Harness], pg_url: str, postgres_admin: str
) -> None:
    a, b = replicas
    a.create_deployment()
    a.sim.cluster.images.set(image(3), PodBehaviour.ready(after=20))
    schedulers = [BackgroundScheduler(timezone="UTC") for _ in (a, b)]
    for scheduler in schedulers:
        scheduler.start()
    jobs_a, jobs_b = LeaderJobs(a.workflow, schedulers[0]), LeaderJobs(b.workflow, schedulers[1])
    leader_a = Leadership(
        leader_lock(a.engine), on_elected=jobs_a.elected, on_demoted=jobs_a.demoted
    )
    leader_b = Leadership(
        leader_lock(b.engine), on_elected=jobs_b.elected, on_demoted=jobs_b.demoted
    )
    try:
        assert leader_a.step() and not leader_b.step()
        assert schedulers[0].get_job(EXPIRY_JOB) is not None
        assert schedulers[1].get_job(EXPIRY_JOB) is None
        a.workflow.announce_build(build("1.0.3", 3))  # staging is auto: A rolls it out
        release = _rolling_out(a)
        a.sim.cluster.advance(3)
        generation = a.deployment("default")["metadata"]["generation"]  # type: ignore[index]

        # A dies mid-rollout: its threads stop and its database session is gone.
        schedulers[0].shutdown(wait=False)
        a.clusters.close()
        assert a.workflow.wait_idle(10)
        terminate(postgres_admin, lock_pid(leader_a))
        assert a.workflow.release(release.id).state is ReleaseState.ROLLING_OUT

        wait_until(leader_b.step, what="B to take the lock A's session held", timeout=10)
        assert schedulers[1].get_job(ADOPT_JOB) is not None
        assert not leader_a.step()
        assert not leader_a.is_leader and leader_b.is_leader

        _settle_both(a, b)
        done = b.workflow.release(release.id)
        assert done.state is ReleaseState.SUCCEEDED
        assert [e.release.state for e in b.sink.of(RolloutFinished)] == [ReleaseState.SUCCEEDED]
        deployment = b.deployment("default")
        assert deployment["metadata"]["generation"] == generation, "B patched it again"  # type: ignore[index]
        assert len(_replica_sets(b)) == 2
    finally:
        leader_a.stop()
        leader_b.stop()
        for scheduler in schedulers:
            if scheduler.running:
                scheduler.shutdown()


def test_overlapping_leaders_start_and_finish_a_release_once(
    sim: Any, tmp_path: Path, pg_url: str
) -> None:
    """Both believe they lead and resume the same approved release at the same moment: the
    database lets exactly one of them start it, patch it and end it."""
    held = HeldExecutor()
    a = make_harness(sim, tmp_path, database=pg_url, executor=held)
    b = make_harness(sim, tmp_path, database=pg_url)
    try:
        a.create_deployment()
        a.workflow.announce_build(build("1.0.4", 4))  # approved, but A's runner is held
        [release] = a.workflow.pending()
        assert release.state is ReleaseState.APPROVED

        go = threading.Barrier(2)

        def resume(h: Harness) -> None:
            go.wait()
            h.workflow.resume()

        threads = [threading.Thread(target=resume, args=(h,)) for h in (a, b)]
        for thread in threads:
            thread.start()
        held.release()  # A's own job from the approval runs too
        for thread in threads:
            thread.join(10)
        _settle_both(a, b)

        assert a.workflow.release(release.id).state is ReleaseState.SUCCEEDED
        started = a.sink.of(RolloutStarted) + b.sink.of(RolloutStarted)
        finished = a.sink.of(RolloutFinished) + b.sink.of(RolloutFinished)
        assert len(started) == 1 and len(finished) == 1
        with Session(a.engine) as session:
            actions = [e.action for e in events_for_release(session=session, release_id=release.id)]
        assert actions.count("rollout_started") == 1
        assert actions.count("rollout_succeeded") == 1
        assert a.deployment("default")["metadata"]["generation"] == 2  # type: ignore[index]
        assert len(_replica_sets(a)) == 2
    finally:
        a.close()
        b.close()


def test_overlapping_leaders_expire_a_request_once(replicas: tuple[Harness, Harness]) -> None:
    a, b = replicas
    a.create_deployment()
    a.workflow.announce_build(build("1.0.5", 5))
    assert a.settle()
    view = a.workflow.request_deploy(
        actor=REQUESTER,
        service="api",
        environment="production",
        target="1.0.5",
        reason=None,
    )
    assert view.state is ReleaseState.AWAITING_APPROVAL
    a.clock.advance(31 * 60)
    results: list[int] = []
    go = threading.Barrier(2)

    def expire(h: Harness) -> None:
        go.wait()
        results.append(len(h.workflow.expire_due()))

    threads = [threading.Thread(target=expire, args=(h,)) for h in (a, b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(results) == [0, 1]
    assert a.workflow.release(view.id).state is ReleaseState.EXPIRED


def test_the_lock_holder_is_visible_to_the_database(pg_url: str, postgres_admin: str) -> None:
    """The lease is the server's: pg_locks shows the leader's session holding it."""
    record = Record()
    leadership = contender(pg_url, record)
    try:
        assert leadership.step()
        with psycopg.connect(postgres_admin, autocommit=True) as connection:
            rows = connection.execute(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            ).fetchall()
        assert (lock_pid(leadership),) in rows
    finally:
        leadership.stop()


def test_a_re_elected_leader_does_not_follow_its_own_rollout_twice(h: Harness) -> None:
    """Elected again (after a lost session) while still following a rollout: resume() must
    not start a second follower in the same process, or every pod failure is told twice."""
    h.create_deployment()
    h.sim.cluster.images.set(image(6), PodBehaviour.bad_image())
    h.workflow.announce_build(build("1.0.6", 6))
    _rolling_out(h)
    h.workflow.resume()
    h.workflow.resume()
    assert h.settle()
    told = [(e.release.id, e.pod, e.reason) for e in h.sink.of(PodTrouble)]
    assert told and len(told) == len(set(told))
    finished = [e.release.state for e in h.sink.of(RolloutFinished)]
    assert finished.count(ReleaseState.FAILED) == 1
