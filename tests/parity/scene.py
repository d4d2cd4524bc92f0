"""Setting the scene for parity tests: Deployments written through the simulated API's own
admission path, time moved by hand, and the bounds every rollout must keep."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.kube.sim.cluster import SimulatedCluster
from bot.kube.sim.resources import DEPLOYMENTS, PODS, REPLICASETS
from bot.kube.sim.samples import deployment_manifest
from bot.kube.sim.store import WatchEvent
from tests.sim import simkit

Obj = dict[str, Any]
REPO = "registry.example.com/shop/web"


def create(cluster: SimulatedCluster, namespace: str, name: str, **spec: Any) -> None:
    simkit.create(cluster, deployment_manifest(name, **spec), namespace)


def set_image(cluster: SimulatedCluster, namespace: str, name: str, image: str) -> None:
    """Change the image the way a person with a client would (not through the driver)."""
    simkit.set_image(cluster, name, image, namespace)


def settle(cluster: SimulatedCluster, *, limit: float = 120) -> None:
    """Advance time a second at a time until the Deployments' rollouts stop changing."""
    for _ in range(int(limit)):
        cluster.advance(1)
        items, _ = cluster.store.list(DEPLOYMENTS)
        if all(complete(d) or stuck(d) for d in items) and cluster.next_wake() is None:
            return


def complete(d: Obj) -> bool:
    status = d.get("status") or {}
    replicas = d["spec"].get("replicas", 1)
    return bool(
        d["metadata"].get("generation") == status.get("observedGeneration")
        and status.get("updatedReplicas", 0) == replicas
        and status.get("replicas", 0) == replicas
        and status.get("availableReplicas", 0) == replicas
    )


def stuck(d: Obj) -> bool:
    return any(
        c.get("reason") == "ProgressDeadlineExceeded"
        for c in (d.get("status") or {}).get("conditions") or []
    )


def limits(spec: Obj) -> tuple[int, int, int]:
    """(replicas, maxSurge, maxUnavailable) of a Deployment spec, resolved as the controller
    resolves them."""
    replicas = int(spec.get("replicas", 1))
    rolling = (spec.get("strategy") or {}).get("rollingUpdate") or {}
    surge = resolve(rolling.get("maxSurge", "25%"), replicas, round_up=True)
    unavailable = resolve(rolling.get("maxUnavailable", "25%"), replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return replicas, surge, unavailable


def resolve(value: int | str, replicas: int, *, round_up: bool) -> int:
    if isinstance(value, int):
        return value
    fraction = int(value.rstrip("%")) * replicas / 100
    return math.ceil(fraction) if round_up else math.floor(fraction)


@dataclass
class Bounds:
    """Checks, on every change the store records, that a rollout of Deployment ``name`` keeps
    maxSurge and maxUnavailable: at most R+surge pods (and RS replicas) exist, at least
    R-unavailable pods are available. Meant for a rollout that starts fully available."""

    cluster: SimulatedCluster
    namespace: str
    name: str
    violations: list[str] = field(default_factory=list)
    checked: int = 0
    peak_pods: int = 0
    lowest_available: int = 1 << 30
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self) -> None:
        self.cluster.store.add_listener(self._on_event)

    def _on_event(self, event: WatchEvent) -> None:
        if event.object["metadata"].get("namespace") != self.namespace:
            return
        store = self.cluster.store
        deployment = store.get(DEPLOYMENTS, self.namespace, self.name)
        spec = deployment["spec"]
        replicas, surge, unavailable = limits(spec)
        min_ready = int(spec.get("minReadySeconds", 0))
        pods, _ = store.list(
            PODS,
            self.namespace,
            lambda p: (
                p["metadata"].get("labels", {}).get("app") == self.name
                and not p["metadata"].get("deletionTimestamp")
            ),
        )
        sets, _ = store.list(
            REPLICASETS,
            self.namespace,
            lambda rs: rs["metadata"].get("labels", {}).get("app") == self.name,
        )
        now = self.cluster.clock.now()
        available = sum(1 for pod in pods if _available(pod, min_ready, now))
        rs_total = sum(int(rs["spec"].get("replicas", 0)) for rs in sets)
        with self._lock:
            self.checked += 1
            self.peak_pods = max(self.peak_pods, len(pods))
            self.lowest_available = min(self.lowest_available, available)
            rv = event.resource_version
            if len(pods) > replicas + surge:
                self.violations.append(f"rv {rv}: {len(pods)} pods > {replicas}+{surge}")
            if rs_total > replicas + surge:
                self.violations.append(f"rv {rv}: RS replicas {rs_total} > {replicas}+{surge}")
            if available < replicas - unavailable:
                self.violations.append(f"rv {rv}: {available} available < {replicas}-{unavailable}")


def _available(pod: Obj, min_ready: int, now: datetime) -> bool:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready" and cond.get("status") == "True":
            since = datetime.fromisoformat(cond["lastTransitionTime"].replace("Z", "+00:00"))
            return since + timedelta(seconds=min_ready) <= now
    return False
