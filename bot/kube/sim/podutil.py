"""Pod readiness and availability as `pkg/api/v1/pod/util.go` decides them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.kube.sim.meta import parse_time
from bot.kube.sim.store import Obj

# Availability needs LastTransitionTime + minReadySeconds strictly *before* now.
_JUST_AFTER = timedelta(microseconds=1)


def ready_condition(pod: Obj) -> Obj | None:
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return dict(condition)
    return None


def is_ready(pod: Obj) -> bool:
    condition = ready_condition(pod)
    return condition is not None and condition.get("status") == "True"


def available_at(pod: Obj, min_ready_seconds: int) -> datetime | None:
    """The first instant at which a Ready pod counts as available (None if not Ready)."""
    if not is_ready(pod):
        return None
    if min_ready_seconds == 0:
        return datetime.min.replace(tzinfo=UTC)
    condition = ready_condition(pod) or {}
    since = parse_time(condition.get("lastTransitionTime"))
    if since is None:
        return None
    return since + timedelta(seconds=min_ready_seconds) + _JUST_AFTER


def is_available(pod: Obj, min_ready_seconds: int, now: datetime) -> bool:
    if not is_ready(pod):
        return False
    if min_ready_seconds == 0:
        return True
    when = available_at(pod, min_ready_seconds)
    return when is not None and when <= now


def is_active(pod: Obj) -> bool:
    """controller.IsPodActive: not finished and not being deleted."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not pod["metadata"].get("deletionTimestamp")
