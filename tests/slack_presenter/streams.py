"""A whole release's event stream as the workflow publishes it, on a ManualClock, with the
ticker's flushes in between; shared by the rate-limit test and the benchmark."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator

from bot.clock import ManualClock
from bot.slack.presenter import SlackPresenter
from bot.slack.standin.webapi import FakeSlackWebAPI
from bot.workflow.events import (
    BuildAnnounced,
    Event,
    PodTrouble,
    ReleaseDecided,
    ReleaseRequested,
    RolloutFinished,
    RolloutProgressed,
    RolloutStarted,
    VoteRecorded,
)
from bot.workflow.model import Actor
from storage.models import ReleaseState
from tests.slack_presenter.factories import TEAM, build, progress, release, vote

REPLICAS = 10
TICK = 0.5  # how often the presenter's ticker flushes


def ten_replica_release(clock: ManualClock) -> Iterator[tuple[float, Event]]:
    """(seconds to wait before, event): a build, a request, two approvals, and a rollout that
    reports every 100 ms for 30 s — faster than any real cluster — with one pod in trouble."""
    boss, alice = Actor("U0BOSS", TEAM), Actor("U0ALICE", TEAM)
    yield 0, BuildAnnounced(build(), ())
    yield 5, ReleaseRequested(release())
    one = release(votes=(vote("U0BOSS", clock.now()),))
    yield 30, VoteRecorded(one, boss, counted=True)
    yield 0.3, VoteRecorded(one, boss, counted=False)
    both = (vote("U0BOSS", clock.now()), vote("U0ALICE", clock.now()))
    approved = release(ReleaseState.APPROVED, votes=both)
    yield 20, VoteRecorded(approved, alice, counted=True)
    yield 0, ReleaseDecided(approved, alice)
    started = dataclasses.replace(approved, state=ReleaseState.ROLLING_OUT, started_at=clock.now())
    yield 0, RolloutStarted(started)
    steps = 300
    for i in range(steps + 1):
        updated = REPLICAS * i // steps
        p = progress(
            updated,
            ready=max(0, updated - 1),
            available=max(0, updated - 2),
            old_pending_termination=min(3, REPLICAS - updated),
        )
        yield 0.1, RolloutProgressed(dataclasses.replace(started, progress=p))
        if i in {40, 41, 42, 80}:
            yield 0, PodTrouble(started, "api-7d9f-x2k", "CrashLoopBackOff")
    done = dataclasses.replace(
        started,
        state=ReleaseState.SUCCEEDED,
        finished_at=clock.now(),
        progress=progress(REPLICAS),
        revision_after=13,
    )
    yield 0, RolloutFinished(done)


def play(
    presenter: SlackPresenter, clock: ManualClock, stream: Iterator[tuple[float, Event]]
) -> None:
    """Advance the clock by each wait, flushing every TICK as the ticker would."""
    next_tick = clock.now().timestamp() + TICK
    for wait, event in stream:
        until = clock.now().timestamp() + wait
        while next_tick <= until:
            clock.advance(max(0.0, next_tick - clock.now().timestamp()))
            presenter.flush_due()
            next_tick += TICK
        clock.advance(max(0.0, until - clock.now().timestamp()))
        presenter.publish(event)
    for _ in range(20):  # let queued replies drain
        clock.advance(TICK)
        presenter.flush_due()


def calls_by_method(api: FakeSlackWebAPI) -> Counter[str]:
    return Counter(c.method for c in api.calls())
