"""The deployment controller's ``sync.go``: what both rollout strategies build on.

Finding or creating the new ReplicaSet, scaling ReplicaSets (proportionally when the
Deployment itself is resized), cleaning up old revisions and writing status. The strategies
and the sync entry point are in ``deployments.py``; as in Go, they are methods of one
controller, so method names still match the Go functions side by side.
"""

from __future__ import annotations

import copy
from datetime import datetime

from bot.kube.sim import deployutil as du
from bot.kube.sim.events import NORMAL, EventRecorder
from bot.kube.sim.informer import Informer
from bot.kube.sim.meta import (
    annotations_of,
    by_creation,
    controller_uid,
    name_of,
    new_controller_ref,
    uid_of,
)
from bot.kube.sim.progress import calculate_status, progress_check_at, rollout_status
from bot.kube.sim.resources import DEPLOYMENTS, REPLICASETS
from bot.kube.sim.scaling import (
    active_or_latest,
    is_saturated,
    new_rs_new_replicas,
    proportional_sizes,
    set_min_ready,
)
from bot.kube.sim.store import AlreadyExists, NotFound, Obj, Store

COMPONENT = "deployment-controller"


class Requeue(Exception):
    """The sync cannot finish now; the status write that raised it triggers another."""


class DeploymentSync:
    """The controller's shared steps; ``DeploymentController`` adds the rollouts."""

    def __init__(self, store: Store, informer: Informer, events: EventRecorder) -> None:
        self._store = store
        self._informer = informer
        self._events = events

    # -- writes --------------------------------------------------------------------------

    @property
    def _now(self) -> datetime:
        return self._store.clock.now()

    def _write_status(self, d: Obj) -> None:
        namespace = d["metadata"]["namespace"]
        self._store.update(DEPLOYMENTS, namespace, d, subresource="status", check_version=False)

    def _update_rs(self, rs: Obj) -> Obj:
        return self._store.update(REPLICASETS, rs["metadata"]["namespace"], rs, check_version=False)

    def _event(self, d: Obj, message: str) -> None:
        self._events.record(d, NORMAL, "ScalingReplicaSet", message, COMPONENT)

    # -- sync.go -------------------------------------------------------------------------

    def _check_paused_conditions(self, d: Obj) -> None:
        if not du.has_progress_deadline(d):
            return
        condition = du.get_condition(d["status"], "Progressing")
        if condition is not None and condition.get("reason") == du.TIMED_OUT_REASON:
            return
        paused_exists = condition is not None and condition.get("reason") == du.PAUSED_REASON
        paused = bool(d["spec"].get("paused"))
        if paused and not paused_exists:
            reason, message = du.PAUSED_REASON, "Deployment is paused"
        elif not paused and paused_exists:
            reason, message = du.RESUMED_REASON, "Deployment is resumed"
        else:
            return
        du.set_condition(
            d["status"], du.new_condition("Progressing", "Unknown", reason, message, self._now)
        )
        self._write_status(d)

    def _is_scaling_event(self, d: Obj, rs_list: list[Obj]) -> bool:
        new_rs, old_rss = self._get_all_replica_sets(d, rs_list, create=False)
        replicas = du.replicas_of(d)
        for rs in du.active([*old_rss, *([new_rs] if new_rs else [])]):
            desired = du.desired_replicas_annotation(rs)
            if desired is not None and desired != replicas:
                return True
        return False

    def _sync(self, d: Obj, rs_list: list[Obj]) -> None:
        new_rs, old_rss = self._get_all_replica_sets(d, rs_list, create=False)
        self._scale(d, new_rs, old_rss)
        if d["spec"].get("paused"):
            self._cleanup(old_rss, d)
        all_rss = [*old_rss, *([new_rs] if new_rs else [])]
        status = calculate_status(all_rss, new_rs, d, self._now)
        if status != d["status"]:
            d["status"] = status
            self._write_status(d)

    def _get_all_replica_sets(
        self, d: Obj, rs_list: list[Obj], *, create: bool
    ) -> tuple[Obj | None, list[Obj]]:
        existing = du.find_new_rs(d, rs_list)
        old_rss = [rs for rs in rs_list if existing is None or uid_of(rs) != uid_of(existing)]
        return self._get_new_replica_set(d, old_rss, existing, create=create), old_rss

    def _get_new_replica_set(
        self, d: Obj, old_rss: list[Obj], existing: Obj | None, *, create: bool
    ) -> Obj | None:
        new_revision = du.max_revision(old_rss) + 1
        min_ready = int(d["spec"].get("minReadySeconds") or 0)
        if existing is not None:
            rs = copy.deepcopy(existing)
            annotations_updated = du.set_new_rs_annotations(d, rs, new_revision, exists=True)
            if annotations_updated or int(rs["spec"].get("minReadySeconds") or 0) != min_ready:
                set_min_ready(rs, min_ready)
                return self._update_rs(rs)
            revision = annotations_of(rs).get(du.REVISION, "")
            needs_update = du.set_deployment_revision(d, revision)
            if du.has_progress_deadline(d) and du.get_condition(d["status"], "Progressing") is None:
                message = f'Found new replica set "{name_of(rs)}"'
                du.set_condition(
                    d["status"],
                    du.new_condition(
                        "Progressing", "True", du.FOUND_NEW_RS_REASON, message, self._now
                    ),
                )
                needs_update = True
            if needs_update:
                self._write_status(d)
            return rs
        if not create:
            return None
        return self._create_new_replica_set(d, old_rss, new_revision, min_ready)

    def _create_new_replica_set(
        self, d: Obj, old_rss: list[Obj], new_revision: int, min_ready: int
    ) -> Obj:
        namespace = d["metadata"]["namespace"]
        template = copy.deepcopy(d["spec"]["template"])
        template_hash = du.compute_hash(template, d["status"].get("collisionCount"))
        template.setdefault("metadata", {})
        labels = {**(template["metadata"].get("labels") or {}), du.HASH_LABEL: template_hash}
        template["metadata"]["labels"] = labels
        selector = copy.deepcopy(d["spec"]["selector"])
        match_labels = {**(selector.get("matchLabels") or {}), du.HASH_LABEL: template_hash}
        selector["matchLabels"] = match_labels
        rs: Obj = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{name_of(d)}-{template_hash}",
                "namespace": namespace,
                "labels": dict(labels),
                "ownerReferences": [new_controller_ref(d)],
            },
            "spec": {"replicas": 0, "selector": selector, "template": template},
        }
        set_min_ready(rs, min_ready)
        count = new_rs_new_replicas(d, [*old_rss, rs], rs)
        rs["spec"]["replicas"] = count
        du.set_new_rs_annotations(d, rs, new_revision, exists=False)
        already_exists = False
        try:
            created = self._store.create(REPLICASETS, namespace, rs)
        except AlreadyExists:
            found = self._informer.get(REPLICASETS, (namespace, rs["metadata"]["name"]))
            if (
                found is not None
                and controller_uid(found) == uid_of(d)
                and du.equal_ignore_hash(d["spec"]["template"], found["spec"]["template"])
            ):
                created, already_exists = copy.deepcopy(found), True
            else:
                d["status"]["collisionCount"] = int(d["status"].get("collisionCount") or 0) + 1
                self._write_status(d)
                raise Requeue from None
        if not already_exists and count > 0:
            self._event(d, f"Scaled up replica set {name_of(created)} from 0 to {count}")
        needs_update = du.set_deployment_revision(d, str(new_revision))
        if not already_exists and du.has_progress_deadline(d):
            message = f'Created new replica set "{name_of(created)}"'
            du.set_condition(
                d["status"],
                du.new_condition("Progressing", "True", du.NEW_RS_REASON, message, self._now),
            )
            needs_update = True
        if needs_update:
            self._write_status(d)
        return created

    def _scale(self, d: Obj, new_rs: Obj | None, old_rss: list[Obj]) -> None:
        replicas = du.replicas_of(d)
        target = active_or_latest(new_rs, old_rss)
        if target is not None:
            if du.replicas_of(target) != replicas:
                self._scale_and_record(target, replicas, d)
            return
        if is_saturated(d, new_rs):
            for old in du.active(old_rss):
                self._scale_and_record(old, 0, d)
            return
        if not du.is_rolling(d):
            return
        all_rss = du.active([*old_rss, *([new_rs] if new_rs else [])])
        allowed = replicas + du.max_surge(d) if replicas > 0 else 0
        to_add = allowed - du.spec_replicas(all_rss)
        operation = "up" if to_add > 0 else "down" if to_add < 0 else ""
        for rs, size in proportional_sizes(all_rss, d, to_add):
            self._scale_rs_obj(rs, size, d, operation)

    def _scale_and_record(self, rs: Obj, new_scale: int, d: Obj) -> tuple[bool, Obj]:
        if du.replicas_of(rs) == new_scale:
            return False, rs
        operation = "up" if du.replicas_of(rs) < new_scale else "down"
        return self._scale_rs_obj(rs, new_scale, d, operation)

    def _scale_rs_obj(self, rs: Obj, new_scale: int, d: Obj, operation: str) -> tuple[bool, Obj]:
        replicas = du.replicas_of(d)
        max_replicas = replicas + du.max_surge(d)
        size_changes = du.replicas_of(rs) != new_scale
        if not size_changes and not du.replicas_annotations_need_update(rs, replicas, max_replicas):
            return False, rs
        old_scale = du.replicas_of(rs)
        updated = copy.deepcopy(rs)
        updated["spec"]["replicas"] = new_scale
        du.set_replicas_annotations(updated, replicas, max_replicas)
        stored = self._update_rs(updated)
        if size_changes:
            self._event(
                d, f"Scaled {operation} replica set {name_of(rs)} from {old_scale} to {new_scale}"
            )
        return size_changes, stored

    def _cleanup(self, old_rss: list[Obj], d: Obj) -> None:
        limit = d["spec"].get("revisionHistoryLimit")
        if limit is None:
            return
        cleanable = [rs for rs in old_rss if not rs["metadata"].get("deletionTimestamp")]
        diff = len(cleanable) - int(limit)
        if diff <= 0:
            return
        cleanable.sort(key=lambda rs: (du.revision_of(rs), *by_creation(rs)))
        for rs in cleanable[:diff]:
            status = rs.get("status") or {}
            if (
                int(status.get("replicas") or 0) != 0
                or du.replicas_of(rs) != 0
                or rs["metadata"].get("generation", 1) > int(status.get("observedGeneration") or 0)
            ):
                continue
            try:
                self._store.delete(REPLICASETS, rs["metadata"]["namespace"], name_of(rs))
            except NotFound:
                continue

    def _sync_rollout_status(self, all_rss: list[Obj], new_rs: Obj | None, d: Obj) -> None:
        status = rollout_status(all_rss, new_rs, d, self._now)
        key = (d["metadata"]["namespace"], name_of(d))
        if status == d["status"]:
            self._informer.set_timer(DEPLOYMENTS, key, progress_check_at(d, status))
            return
        d["status"] = status
        self._write_status(d)
