"""A release is followed by one process at a time: the leader adopts a rollout only when the
replica that followed it is gone (its claims died with its database session)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.kube.sim.behaviour import PodBehaviour
from bot.kube.sim.serve import SimHandle
from bot.releases import STALLED_APPROVAL
from bot.workflow.events import RolloutFinished, RolloutProgressed
from storage.claims import AdvisoryClaims, LocalClaims, release_claims
from storage.engine import make_engine
from storage.models import ReleaseState
from tests.leadership.conftest import terminate
from tests.leadership.test_leadership import _rolling_out
from tests.workflow.harness import Harness, HeldExecutor, build, image, make_harness


@pytest.fixture
def claimed_replicas(
    sim: SimHandle, tmp_path: Path, pg_url: str
) -> Iterator[tuple[Harness, Harness, AdvisoryClaims, AdvisoryClaims]]:
    engine = make_engine(pg_url)
    ca, cb = release_claims(engine), release_claims(engine)
    engine.dispose()
    assert isinstance(ca, AdvisoryClaims) and isinstance(cb, AdvisoryClaims)
    a = make_harness(sim, tmp_path, database=pg_url, claims=ca)
    b = make_harness(sim, tmp_path, database=pg_url, claims=cb)
    try:
        yield a, b, ca, cb
    finally:
        a.close()
        b.close()
        ca.close()
        cb.close()


def test_claims_on_postgresql_are_one_per_release_across_processes(pg_url: str) -> None:
    engine = make_engine(pg_url)
    mine, theirs = release_claims(engine), release_claims(engine)
    engine.dispose()
    release = uuid.uuid4()
    try:
        assert mine.try_claim(release)
        assert not mine.try_claim(release), "the same process never follows one release twice"
        assert not theirs.try_claim(release)
        mine.free(release)
        assert theirs.try_claim(release)
        assert not mine.try_claim(release)
    finally:
        mine.close()
        theirs.close()


def test_claims_on_sqlite_are_one_per_release_in_the_process(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/releasebot.db")
    claims = release_claims(engine)
    engine.dispose()
    assert isinstance(claims, LocalClaims)
    release = uuid.uuid4()
    assert claims.try_claim(release) and not claims.try_claim(release)
    claims.free(release)
    assert claims.try_claim(release)


def test_the_leader_leaves_a_live_replicas_rollout_alone_and_adopts_it_when_that_replica_dies(
    claimed_replicas: tuple[Harness, Harness, AdvisoryClaims, AdvisoryClaims],
    postgres_admin: str,
) -> None:
    a, b, claims_a, _ = claimed_replicas
    a.create_deployment()
    a.sim.cluster.images.set(image(7), PodBehaviour.ready(after=20))
    a.workflow.announce_build(build("1.0.7", 7))  # replica A starts it and follows it
    release = _rolling_out(a)

    # B leads and looks for orphans while A is alive: nothing to adopt
    b.workflow.resume()
    b.workflow.resume(include_approved=False)
    assert b.workflow.wait_idle(2)
    a.sim.cluster.advance(5)
    assert not b.sink.of(RolloutProgressed) and not b.sink.of(RolloutFinished)
    assert not a.workflow.wait_idle(0.1), "A still follows its rollout"

    # A dies: its database session ends and it stops following
    pid = claims_a.backend_pid
    assert pid is not None
    terminate(postgres_admin, pid)
    a.clusters.close()
    assert a.workflow.wait_idle(10)
    assert a.workflow.release(release.id).state is ReleaseState.ROLLING_OUT

    b.workflow.resume(include_approved=False)  # the leader's periodic adopt job
    for _ in range(300):
        if b.workflow.wait_idle(0.02):
            break
        b.sim.cluster.advance(1)
    assert b.workflow.release(release.id).state is ReleaseState.SUCCEEDED
    assert [e.release.state for e in b.sink.of(RolloutFinished)] == [ReleaseState.SUCCEEDED]
    assert not a.sink.of(RolloutFinished)


def test_the_leader_starts_an_approved_release_whose_replica_died_before_starting_it(
    sim: SimHandle, tmp_path: Path, pg_url: str
) -> None:
    """Replica A approves (its runner never gets to run: it dies first); the leader B leaves
    the fresh approval alone, then starts it once it has waited STALLED_APPROVAL."""
    held = HeldExecutor()  # never released: A's runner never starts
    a = make_harness(sim, tmp_path, database=pg_url, executor=held)
    b = make_harness(sim, tmp_path, database=pg_url)
    try:
        a.create_deployment()
        a.workflow.announce_build(build("1.0.7", 7))  # staging is auto: approved at once
        [approved] = a.workflow.pending()
        assert approved.state is ReleaseState.APPROVED

        b.workflow.resume(include_approved=False)
        assert b.workflow.wait_idle(5)
        assert b.workflow.release(approved.id).state is ReleaseState.APPROVED, "too early"

        b.clock.advance(STALLED_APPROVAL.total_seconds())
        b.workflow.resume(include_approved=False)
        assert b.settle()
        assert b.workflow.release(approved.id).state is ReleaseState.SUCCEEDED
        assert [e.release.id for e in b.sink.of(RolloutFinished)] == [approved.id]
    finally:
        held.release()
        a.close()
        b.close()


def test_closed_claims_and_leader_lock_never_open_a_new_session(pg_url: str) -> None:
    """A late caller during shutdown must not open a session holding locks until exit."""
    from storage.leadership import AdvisoryLock
    from storage.pgsession import conninfo_for

    engine = make_engine(pg_url)
    claims, lock = release_claims(engine), AdvisoryLock(conninfo_for(engine))
    engine.dispose()
    assert isinstance(claims, AdvisoryClaims)
    assert claims.try_claim(uuid.uuid4()) and lock.hold()
    claims.close()
    lock.release()
    assert not claims.try_claim(uuid.uuid4())
    assert not lock.hold()
    assert claims.backend_pid is None and lock.backend_pid is None


def test_a_claim_tried_on_a_session_the_server_ended_is_taken_on_a_new_one(
    pg_url: str, postgres_admin: str
) -> None:
    """A dead session is not "claimed elsewhere": the claim is asked again on a new session,
    which also takes back what this process already held."""
    engine = make_engine(pg_url)
    mine, theirs = release_claims(engine), release_claims(engine)
    engine.dispose()
    assert isinstance(mine, AdvisoryClaims)
    held, new = uuid.uuid4(), uuid.uuid4()
    try:
        assert mine.try_claim(held)
        old_pid = mine.backend_pid
        assert old_pid is not None
        terminate(postgres_admin, old_pid)
        assert mine.try_claim(new)
        assert mine.backend_pid not in (None, old_pid)
        assert not theirs.try_claim(held), "the claim held before was taken back"
        assert not theirs.try_claim(new)
    finally:
        mine.close()
        theirs.close()
