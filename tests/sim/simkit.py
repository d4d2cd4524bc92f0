"""Driving the simulated cluster directly through its store, as the API server would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.clock import ManualClock
from bot.kube.sim.cluster import SimulatedCluster
from bot.kube.sim.registry import admit
from bot.kube.sim.resources import DEPLOYMENTS, EVENTS, PODS, REPLICASETS
from bot.kube.sim.samples import deployment_manifest

Obj = dict[str, Any]
NS = "default"


def new_cluster() -> SimulatedCluster:
    return SimulatedCluster(ManualClock())


def create(cluster: SimulatedCluster, manifest: Obj, namespace: str = NS) -> Obj:
    created = cluster.store.create(DEPLOYMENTS, namespace, admit(DEPLOYMENTS, manifest, None))
    cluster.after_write()
    return created


def change(
    cluster: SimulatedCluster, name: str, mutate: Callable[[Obj], None], namespace: str = NS
) -> Obj:
    """Read, mutate, admit and write back a Deployment, as `kubectl patch` ends up doing."""
    old = cluster.store.get(DEPLOYMENTS, namespace, name)
    new = cluster.store.get(DEPLOYMENTS, namespace, name)
    mutate(new)
    stored = cluster.store.update(DEPLOYMENTS, namespace, admit(DEPLOYMENTS, new, old))
    cluster.after_write()
    return stored


def set_image(cluster: SimulatedCluster, name: str, image: str, namespace: str = NS) -> Obj:
    def mutate(d: Obj) -> None:
        d["spec"]["template"]["spec"]["containers"][0]["image"] = image

    return change(cluster, name, mutate, namespace)


def get(cluster: SimulatedCluster, name: str, namespace: str = NS) -> Obj:
    return cluster.store.get(DEPLOYMENTS, namespace, name)


def replica_sets(cluster: SimulatedCluster, name: str, namespace: str = NS) -> list[Obj]:
    uid = get(cluster, name, namespace)["metadata"]["uid"]
    items, _ = cluster.store.list(REPLICASETS, namespace)
    return [
        rs
        for rs in items
        if any(ref["uid"] == uid for ref in rs["metadata"].get("ownerReferences", []))
    ]


def pods(cluster: SimulatedCluster, app: str, namespace: str = NS) -> list[Obj]:
    items, _ = cluster.store.list(PODS, namespace)
    return [p for p in items if p["metadata"].get("labels", {}).get("app") == app]


def events(cluster: SimulatedCluster, namespace: str = NS) -> list[Obj]:
    return cluster.store.list(EVENTS, namespace)[0]


def condition(d: Obj, kind: str) -> Obj | None:
    for c in d.get("status", {}).get("conditions", []):
        if c["type"] == kind:
            return dict(c)
    return None


def rollout_done(d: Obj) -> bool:
    """kubectl rollout status's success rule."""
    status = d.get("status", {})
    replicas = d["spec"]["replicas"]
    return (
        d["metadata"]["generation"] <= status.get("observedGeneration", 0)
        and status.get("updatedReplicas", 0) == replicas
        and status.get("replicas", 0) == status.get("updatedReplicas", 0)
        and status.get("availableReplicas", 0) == status.get("updatedReplicas", 0)
    )


def run_until(cluster: SimulatedCluster, done: Callable[[], bool], limit: float = 900) -> float:
    """Advance one second at a time until ``done``; the simulated seconds it took."""
    waited = 0.0
    while not done():
        if waited >= limit:
            raise AssertionError(f"not done after {limit} simulated seconds")
        cluster.advance(1)
        waited += 1
    return waited


def sample(name: str = "web", **kwargs: Any) -> Obj:
    return deployment_manifest(name, **kwargs)
