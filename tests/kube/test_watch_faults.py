"""The shared namespace watch under a server that ends watches and a server that stalls.

A watch the API server closes at its timeout is routine: it resumes from the last
resourceVersion without a word. Only failing to reconnect is worth a warning, and that
warning says for how long it has failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.kube.connection import ClusterConfig, Timeouts
from bot.kube.driver import Cluster
from bot.kube.models import RolloutSucceeded
from bot.kube.watching import Change
from tests.waiting import wait_until

from .conftest import NAMESPACE, settle


@pytest.fixture
def short_watches(sim: Any) -> Iterator[Cluster]:
    """A driver whose watches the server ends every second."""
    cluster = Cluster.connect(
        ClusterConfig(context=sim.context, kubeconfig=str(sim.kubeconfig)),
        NAMESPACE,
        clock=sim.clock,
        timeouts=Timeouts(connect=2.0, read=5.0, watch_seconds=1),
    )
    try:
        yield cluster
    finally:
        cluster.close()


def test_a_watch_the_server_ends_at_its_timeout_resumes_without_a_word(
    sim: Any,
    short_watches: Cluster,
    create_deployment: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    create_deployment("api", "shop/api:1")
    watch = short_watches.namespace_watch()
    subscription = watch.subscribe()
    served = sim.server.watches
    with caplog.at_level(logging.INFO, logger="bot.kube"):
        opened = served.opened_total
        wait_until(
            lambda: served.opened_total >= opened + 12,  # each of the three, four times more
            what="the server to end the watches and the bot to resume them",
            timeout=15,
        )
        create_deployment("web", "shop/web:1")
        wait_until(
            lambda: _saw(subscription, "web"), what="the change after the resume", timeout=10
        )
    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert noisy == [], [r.getMessage() for r in noisy]


def _saw(subscription: Any, name: str) -> bool:
    while True:
        item = subscription.get(0)
        if item is None:
            return False
        if isinstance(item, Change) and item.object.get("metadata", {}).get("name") == name:
            return True


def test_only_failing_to_reconnect_is_warned_about_and_the_warning_says_for_how_long(
    sim: Any,
    short_watches: Cluster,
    create_deployment: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    create_deployment("api", "shop/api:1")
    subscription = short_watches.namespace_watch().subscribe()
    faults = sim.server.faults
    with caplog.at_level(logging.INFO, logger="bot.kube"):
        faults.drop_watches(15)  # the server ends each watch within a second; then this
        wait_until(lambda: faults.dropped == 15, what="the refused watches", timeout=30)
        create_deployment("web", "shop/web:1")
        wait_until(
            lambda: _saw(subscription, "web"), what="the change after reconnecting", timeout=15
        )
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings, "fifteen refused reconnects in a row went unmentioned"
    assert len(warnings) <= 3, warnings  # one per stream at most, not one per attempt
    assert all("reconnecting has failed for" in w and " s (" in w for w in warnings), warnings
    back = [r.getMessage() for r in caplog.records if "reconnected after" in r.getMessage()]
    assert back, "coming back was not said"


def test_a_slow_answer_never_fails_a_rollouts_follow(
    sim: Any, create_deployment: Callable[..., Any]
) -> None:
    """The follow's GETs outlast the read timeout twice (a busy API server); they are read
    again with backoff within the rollout's deadline, and the rollout is followed to its end."""
    cluster = Cluster.connect(
        ClusterConfig(context=sim.context, kubeconfig=str(sim.kubeconfig)),
        NAMESPACE,
        clock=sim.clock,
        timeouts=Timeouts(connect=1.0, read=0.5),
    )
    try:
        create_deployment("api", "shop/api:1")
        settle(sim)
        cluster.deploy("api", image="shop/api:2", change_cause="deploy 2", release_id="r2")
        faults = sim.server.faults
        faults.stall_gets(2, 1.0)  # the initial lists and the fresh GET wait past 0.5 s
        events = cluster.watch_rollout("api", timeout=600)
        first = next(events)  # raised ClusterUnreachable when a read timed out
        assert faults.stalled == 2
        seen = [first]
        for _ in range(200):
            if isinstance(seen[-1], RolloutSucceeded):
                break
            sim.cluster.advance(1)
            seen.append(next(events))
        assert isinstance(seen[-1], RolloutSucceeded), seen[-5:]
    finally:
        cluster.close()
