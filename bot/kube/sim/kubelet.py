"""Scheduler plus kubelet for one simulated node: binds pods and reports their status.

Status is recomputed from the container behaviours and the clock, written only when it
differs, and accompanied by the Events a real kubelet emits on the same transitions.
"""

from __future__ import annotations

import copy
from datetime import datetime

from bot.kube.sim.behaviour import ContainerView, ImageBehaviours, container_view
from bot.kube.sim.events import NORMAL, WARNING, EventRecorder
from bot.kube.sim.informer import Informer, Key
from bot.kube.sim.meta import created_at, format_time, name_of, namespace_of, uid_of
from bot.kube.sim.resources import PODS
from bot.kube.sim.store import Obj, Store

NODE_NAME = "sim-node-1"
HOST_IP = "10.0.0.10"


class Kubelet:
    def __init__(
        self, store: Store, informer: Informer, events: EventRecorder, images: ImageBehaviours
    ) -> None:
        self._store = store
        self._informer = informer
        self._events = events
        self._images = images
        self._scheduled: dict[str, datetime] = {}
        self._ips: dict[str, str] = {}
        self._next_ip = 0

    def sync(self, key: Key) -> None:
        pod = self._informer.get(PODS, key)
        if pod is None:
            return
        if pod["metadata"].get("deletionTimestamp"):
            return
        now = self._store.clock.now()
        if not pod.get("spec", {}).get("nodeName"):
            self._bind(pod, now)
            return
        scheduled = self._scheduled.get(uid_of(pod)) or created_at(pod)
        views = [
            container_view(self._images.for_image(c.get("image", "")), c, pod, scheduled, now)
            for c in pod["spec"].get("containers", [])
        ]
        status = self._status(pod, views, scheduled)
        if status != pod.get("status"):
            self._record_transitions(pod, views)
            updated = copy.deepcopy(pod)
            updated["status"] = status
            self._store.update(PODS, key[0], updated, subresource="status", check_version=False)
        changes = [v.next_change for v in views if v.next_change is not None]
        self._informer.set_timer(PODS, key, min(changes, default=None))

    def forget(self, uid: str) -> None:
        self._scheduled.pop(uid, None)
        self._ips.pop(uid, None)

    def _bind(self, pod: Obj, now: datetime) -> None:
        bound = copy.deepcopy(pod)
        bound["spec"]["nodeName"] = NODE_NAME
        self._scheduled[uid_of(pod)] = now
        self._store.update(PODS, namespace_of(pod), bound, check_version=False)
        message = f"Successfully assigned {namespace_of(pod)}/{name_of(pod)} to {NODE_NAME}"
        self._events.record(pod, NORMAL, "Scheduled", message, "default-scheduler")

    def _pod_ip(self, uid: str) -> str:
        if uid not in self._ips:
            n = self._next_ip
            self._next_ip += 1
            self._ips[uid] = f"10.244.{(n // 250) % 256}.{n % 250 + 2}"
        return self._ips[uid]

    def _status(self, pod: Obj, views: list[ContainerView], scheduled: datetime) -> Obj:
        since = format_time(scheduled)
        all_ready = bool(views) and all(v.ready_since is not None for v in views)
        unready = [v.status["name"] for v in views if v.ready_since is None]
        ready_since = (
            format_time(max(v.ready_since for v in views if v.ready_since))
            if (all_ready)
            else since
        )
        ready: Obj = {"status": "True" if all_ready else "False"}
        if not all_ready:
            ready["reason"] = "ContainersNotReady"
            ready["message"] = f"containers with unready status: [{' '.join(unready)}]"
        conditions = [
            {"type": "PodReadyToStartContainers", "status": "True"},
            {"type": "Initialized", "status": "True"},
            {"type": "Ready", **ready},
            {"type": "ContainersReady", **ready},
            {"type": "PodScheduled", "status": "True"},
        ]
        for condition in conditions:
            condition["lastProbeTime"] = None
            ready_kind = condition["type"] in ("Ready", "ContainersReady")
            condition["lastTransitionTime"] = ready_since if ready_kind else since
        ip = self._pod_ip(uid_of(pod))
        return {
            "phase": "Running"
            if views and all(v.started or v.status["restartCount"] > 0 for v in views)
            else "Pending",
            "conditions": conditions,
            "hostIP": HOST_IP,
            "hostIPs": [{"ip": HOST_IP}],
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "startTime": since,
            "containerStatuses": [v.status for v in views],
            "qosClass": "BestEffort",
        }

    def _record_transitions(self, pod: Obj, views: list[ContainerView]) -> None:
        before = {c["name"]: c for c in (pod.get("status") or {}).get("containerStatuses") or []}
        for view in views:
            new = view.status
            old = before.get(new["name"], {})
            old_reason = old.get("state", {}).get("waiting", {}).get("reason")
            new_waiting = new["state"].get("waiting", {})
            reason = new_waiting.get("reason")
            image, name = new["image"], new["name"]
            if reason == "ErrImagePull" and old_reason != reason:
                self._kubelet_event(pod, NORMAL, "Pulling", f'Pulling image "{image}"')
                message = f'Failed to pull image "{image}": {new_waiting.get("message", "")}'
                self._kubelet_event(pod, WARNING, "Failed", message)
                self._kubelet_event(pod, WARNING, "Failed", "Error: ErrImagePull")
            elif reason == "ImagePullBackOff" and old_reason != reason:
                self._kubelet_event(pod, NORMAL, "BackOff", f'Back-off pulling image "{image}"')
                self._kubelet_event(pod, WARNING, "Failed", "Error: ImagePullBackOff")
            elif reason == "CrashLoopBackOff" and old_reason != reason:
                ref = f"{name_of(pod)}_{namespace_of(pod)}({uid_of(pod)})"
                message = f"Back-off restarting failed container {name} in pod {ref}"
                self._kubelet_event(pod, WARNING, "BackOff", message)
            elif "running" in new["state"] and (
                "running" not in old.get("state", {})
                or old.get("restartCount") != new["restartCount"]
            ):
                message = f'Container image "{image}" already present on machine'
                self._kubelet_event(pod, NORMAL, "Pulled", message)
                self._kubelet_event(pod, NORMAL, "Created", f"Created container: {name}")
                self._kubelet_event(pod, NORMAL, "Started", f"Started container {name}")

    def _kubelet_event(self, pod: Obj, kind: str, reason: str, message: str) -> None:
        self._events.record(pod, kind, reason, message, "kubelet")
