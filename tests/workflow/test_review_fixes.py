"""Regression tests for the review of the release workflow (races, expiry, rollback rows)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session

from bot.kube.sim.serve import SimHandle
from bot.workflow.ports import ClusterProvider, RolloutDriver
from bot.workflow.rollouts import Job, RolloutRunner
from storage.models import ReleaseState, VoteDecision
from storage.releases import transition_release
from tests.workflow.harness import (
    ALICE,
    BOB,
    BOT,
    REQUESTER,
    Harness,
    HeldExecutor,
    build,
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
