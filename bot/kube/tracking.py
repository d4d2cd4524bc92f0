"""Following one Deployment's rollout on the shared namespace watch until it ends.

Turns raw Deployment, ReplicaSet and Pod changes into the events a release thread shows:
kubectl's status line with replica counts, ReplicaSets scaling, pods failing to pull or
crash-looping, then exactly one terminal event. The timeout is measured on the injected
clock so tests move time by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from bot.clock import Clock
from bot.kube.errors import DeploymentDeleted, Where
from bot.kube.fetching import Obj, get_deployment, is_controlled_by, retry_reads
from bot.kube.models import (
    PodChanged,
    ReplicaSetChanged,
    RolloutEvent,
    RolloutFailed,
    RolloutProgress,
    RolloutSucceeded,
    RolloutTimedOut,
    Verdict,
    WatchStopped,
)
from bot.kube.status import container_image, replica_counts, revision_of, rollout_status, strategy
from bot.kube.watching import Change, NamespaceWatch, WatchFailed

POLL_SECONDS = 0.05
"""How soon (real time) the timeout is first checked again while no event arrives."""
MAX_POLL_SECONDS = 1.0
"""The longest wait between two looks at the timeout: a quiet rollout backs off to it, so a
thousand rollouts waiting on slow pods do not wake a thousand threads twenty times a second
(which made the cost of a rollout grow with how long it took)."""


def follow_rollout(
    watch: NamespaceWatch,
    where: Where,
    *,
    deployment: str,
    container: str,
    clock: Clock,
    timeout: float,
) -> Iterator[RolloutEvent]:
    """Yield progress until success, failure (progress deadline) or ``timeout`` seconds."""
    what = f'following deployment "{deployment}" in {where.describe()}'
    subscription = retry_reads(lambda: watch.subscribe(deployment), within=timeout, what=what)
    try:
        tracker = _Tracker(deployment, container)
        # The shared cache may not have seen a patch made a moment ago; reading the object
        # afresh (as kubectl's list does) sets the generation below which states are stale.
        fresh = retry_reads(
            lambda: get_deployment(watch.conn, where, deployment), within=timeout, what=what
        )
        tracker.min_generation = _generation(fresh)
        cached = subscription.snapshot["deployments"].get(deployment)
        current = (
            cached if cached is not None and _generation(cached) >= _generation(fresh) else fresh
        )
        tracker.deployment_uid = current.get("metadata", {}).get("uid")
        for rs in subscription.snapshot["replicasets"].values():
            yield from tracker.on_change(Change("replicasets", "ADDED", rs))
        for pod in subscription.snapshot["pods"].values():
            yield from tracker.on_change(Change("pods", "ADDED", pod))
        yield from tracker.on_change(Change("deployments", "ADDED", current))
        deadline = clock.now() + timedelta(seconds=timeout)
        poll = POLL_SECONDS
        while tracker.finished is None:
            item = subscription.get(poll)
            poll = POLL_SECONDS if item is not None else min(MAX_POLL_SECONDS, poll * 2)
            if isinstance(item, WatchFailed):
                raise item.error
            if item is not None:
                yield from tracker.on_change(item)
            elif subscription.closed:
                raise WatchStopped(
                    f'stopped following deployment "{deployment}" in {where.describe()}: '
                    "releasebot is shutting down; it picks the rollout up again when it restarts"
                )
            elif clock.now() >= deadline:
                yield RolloutTimedOut(
                    deployment,
                    f'timed out after {timeout:g} s waiting for deployment "{deployment}" '
                    "to roll out",
                    tracker.last_message,
                )
                return
    finally:
        watch.unsubscribe(subscription)


def _generation(obj: Obj) -> int:
    return int(obj.get("metadata", {}).get("generation") or 0)


class _Tracker:
    def __init__(self, deployment: str, container: str) -> None:
        self.name = deployment
        self.container = container
        self.deployment_uid: str | None = None
        self.replica_sets: dict[str, Obj] = {}
        self.rs_views: dict[str, tuple[int | None, int, int, int]] = {}
        self.pod_views: dict[str, tuple[str, bool, str | None, int]] = {}
        self.last_progress: RolloutProgress | None = None
        self.last_message = ""
        self.finished: Verdict | None = None
        self.min_generation = 0

    def on_change(self, change: Change) -> Iterator[RolloutEvent]:
        if change.kind == "deployments":
            yield from self._deployment(change)
        elif change.kind == "replicasets":
            yield from self._replica_set(change)
        else:
            yield from self._pod(change)

    def _deployment(self, change: Change) -> Iterator[RolloutEvent]:
        obj = change.object
        if obj.get("metadata", {}).get("name") != self.name:
            return
        if change.type == "DELETED":
            raise DeploymentDeleted(
                f'deployment "{self.name}" was deleted while its rollout was being watched'
            )
        if _generation(obj) < self.min_generation:
            return
        status = rollout_status(obj)
        revision = revision_of(obj)
        progress = RolloutProgress(
            self.name, status.message, status.verdict, revision, replica_counts(obj), strategy(obj)
        )
        self.last_message = status.message
        if progress != self.last_progress:
            self.last_progress = progress
            yield progress
        if status.verdict is Verdict.SUCCEEDED:
            self.finished = status.verdict
            yield RolloutSucceeded(self.name, status.message, revision)
        elif status.verdict is Verdict.FAILED:
            self.finished = status.verdict
            yield RolloutFailed(self.name, status.message, revision)

    def _replica_set(self, change: Change) -> Iterator[RolloutEvent]:
        obj = change.object
        name = str(obj.get("metadata", {}).get("name"))
        if not is_controlled_by(obj, self.deployment_uid):
            return
        if change.type == "DELETED":
            self.replica_sets.pop(name, None)
        else:
            self.replica_sets[name] = obj
        status = obj.get("status") or {}
        event = ReplicaSetChanged(
            deployment=self.name,
            name=name,
            change=change.type,
            revision=revision_of(obj),
            image=container_image(obj, self.container) or "",
            replicas=int(status.get("replicas") or 0),
            ready=int(status.get("readyReplicas") or 0),
            available=int(status.get("availableReplicas") or 0),
        )
        if change.type == "DELETED":
            self.rs_views.pop(name, None)
        elif self.rs_views.get(name) == (
            event.revision,
            event.replicas,
            event.ready,
            event.available,
        ):
            return
        else:
            self.rs_views[name] = (event.revision, event.replicas, event.ready, event.available)
        yield event

    def _pod(self, change: Change) -> Iterator[RolloutEvent]:
        obj = change.object
        owner = _controller_name(obj)
        if owner is None or owner not in self.replica_sets:
            return
        name = str(obj.get("metadata", {}).get("name"))
        view = _pod_view(obj, self.container)
        if change.type != "DELETED" and self.pod_views.get(name) == view:
            return
        if change.type == "DELETED":
            self.pod_views.pop(name, None)
        else:
            self.pod_views[name] = view
        phase, ready, reason, restarts = view
        yield PodChanged(self.name, name, owner, change.type, phase, ready, reason, restarts)


def _controller_name(obj: Obj) -> str | None:
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return str(ref.get("name"))
    return None


def _pod_view(pod: Obj, container: str) -> tuple[str, bool, str | None, int]:
    status = pod.get("status") or {}
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or []
    )
    reason: str | None = None
    restarts = 0
    for item in status.get("containerStatuses") or []:
        if item.get("name") != container and len(status.get("containerStatuses") or []) > 1:
            continue
        restarts = int(item.get("restartCount") or 0)
        waiting = (item.get("state") or {}).get("waiting")
        if waiting:
            reason = waiting.get("reason")
    return str(status.get("phase") or "Pending"), ready, reason, restarts
