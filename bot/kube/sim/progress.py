"""Deployment status and the Progressing/Available conditions (`progress.go`, `sync.go`).

Pure functions of the Deployment, its ReplicaSets and the time, so the controller only has
to decide whether to write the result.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

from bot.kube.sim import deployutil as du
from bot.kube.sim.meta import name_of, parse_time
from bot.kube.sim.store import Obj

_JUST_AFTER = timedelta(microseconds=1)


def calculate_status(all_rss: list[Obj], new_rs: Obj | None, d: Obj, now: datetime) -> Obj:
    available = du.status_count(all_rss, "availableReplicas")
    total = du.spec_replicas(all_rss)
    counts = (
        ("replicas", du.status_count(all_rss, "replicas")),
        ("updatedReplicas", du.status_count([new_rs] if new_rs else [], "replicas")),
        ("readyReplicas", du.status_count(all_rss, "readyReplicas")),
        ("availableReplicas", available),
        ("unavailableReplicas", max(total - available, 0)),
    )
    status: Obj = {"observedGeneration": d["metadata"].get("generation", 1)}
    status.update((field, value) for field, value in counts if value)
    terminating = [
        rs["status"]["terminatingReplicas"]
        for rs in all_rss
        if "terminatingReplicas" in (rs.get("status") or {})
    ]
    if terminating:
        status["terminatingReplicas"] = sum(terminating)
    old = d.get("status") or {}
    if old.get("conditions"):
        status["conditions"] = copy.deepcopy(old["conditions"])
    if available >= du.replicas_of(d) - du.max_unavailable(d):
        condition = du.new_condition(
            "Available",
            "True",
            du.MIN_AVAILABLE_REASON,
            "Deployment has minimum availability.",
            now,
        )
    else:
        condition = du.new_condition(
            "Available",
            "False",
            du.MIN_UNAVAILABLE_REASON,
            "Deployment does not have minimum availability.",
            now,
        )
    du.set_condition(status, condition)
    if old.get("collisionCount") is not None:
        status["collisionCount"] = old["collisionCount"]
    return status


def _count(status: Obj, field: str) -> int:
    return int(status.get(field) or 0)


def deployment_complete(d: Obj, status: Obj) -> bool:
    replicas = du.replicas_of(d)
    return (
        _count(status, "updatedReplicas") == replicas
        and _count(status, "replicas") == replicas
        and _count(status, "availableReplicas") == replicas
        and _count(status, "observedGeneration") >= d["metadata"].get("generation", 1)
    )


def deployment_progressing(d: Obj, new: Obj) -> bool:
    old = d.get("status") or {}
    old_old = _count(old, "replicas") - _count(old, "updatedReplicas")
    new_old = _count(new, "replicas") - _count(new, "updatedReplicas")
    return (
        _count(new, "updatedReplicas") > _count(old, "updatedReplicas")
        or new_old < old_old
        or _count(new, "readyReplicas") > _count(old, "readyReplicas")
        or _count(new, "availableReplicas") > _count(old, "availableReplicas")
    )


def _deadline(d: Obj, condition: Obj) -> datetime | None:
    since = parse_time(condition.get("lastUpdateTime"))
    if since is None:
        return None
    seconds = int(d["spec"]["progressDeadlineSeconds"])
    return since + timedelta(seconds=seconds) + _JUST_AFTER


def deployment_timed_out(d: Obj, new: Obj, now: datetime) -> bool:
    """True once lastUpdateTime + progressDeadlineSeconds is strictly before now."""
    if not du.has_progress_deadline(d):
        return False
    condition = du.get_condition(new, "Progressing")
    if condition is None or condition.get("reason") == du.NEW_RS_AVAILABLE_REASON:
        return False
    if condition.get("reason") == du.TIMED_OUT_REASON:
        return True
    deadline = _deadline(d, condition)
    return deadline is not None and deadline <= now


def rollout_status(all_rss: list[Obj], new_rs: Obj | None, d: Obj, now: datetime) -> Obj:
    """syncRolloutStatus without the write: the status the Deployment should have now."""
    new = calculate_status(all_rss, new_rs, d, now)
    if not du.has_progress_deadline(d):
        du.remove_condition(new, "Progressing")
    current = du.get_condition(d.get("status") or {}, "Progressing")
    complete_before = (
        _count(new, "replicas") == _count(new, "updatedReplicas")
        and current is not None
        and current.get("reason") == du.NEW_RS_AVAILABLE_REASON
    )
    subject = f'ReplicaSet "{name_of(new_rs)}"' if new_rs else f'Deployment "{name_of(d)}"'
    if du.has_progress_deadline(d) and not complete_before:
        if deployment_complete(d, new):
            du.set_condition(
                new,
                du.new_condition(
                    "Progressing",
                    "True",
                    du.NEW_RS_AVAILABLE_REASON,
                    f"{subject} has successfully progressed.",
                    now,
                ),
            )
        elif deployment_progressing(d, new):
            condition = du.new_condition(
                "Progressing", "True", du.RS_UPDATED_REASON, f"{subject} is progressing.", now
            )
            if current is not None:
                if current.get("status") == "True":
                    condition["lastTransitionTime"] = current["lastTransitionTime"]
                du.remove_condition(new, "Progressing")
            du.set_condition(new, condition)
        elif deployment_timed_out(d, new, now):
            du.set_condition(
                new,
                du.new_condition(
                    "Progressing",
                    "False",
                    du.TIMED_OUT_REASON,
                    f"{subject} has timed out progressing.",
                    now,
                ),
            )
    # No ReplicaFailure conditions: the simulated ReplicaSets never fail to create pods.
    du.remove_condition(new, "ReplicaFailure")
    return new


def progress_check_at(d: Obj, new: Obj) -> datetime | None:
    """requeueStuckDeployment: when a stuck rollout must be looked at again."""
    current = du.get_condition(d.get("status") or {}, "Progressing")
    if not du.has_progress_deadline(d) or current is None:
        return None
    if deployment_complete(d, new) or current.get("reason") == du.TIMED_OUT_REASON:
        return None
    return _deadline(d, current)
