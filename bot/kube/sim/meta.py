"""Small helpers over wire-format objects that every simulated controller needs.

Objects stay plain dicts (the store's format); these functions read them the way the Go
helpers in apimachinery read typed objects, so controller code can mirror the real sources.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.kube.sim.store import Obj

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def name_of(obj: Obj) -> str:
    return str(obj["metadata"]["name"])


def namespace_of(obj: Obj) -> str:
    return str(obj["metadata"].get("namespace", ""))


def uid_of(obj: Obj) -> str:
    return str(obj["metadata"].get("uid", ""))


def labels_of(obj: Obj) -> dict[str, str]:
    labels: dict[str, str] = obj.get("metadata", {}).get("labels") or {}
    return labels


def annotations_of(obj: Obj) -> dict[str, str]:
    annotations: dict[str, str] = obj.get("metadata", {}).get("annotations") or {}
    return annotations


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def format_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def created_at(obj: Obj) -> datetime:
    return parse_time(obj["metadata"].get("creationTimestamp")) or EPOCH


def controller_ref(obj: Obj) -> dict[str, Any] | None:
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return dict(ref)
    return None


def controller_uid(obj: Obj) -> str | None:
    ref = controller_ref(obj)
    return str(ref["uid"]) if ref else None


def new_controller_ref(owner: Obj) -> dict[str, Any]:
    """metav1.NewControllerRef: what makes the garbage collector and adoption work."""
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": name_of(owner),
        "uid": uid_of(owner),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def by_creation(obj: Obj) -> tuple[datetime, str]:
    """Sort key of controller.ReplicaSetsByCreationTimestamp: oldest first, then by name."""
    return created_at(obj), name_of(obj)


def selector_matches(selector: Obj | None, labels: dict[str, str]) -> bool:
    """metav1.LabelSelectorAsSelector(...).Matches; an empty selector matches everything."""
    if not selector:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, operator = expr.get("key", ""), expr.get("operator", "")
        values = expr.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True
