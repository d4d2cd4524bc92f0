"""Recreate, resizing mid-rollout, deletion cascade, pod replacement and scale at size."""

from __future__ import annotations

from bot.kube.sim.behaviour import PodBehaviour
from bot.kube.sim.resources import DEPLOYMENTS, PODS, REPLICASETS
from bot.kube.sim.store import WatchEvent
from tests.sim.simkit import (
    NS,
    change,
    create,
    get,
    new_cluster,
    pods,
    replica_sets,
    rollout_done,
    run_until,
    sample,
    set_image,
)


def test_recreate_scales_old_to_zero_before_new_pods_exist() -> None:
    cluster = new_cluster()
    create(cluster, sample("web", replicas=3, image="app:1", strategy="Recreate"))
    run_until(cluster, lambda: rollout_done(get(cluster, "web")))
    mixed: list[tuple[int, int]] = []

    def check(event: WatchEvent) -> None:
        if event.rtype is PODS:
            images = [p["spec"]["containers"][0]["image"] for p in pods(cluster, "web")]
            mixed.append((images.count("app:1"), images.count("app:2")))

    cluster.store.add_listener(check)
    set_image(cluster, "web", "app:2")
    run_until(cluster, lambda: rollout_done(get(cluster, "web")))
    assert all(old == 0 or new == 0 for old, new in mixed)
    assert (0, 0) in mixed
    assert [p["spec"]["containers"][0]["image"] for p in pods(cluster, "web")] == ["app:2"] * 3


def test_resizing_mid_rollout_scales_replica_sets_proportionally() -> None:
    cluster = new_cluster()
    cluster.images.set("app:slow", PodBehaviour.ready(after=3600))
    create(cluster, sample("web", replicas=10, image="app:1", max_surge=3, max_unavailable=2))
    run_until(cluster, lambda: rollout_done(get(cluster, "web")))
    set_image(cluster, "web", "app:slow")
    cluster.advance(5)
    before = {
        rs["spec"]["template"]["spec"]["containers"][0]["image"]: rs["spec"]["replicas"]
        for rs in replica_sets(cluster, "web")
    }
    assert before == {"app:1": 8, "app:slow": 5}
    change(cluster, "web", lambda d: d["spec"].update(replicas=20))
    after = {
        rs["spec"]["template"]["spec"]["containers"][0]["image"]: rs["spec"]["replicas"]
        for rs in replica_sets(cluster, "web")
    }
    # 13 → 23 allowed: 8·23/13 = 14.15 → 14, 5·23/13 = 8.8 → 9 (leftover to the largest).
    assert after == {"app:1": 14, "app:slow": 9}
    assert sum(after.values()) == 23


def test_scaling_a_settled_deployment_scales_its_one_replica_set() -> None:
    cluster = new_cluster()
    create(cluster, sample("web", replicas=2, image="app:1"))
    run_until(cluster, lambda: rollout_done(get(cluster, "web")))
    change(cluster, "web", lambda d: d["spec"].update(replicas=5))
    (rs,) = replica_sets(cluster, "web")
    assert rs["spec"]["replicas"] == 5
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] == "5"
    run_until(cluster, lambda: rollout_done(get(cluster, "web")))
    change(cluster, "web", lambda d: d["spec"].update(replicas=0))
    assert pods(cluster, "web") == []
    d = get(cluster, "web")
    assert rollout_done(d)
    assert "replicas" not in d["status"]


def test_deleted_pod_is_replaced_and_deleted_deployment_takes_everything() -> None:
    cluster = new_cluster()
    create(cluster, sample("web", replicas=2, image="app:1"))
    run_until(cluster, lambda: rollout_done(get(cluster, "web")))
    victim = pods(cluster, "web")[0]["metadata"]["name"]
    cluster.store.delete(PODS, NS, victim)
    cluster.after_write()
    names = [p["metadata"]["name"] for p in pods(cluster, "web")]
    assert len(names) == 2 and victim not in names
    cluster.store.delete(DEPLOYMENTS, NS, "web")
    cluster.after_write()
    assert cluster.store.list(REPLICASETS, NS)[0] == []
    assert pods(cluster, "web") == []


def test_unready_pods_are_deleted_first_when_scaling_down() -> None:
    cluster = new_cluster()
    create(cluster, sample("web", replicas=3, image="app:1"))
    run_until(cluster, lambda: rollout_done(get(cluster, "web")))
    ready = {p["metadata"]["name"] for p in pods(cluster, "web")}
    change(cluster, "web", lambda d: d["spec"].update(replicas=5))
    change(cluster, "web", lambda d: d["spec"].update(replicas=3))
    assert {p["metadata"]["name"] for p in pods(cluster, "web")} == ready


def test_many_deployments_settle_quickly() -> None:
    cluster = new_cluster()
    for n in range(200):
        namespace = f"ns{n % 10}"
        create(cluster, sample(f"app{n}", replicas=2, image="app:1"), namespace)
    cluster.advance(5)
    for n in range(0, 200, 7):
        set_image(cluster, f"app{n}", "app:2", f"ns{n % 10}")
    cluster.advance(30)
    for n in range(200):
        assert rollout_done(get(cluster, f"app{n}", f"ns{n % 10}"))
