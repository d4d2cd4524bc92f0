"""RollingUpdate against its contract: bounded surge and unavailability at every step."""

from __future__ import annotations

import itertools

import pytest

from bot.kube.sim.podutil import is_available
from bot.kube.sim.resources import PODS
from bot.kube.sim.store import WatchEvent
from tests.sim.simkit import (
    NS,
    create,
    events,
    get,
    new_cluster,
    pods,
    replica_sets,
    rollout_done,
    run_until,
    sample,
    set_image,
)

VALUES: list[int | str] = [0, 1, "25%", "50%"]
CASES = [
    (replicas, surge, unavailable)
    for replicas, (surge, unavailable) in itertools.product(
        [1, 3, 7, 10], itertools.product(VALUES, VALUES)
    )
    if not (surge == 0 and unavailable == 0)
]


def _resolve(value: int | str, replicas: int, up: bool) -> int:
    if isinstance(value, int):
        return value
    exact = int(value[:-1]) * replicas
    return -(-exact // 100) if up else exact // 100


@pytest.mark.parametrize(("replicas", "surge", "unavailable"), CASES)
def test_rolling_update_respects_surge_and_unavailability(
    replicas: int, surge: int | str, unavailable: int | str
) -> None:
    cluster = new_cluster()
    manifest = sample(
        "web", replicas=replicas, image="app:1", max_surge=surge, max_unavailable=unavailable
    )
    create(cluster, manifest)
    run_until(cluster, lambda: rollout_done(get(cluster, "web")))
    max_surge = _resolve(surge, replicas, True)
    max_unavailable = _resolve(unavailable, replicas, False)
    if max_surge == 0 and max_unavailable == 0:
        max_unavailable = 1
    seen = {"max_total": 0, "min_available": replicas}

    def check(event: WatchEvent) -> None:
        if event.rtype is not PODS:
            return
        items, _ = cluster.store.list(PODS, NS)
        now = cluster.clock.now()
        seen["max_total"] = max(seen["max_total"], len(items))
        available = sum(1 for p in items if is_available(p, 0, now))
        seen["min_available"] = min(seen["min_available"], available)

    cluster.store.add_listener(check)
    set_image(cluster, "web", "app:2")
    run_until(cluster, lambda: rollout_done(get(cluster, "web")))

    assert seen["max_total"] <= replicas + max_surge
    assert seen["min_available"] >= replicas - max_unavailable
    assert seen["max_total"] > replicas or seen["min_available"] < replicas
    status = get(cluster, "web")["status"]
    assert status["replicas"] == status["updatedReplicas"] == replicas
    assert status["availableReplicas"] == status["readyReplicas"] == replicas
    assert "unavailableReplicas" not in status
    assert {p["spec"]["containers"][0]["image"] for p in pods(cluster, "web")} == {"app:2"}
    sizes = sorted(rs["spec"]["replicas"] for rs in replica_sets(cluster, "web"))
    assert sizes == [0, replicas]


def test_scaling_events_name_both_sizes() -> None:
    cluster = new_cluster()
    create(cluster, sample("web", replicas=2, image="app:1", max_surge=1, max_unavailable=0))
    run_until(cluster, lambda: rollout_done(get(cluster, "web")))
    set_image(cluster, "web", "app:2")
    run_until(cluster, lambda: rollout_done(get(cluster, "web")))
    messages = [e["message"] for e in events(cluster) if e["reason"] == "ScalingReplicaSet"]
    old, new = sorted(replica_sets(cluster, "web"), key=lambda r: r["spec"]["replicas"])
    old_name, new_name = old["metadata"]["name"], new["metadata"]["name"]
    assert messages == [
        f"Scaled up replica set {old_name} from 0 to 2",
        f"Scaled up replica set {new_name} from 0 to 1",
        f"Scaled down replica set {old_name} from 2 to 1",
        f"Scaled up replica set {new_name} from 1 to 2",
        f"Scaled down replica set {old_name} from 1 to 0",
    ]
