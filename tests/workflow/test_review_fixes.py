"""Regression tests for the review of the release workflow (races, expiry, rollback rows)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session

from bot.asgi import serve_asgi
from bot.clock import ManualClock
from bot.hooks import BuildAnnouncement, build_hook_router
from bot.kube.sim.behaviour import PodBehaviour
from bot.kube.sim.resources import DEPLOYMENTS
from bot.kube.sim.serve import SimHandle
from bot.workflow.errors import BadRequest, Conflict, PromotionRequired
from bot.workflow.events import ReleaseDecided, RolloutFinished
from bot.workflow.model import BuildOutcome
from bot.workflow.ports import ClusterProvider, RolloutDriver
from bot.workflow.rollouts import Job, RolloutRunner
from storage.models import ReleaseKind, ReleaseState, VoteDecision
from storage.releases import transition_release
from tests.hooks.conftest import SECRET, encode, now_ts, signed_headers, valid_payload
from tests.workflow.harness import (
    ALICE,
    BOB,
    BOT,
    CAROL,
    REQUESTER,
    Harness,
    HeldExecutor,
    build,
    digest,
    image,
    make_harness,
)


def _to_production(h: Harness) -> uuid.UUID:
    h.create_deployment()
    h.workflow.announce_build(build("1.0.1", 1))
    assert h.settle()
    view = h.workflow.request_deploy(
        actor=REQUESTER, service="api", environment="production", target="1.0.1"
    )
    return view.id


@dataclass
class _RacingDriver:
    """A driver whose first state read lets another runner win the start meanwhile."""

    inner: RolloutDriver
    meanwhile: Callable[[], None]

    def state(self, deployment: str, container: str | None = None) -> Any:
        result = self.inner.state(deployment, container)
        self.meanwhile()
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@dataclass
class _RacingClusters:
    inner: ClusterProvider
    meanwhile: Callable[[], None]

    def driver(self, environment: str) -> RolloutDriver:
        return _RacingDriver(self.inner.driver(environment), self.meanwhile)  # type: ignore[return-value]

    def close(self) -> None:
        self.inner.close()


def test_losing_the_start_leaves_the_winners_rollout_alone(sim: SimHandle, tmp_path: Path) -> None:
    held = HeldExecutor()
    h = make_harness(sim, tmp_path, executor=held)
    try:
        h.create_deployment()
        held.release()
        h.workflow.announce_build(build("1.0.1", 1))
        assert h.settle()
        held._open = False  # the approved job below stays queued: "the other runner" acts instead
        release_id = h.workflow.request_deploy(
            actor=REQUESTER, service="api", environment="production", target="1.0.1"
        ).id
        h.workflow.vote(actor=ALICE, release_id=release_id, decision=VoteDecision.APPROVE)
        view = h.workflow.vote(actor=BOB, release_id=release_id, decision=VoteDecision.APPROVE)
        assert view.state is ReleaseState.APPROVED

        def other_runner_starts() -> None:
            with Session(h.engine) as session:
                transition_release(
                    session=session,
                    release_id=release_id,
                    expected=ReleaseState.APPROVED,
                    new=ReleaseState.ROLLING_OUT,
                    now=h.clock.now(),
                )
                session.commit()

        loser = RolloutRunner(
            db=h.workflow._db,
            clusters=_RacingClusters(h.clusters, other_runner_starts),
            groups=h.groups,
            events=h.sink,
            clock=h.clock,
            executor=held._pool,
            bot_actor=BOT,
        )
        loser.start(Job(release_id))
        assert loser.wait_idle(10)
        assert h.workflow.release(release_id).state is ReleaseState.ROLLING_OUT
    finally:
        h.close()


def test_auto_rollback_records_what_runs_after_it_and_failed_digest_is_not_promotable(
    h: Harness,
) -> None:
    h.create_deployment()
    h.sim.cluster.images.set(image(2), PodBehaviour.bad_image())
    h.workflow.announce_build(build("1.0.2", 2))
    assert h.settle()
    rollback = [
        e.release for e in h.sink.of(RolloutFinished) if e.release.kind is ReleaseKind.ROLLBACK
    ]
    assert rollback and rollback[0].digest == digest(15)
    assert h.workflow.running("api", "staging")[0].image == image(15)
    with pytest.raises(PromotionRequired):
        h.workflow.request_deploy(
            actor=REQUESTER, service="api", environment="production", target="1.0.2"
        )


def test_auto_rollback_to_a_previous_release_records_its_version(h: Harness) -> None:
    h.create_deployment()
    h.workflow.announce_build(build("1.0.1", 1))
    assert h.settle()
    h.sim.cluster.images.set(image(2), PodBehaviour.bad_image())
    h.workflow.announce_build(build("1.0.2", 2))
    assert h.settle()
    running = h.workflow.running("api", "staging")[0]
    assert (running.version, running.image) == ("1.0.1", image(1).replace("@", ":1.0.1@"))


def test_a_vote_after_the_deadline_is_refused_and_expires_the_request(h: Harness) -> None:
    release_id = _to_production(h)
    h.workflow.vote(actor=ALICE, release_id=release_id, decision=VoteDecision.APPROVE)
    h.clock.advance(31 * 60)  # past expires_at; the periodic expire job has not run
    with pytest.raises(Conflict, match="expired"):
        h.workflow.vote(actor=BOB, release_id=release_id, decision=VoteDecision.APPROVE)
    assert h.workflow.release(release_id).state is ReleaseState.EXPIRED
    assert [e.release.state for e in h.sink.of(ReleaseDecided)][-1] is ReleaseState.EXPIRED


def test_group_lookups_happen_outside_any_database_transaction(
    sim: SimHandle, tmp_path: Path
) -> None:
    h = make_harness(sim, tmp_path)
    try:
        release_id = _to_production(h)
        lookup = h.groups.members
        could_write: list[bool] = []

        def members(group: str) -> frozenset[str]:
            other = sqlite3.connect(tmp_path / "releasebot.db", timeout=0.2)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.rollback()
                could_write.append(True)
            except sqlite3.OperationalError:
                could_write.append(False)
            finally:
                other.close()
            return lookup(group)

        h.groups.members = members  # type: ignore[method-assign]
        h.workflow.vote(actor=CAROL, release_id=release_id, decision=VoteDecision.APPROVE)
        h.workflow.vote(actor=ALICE, release_id=release_id, decision=VoteDecision.APPROVE)
        assert h.settle()
        assert h.workflow.release(release_id).state is ReleaseState.SUCCEEDED
        assert could_write and all(could_write), could_write
    finally:
        h.close()


def test_resume_skips_a_release_whose_cluster_cannot_be_read(h: Harness) -> None:
    release_id = _to_production(h)
    h.workflow.vote(actor=ALICE, release_id=release_id, decision=VoteDecision.APPROVE)
    h.workflow.vote(actor=BOB, release_id=release_id, decision=VoteDecision.APPROVE)
    assert h.settle()
    with Session(h.engine) as session:
        for expected, new in ((ReleaseState.SUCCEEDED, ReleaseState.ROLLING_OUT),):
            transition_release(
                session=session,
                release_id=release_id,
                expected=expected,
                new=new,
                now=h.clock.now(),
            )
        session.commit()
    h.sim.cluster.store.delete(DEPLOYMENTS, "apps", "api")
    h.workflow.resume()  # must not raise
    assert h.workflow.release(release_id).state is ReleaseState.ROLLING_OUT


@pytest.mark.parametrize(
    ("refusal", "status"),
    [
        (Conflict("version 1.0.1 was already announced with another digest"), 409),
        (BadRequest("there is no service api2"), 422),
    ],
)
def test_a_refused_build_is_answered_with_its_reason(refusal: Exception, status: int) -> None:
    def on_build(announcement: BuildAnnouncement, delivery: str) -> BuildOutcome:
        raise refusal

    clock = ManualClock()
    app = FastAPI()
    app.include_router(build_hook_router(secret=SECRET, clock=clock, on_build=on_build))
    with serve_asgi(app) as url:
        body = encode(valid_payload())
        response = httpx.post(
            f"{url}/hooks/build", content=body, headers=signed_headers(body, now_ts(clock))
        )
    assert response.status_code == status
    assert response.json() == {"accepted": False, "error": str(refusal)}
