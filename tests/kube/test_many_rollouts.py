"""Many rollouts in one namespace: connections stay at the namespace's three watch streams
plus a small pool, and each rollout reads only its own Deployment's changes.

The figures at scale (1000 rollouts) are benchmarks/many_rollouts.py's; these checks are
the properties behind them, small enough for the test run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from bot.kube.connection import REQUEST_CONNECTIONS, ClusterConfig, Timeouts
from bot.kube.driver import Cluster
from bot.kube.models import RolloutSucceeded
from bot.kube.sim.samples import deployment_manifest as sample_manifest
from bot.kube.watching import Change
from tests.sim import simkit
from tests.waiting import wait_until

from .conftest import NAMESPACE, settle

ROLLOUTS = 24


def test_concurrent_rollouts_hold_three_watches_and_a_small_pool_not_a_connection_each(
    sim: Any,
) -> None:
    from bot.kube.sim.serve import ensure_namespace

    ensure_namespace(sim.cluster, NAMESPACE)
    names = [f"svc{i}" for i in range(ROLLOUTS)]
    for name in names:
        simkit.create(sim.cluster, sample_manifest(name, image="shop/app:1", replicas=1), NAMESPACE)
    settle(sim, 30)
    cluster = Cluster.connect(
        ClusterConfig(context=sim.context, kubeconfig=str(sim.kubeconfig)),
        NAMESPACE,
        clock=sim.clock,
        timeouts=Timeouts(connect=2.0, read=10.0),
    )
    succeeded: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(ROLLOUTS)

    def roll(name: str) -> None:
        start.wait()  # all at once, as 1000 approvals landing together would
        cluster.deploy(name, image="shop/app:2", change_cause="c", release_id=f"r-{name}")
        for event in cluster.watch_rollout(name, timeout=600):
            if isinstance(event, RolloutSucceeded):
                with lock:
                    succeeded.append(name)

    before = sim.server.connections
    threads = [threading.Thread(target=roll, args=(n,), daemon=True) for n in names]
    try:
        for thread in threads:
            thread.start()

        def all_done() -> bool:
            sim.cluster.advance(1)
            return len(succeeded) == ROLLOUTS

        wait_until(all_done, what=lambda: f"{len(succeeded)} of {ROLLOUTS} rollouts", timeout=60)
        peak = sim.server.peak_connections
    finally:
        cluster.close()
    assert peak - before <= 3 + REQUEST_CONNECTIONS, (
        f"{peak - before} connections for {ROLLOUTS} rollouts in one namespace"
    )


def test_a_rollouts_subscription_carries_its_own_deployment_only(
    sim: Any, driver: Cluster, create_deployment: Callable[..., Any]
) -> None:
    create_deployment("api", "shop/api:1", replicas=1)
    create_deployment("web", "shop/web:1", replicas=1)
    settle(sim, 10)
    watch = driver.namespace_watch()
    mine, everything = watch.subscribe("api"), watch.subscribe()
    assert set(mine.snapshot["deployments"]) == {"api"}
    assert {o["metadata"]["name"].split("-")[0] for o in mine.snapshot["pods"].values()} == {"api"}
    driver.deploy("web", image="shop/web:2", change_cause="c", release_id="r-web")
    driver.deploy("api", image="shop/api:2", change_cause="c", release_id="r-api")
    settle(sim, 10)

    def names(items: list[Any]) -> set[str]:
        return {
            str(i.object["metadata"]["name"]).split("-")[0] for i in items if isinstance(i, Change)
        }

    seen_all: list[Any] = []
    wait_until(
        lambda: _drain(everything, seen_all) and names(seen_all) >= {"api", "web"},
        what="both rollouts on the unfiltered subscription",
    )
    seen_mine: list[Any] = []
    _drain(mine, seen_mine)
    assert names(seen_mine) == {"api"}
    assert {i.kind for i in seen_mine} == {"deployments", "replicasets", "pods"}


def _drain(subscription: Any, into: list[Any]) -> bool:
    while (item := subscription.get(0)) is not None:
        into.append(item)
    return True
