"""What a Deployment, its ReplicaSets and pods went through, seen by a watch over HTTP.

On real time neither backend can be stopped between two changes, so the bounds and the
condition sequence are read from watch events, as any client would see them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from kubernetes import watch

from tests.parity.scene import limits
from tests.real.backends import Backend

Obj = dict[str, Any]


@dataclass
class WatchLog:
    """Records every Deployment state and checks maxSurge / maxUnavailable on every pod and
    ReplicaSet change of Deployment ``name`` (label app=name), from the moment it starts."""

    backend: Backend
    name: str
    deployments: list[Obj] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    checked: int = 0
    _pods: dict[str, Obj] = field(default_factory=dict)
    _sets: dict[str, Obj] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _synced: list[threading.Event] = field(default_factory=list)
    _live: threading.Event = field(default_factory=threading.Event)

    def start(self) -> WatchLog:
        b = self.backend
        sources = [
            (b.apps.list_namespaced_deployment, self._on_deployment),
            (b.apps.list_namespaced_replica_set, self._on_set),
            (b.core.list_namespaced_pod, self._on_pod),
        ]
        for lister, handler in sources:
            synced = threading.Event()
            thread = threading.Thread(target=self._run, args=(lister, handler, synced), daemon=True)
            self._synced.append(synced)
            self._threads.append(thread)
            thread.start()
        for synced in self._synced:
            assert synced.wait(10), f"{b.name}: the watches did not start"
        # Checked only from here: the initial lists arrive one object at a time.
        self._live.set()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self, lister: Any, handler: Any, synced: threading.Event) -> None:
        listed = lister(self.backend.namespace)
        for item in listed.items:
            handler("ADDED", self.backend.api.sanitize_for_serialization(item))
        version = listed.metadata.resource_version
        synced.set()
        while not self._stop.is_set():
            w = watch.Watch()
            for event in w.stream(
                lister, self.backend.namespace, resource_version=version, timeout_seconds=2
            ):
                obj = self.backend.api.sanitize_for_serialization(event["object"])
                version = obj["metadata"]["resourceVersion"]
                handler(event["type"], obj)
                if self._stop.is_set():
                    w.stop()

    def _on_deployment(self, kind: str, obj: Obj) -> None:
        if obj["metadata"]["name"] == self.name and kind != "DELETED":
            with self._lock:
                self.deployments.append(obj)

    def _on_set(self, kind: str, obj: Obj) -> None:
        if (obj["metadata"].get("labels") or {}).get("app") != self.name:
            return
        with self._lock:
            if kind == "DELETED":
                self._sets.pop(obj["metadata"]["name"], None)
            else:
                self._sets[obj["metadata"]["name"]] = obj
            self._check()

    def _on_pod(self, kind: str, obj: Obj) -> None:
        if (obj["metadata"].get("labels") or {}).get("app") != self.name:
            return
        with self._lock:
            if kind == "DELETED" or obj["metadata"].get("deletionTimestamp"):
                self._pods.pop(obj["metadata"]["name"], None)
            else:
                self._pods[obj["metadata"]["name"]] = obj
            self._check()

    def _check(self) -> None:
        if not self.deployments or not self._live.is_set():
            return
        replicas, surge, unavailable = limits(self.deployments[-1]["spec"])
        ready = sum(1 for pod in self._pods.values() if _ready(pod))
        rs_total = sum(int(rs["spec"].get("replicas", 0)) for rs in self._sets.values())
        self.checked += 1
        # The controllers bound ReplicaSet replicas; an old pod may still exist for a moment
        # after its ReplicaSet was scaled down (the real ReplicaSet controller deletes it
        # asynchronously, the sim at once), so the pod count is a bound on the sim only.
        if self.backend.name == "sim" and len(self._pods) > replicas + surge:
            self.violations.append(f"{len(self._pods)} pods > {replicas}+{surge}")
        if rs_total > replicas + surge:
            self.violations.append(f"RS replicas {rs_total} > {replicas}+{surge}")
        if ready < replicas - unavailable:
            self.violations.append(f"{ready} ready < {replicas}-{unavailable}")

    def conditions(self) -> list[tuple[str, str, str]]:
        """The (type, status, reason) of each condition as it first appeared, in order."""
        seen: list[tuple[str, str, str]] = []
        with self._lock:
            states = list(self.deployments)
        for d in states:
            for c in (d.get("status") or {}).get("conditions") or []:
                key = (c["type"], c["status"], c.get("reason", ""))
                if key not in seen:
                    seen.append(key)
        return seen


def _ready(pod: Obj) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or []
    )
