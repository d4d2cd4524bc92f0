"""The ReplicaSet controller (`pkg/controller/replicaset/replica_set.go`), simulated.

Creates pods from the template to reach ``spec.replicas``, deletes the least valuable ones
first when there are too many, and reports replicas, fullyLabeled, ready and available
counts. Availability depends on time (minReadySeconds), so it sets a timer for the moment
the next pod becomes available.
"""

from __future__ import annotations

import copy
from datetime import datetime

from bot.kube.sim.events import NORMAL, EventRecorder
from bot.kube.sim.informer import Informer, Key
from bot.kube.sim.meta import (
    created_at,
    name_of,
    new_controller_ref,
    parse_time,
    selector_matches,
    uid_of,
)
from bot.kube.sim.podutil import available_at, is_active, is_ready, ready_condition
from bot.kube.sim.resources import PODS, REPLICASETS
from bot.kube.sim.store import NotFound, Obj, Store

COMPONENT = "replicaset-controller"
BURST_REPLICAS = 500


def _deletion_rank(pod: Obj) -> tuple[int, int, int, float, int, float]:
    """controller.ActivePodsWithRanks order: the pod sorted first is deleted first.

    Unscheduled before scheduled, Pending before Unknown before Running, not ready before
    ready, ready for less time first, more restarts first, then the newest first.
    """
    status = pod.get("status") or {}
    scheduled = 1 if pod.get("spec", {}).get("nodeName") else 0
    phase = {"Pending": 0, "Unknown": 1, "Running": 2}.get(status.get("phase", "Pending"), 0)
    ready = 1 if is_ready(pod) else 0
    since = parse_time((ready_condition(pod) or {}).get("lastTransitionTime")) if ready else None
    ready_for = -since.timestamp() if since else 0.0
    restarts = sum(int(c.get("restartCount", 0)) for c in status.get("containerStatuses") or [])
    return scheduled, phase, ready, ready_for, -restarts, -created_at(pod).timestamp()


class ReplicaSetController:
    def __init__(self, store: Store, informer: Informer, events: EventRecorder) -> None:
        self._store = store
        self._informer = informer
        self._events = events

    def sync(self, key: Key) -> None:
        rs = self._informer.get(REPLICASETS, key)
        if rs is None or rs["metadata"].get("deletionTimestamp"):
            return
        now = self._store.clock.now()
        owned = self._informer.owned(PODS, uid_of(rs))
        pods = [p for p in owned if is_active(p)]
        terminating = sum(1 for p in owned if p["metadata"].get("deletionTimestamp"))
        self._manage(rs, pods)
        self._update_status(rs, pods, now, terminating)

    def _manage(self, rs: Obj, pods: list[Obj]) -> None:
        diff = len(pods) - int(rs["spec"].get("replicas", 1))
        if diff < 0:
            for _ in range(min(-diff, BURST_REPLICAS)):
                self._create_pod(rs)
        elif diff > 0:
            for pod in sorted(pods, key=_deletion_rank)[: min(diff, BURST_REPLICAS)]:
                try:
                    self._store.delete(PODS, pod["metadata"]["namespace"], name_of(pod))
                except NotFound:
                    continue
                self._events.record(
                    rs, NORMAL, "SuccessfulDelete", f"Deleted pod: {name_of(pod)}", COMPONENT
                )

    def _create_pod(self, rs: Obj) -> None:
        template = copy.deepcopy(rs["spec"].get("template") or {})
        meta = template.get("metadata") or {}
        pod: Obj = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "generateName": f"{name_of(rs)}-",
                "labels": dict(meta.get("labels") or {}),
                "ownerReferences": [new_controller_ref(rs)],
            },
            "spec": template.get("spec") or {},
            "status": {"phase": "Pending", "qosClass": "BestEffort"},
        }
        if meta.get("annotations"):
            pod["metadata"]["annotations"] = dict(meta["annotations"])
        created = self._store.create(PODS, rs["metadata"]["namespace"], pod)
        message = f"Created pod: {name_of(created)}"
        self._events.record(rs, NORMAL, "SuccessfulCreate", message, COMPONENT)

    def _update_status(self, rs: Obj, pods: list[Obj], now: datetime, terminating: int) -> None:
        min_ready = int(rs["spec"].get("minReadySeconds") or 0)
        template_labels = (rs["spec"].get("template") or {}).get("metadata", {}).get("labels")
        labeled = ready = available = 0
        next_available: datetime | None = None
        for pod in pods:
            labels = pod["metadata"].get("labels") or {}
            if selector_matches({"matchLabels": template_labels or {}}, labels):
                labeled += 1
            if not is_ready(pod):
                continue
            ready += 1
            when = available_at(pod, min_ready)
            if min_ready == 0 or (when is not None and when <= now):
                available += 1
            elif when is not None and (next_available is None or when < next_available):
                next_available = when
        key = (rs["metadata"]["namespace"], name_of(rs))
        self._informer.set_timer(REPLICASETS, key, next_available)
        status: Obj = {"replicas": len(pods)}
        for field, value in (
            ("fullyLabeledReplicas", labeled),
            ("readyReplicas", ready),
            ("availableReplicas", available),
            ("observedGeneration", rs["metadata"].get("generation", 1)),
        ):
            if value:
                status[field] = value
        # Written even when 0, as the real controller does since terminating replicas are
        # counted (Kubernetes 1.33+); the Deployment's status sums it.
        status["terminatingReplicas"] = terminating
        if (rs.get("status") or {}).get("conditions"):
            status["conditions"] = rs["status"]["conditions"]
        if status != rs.get("status"):
            updated = copy.deepcopy(rs)
            updated["status"] = status
            self._store.update(
                REPLICASETS, key[0], updated, subresource="status", check_version=False
            )
