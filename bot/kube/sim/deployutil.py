"""The arithmetic and bookkeeping of `pkg/controller/deployment/util/deployment_util.go`.

Kept apart from the controller loop so each rule (fenceposts, revisions, annotations,
conditions, template hashing) can be read next to its Go original and tested on its own.
"""

from __future__ import annotations

import copy
import json
import math
from datetime import datetime
from typing import Any

from bot.kube.sim.meta import annotations_of, created_at, format_time, name_of
from bot.kube.sim.store import Obj

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
ROLLBACK_TO = "deprecated.deployment.rollback.to"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
MAX_REV_HISTORY_CHARS = 2000

ANNOTATIONS_TO_SKIP = frozenset(
    {LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO}
)

# Condition reasons, as in deployment_util.go.
NEW_RS_REASON = "NewReplicaSetCreated"
FOUND_NEW_RS_REASON = "FoundNewReplicaSet"
RS_UPDATED_REASON = "ReplicaSetUpdated"
NEW_RS_AVAILABLE_REASON = "NewReplicaSetAvailable"
TIMED_OUT_REASON = "ProgressDeadlineExceeded"
PAUSED_REASON = "DeploymentPaused"
RESUMED_REASON = "DeploymentResumed"
MIN_AVAILABLE_REASON = "MinimumReplicasAvailable"
MIN_UNAVAILABLE_REASON = "MinimumReplicasUnavailable"

_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_MAX_INT32 = 2**31 - 1


# -- intstr and fenceposts ----------------------------------------------------------------


def scaled_value(value: int | str | None, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent; admission already refused malformed values."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    percent = int(value.rstrip("%"))
    exact = percent * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)


def replicas_of(obj: Obj) -> int:
    value = obj.get("spec", {}).get("replicas")
    return 1 if value is None else int(value)


def is_rolling(deployment: Obj) -> bool:
    return bool(deployment["spec"].get("strategy", {}).get("type") == "RollingUpdate")


def resolve_fenceposts(deployment: Obj) -> tuple[int, int]:
    """(surge, unavailable); both zero after rounding means one may be unavailable."""
    rolling = deployment["spec"].get("strategy", {}).get("rollingUpdate") or {}
    desired = replicas_of(deployment)
    surge = scaled_value(rolling.get("maxSurge", 0), desired, True)
    unavailable = scaled_value(rolling.get("maxUnavailable", 0), desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(deployment: Obj) -> int:
    if not is_rolling(deployment):
        return 0
    return resolve_fenceposts(deployment)[0]


def max_unavailable(deployment: Obj) -> int:
    replicas = replicas_of(deployment)
    if not is_rolling(deployment) or replicas == 0:
        return 0
    return min(resolve_fenceposts(deployment)[1], replicas)


# -- replica counts -----------------------------------------------------------------------


def spec_replicas(rss: list[Obj]) -> int:
    return sum(replicas_of(rs) for rs in rss)


def status_count(rss: list[Obj], field: str) -> int:
    return sum(int(rs.get("status", {}).get(field) or 0) for rs in rss)


def active(rss: list[Obj]) -> list[Obj]:
    return [rs for rs in rss if replicas_of(rs) > 0]


# -- template hash and equality -----------------------------------------------------------


def safe_encode(text: str) -> str:
    """rand.SafeEncodeString: map each byte onto an alphabet without vowels or look-alikes."""
    return "".join(_SAFE_ALPHABET[b % len(_SAFE_ALPHABET)] for b in text.encode())


def fnv32a(data: bytes) -> int:
    value = 0x811C9DC5
    for byte in data:
        value ^= byte
        value = (value * 0x01000193) & 0xFFFFFFFF
    return value


def compute_hash(template: Obj, collision_count: int | None) -> str:
    """controller.ComputeHash, over canonical JSON instead of Go's spew dump of the struct."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count is not None:
        data += (collision_count & 0xFFFFFFFF).to_bytes(8, "little")
    return safe_encode(str(fnv32a(data)))


def _without_hash(template: Obj) -> Obj:
    stripped = copy.deepcopy(template)
    meta = stripped.setdefault("metadata", {})
    labels = dict(meta.get("labels") or {})
    labels.pop(HASH_LABEL, None)
    if labels:
        meta["labels"] = labels
    else:
        meta.pop("labels", None)
    if not meta:
        stripped.pop("metadata")
    return stripped


def equal_ignore_hash(a: Obj, b: Obj) -> bool:
    return _without_hash(a) == _without_hash(b)


def find_new_rs(deployment: Obj, rss: list[Obj]) -> Obj | None:
    """The oldest RS whose template equals the Deployment's: several may after a collision."""
    template = deployment["spec"]["template"]
    for rs in sorted(rss, key=lambda r: (created_at(r), name_of(r))):
        if equal_ignore_hash(rs["spec"]["template"], template):
            return rs
    return None


# -- revisions and annotations ------------------------------------------------------------


def revision_of(obj: Obj) -> int:
    try:
        return int(annotations_of(obj).get(REVISION, "0"))
    except ValueError:
        return 0


def max_revision(rss: list[Obj]) -> int:
    return max((revision_of(rs) for rs in rss), default=0)


def _annotations(obj: Obj) -> dict[str, str]:
    meta = obj.setdefault("metadata", {})
    if meta.get("annotations") is None:
        meta["annotations"] = {}
    annotations: dict[str, str] = meta["annotations"]
    return annotations


def set_replicas_annotations(rs: Obj, desired: int, max_replicas: int) -> bool:
    annotations = _annotations(rs)
    changed = False
    for key, value in ((DESIRED_REPLICAS, str(desired)), (MAX_REPLICAS, str(max_replicas))):
        if annotations.get(key) != value:
            annotations[key] = value
            changed = True
    return changed


def replicas_annotations_need_update(rs: Obj, desired: int, max_replicas: int) -> bool:
    annotations = annotations_of(rs)
    return annotations.get(DESIRED_REPLICAS) != str(desired) or annotations.get(
        MAX_REPLICAS
    ) != str(max_replicas)


def desired_replicas_annotation(rs: Obj) -> int | None:
    try:
        return int(annotations_of(rs)[DESIRED_REPLICAS])
    except (KeyError, ValueError):
        return None


def max_replicas_annotation(rs: Obj) -> int | None:
    try:
        return int(annotations_of(rs)[MAX_REPLICAS])
    except (KeyError, ValueError):
        return None


def set_new_rs_annotations(deployment: Obj, rs: Obj, new_revision: int, exists: bool) -> bool:
    """SetNewReplicaSetAnnotations: copy annotations, raise the revision, keep its history."""
    annotations = _annotations(rs)
    changed = False
    for key, value in annotations_of(deployment).items():
        if key in ANNOTATIONS_TO_SKIP or annotations.get(key) == value:
            continue
        annotations[key] = value
        changed = True
    old_text = annotations.get(REVISION)
    had_revision = old_text is not None
    try:
        old_revision = int(old_text) if old_text else 0
    except ValueError:
        return False
    if old_revision < new_revision:
        annotations[REVISION] = str(new_revision)
        changed = True
    if had_revision and old_revision < new_revision and old_text:
        history = annotations.get(REVISION_HISTORY, "")
        if not history:
            annotations[REVISION_HISTORY] = old_text
        else:
            parts = history.split(",")
            total = len(history) + len(old_text) + 1
            start = 0
            while total > MAX_REV_HISTORY_CHARS and start < len(parts):
                total -= len(parts[start]) + 1
                start += 1
            if total <= MAX_REV_HISTORY_CHARS:
                annotations[REVISION_HISTORY] = ",".join([*parts[start:], old_text])
    if not exists:
        desired = replicas_of(deployment)
        if set_replicas_annotations(rs, desired, desired + max_surge(deployment)):
            changed = True
    return changed


def set_deployment_revision(deployment: Obj, revision: str) -> bool:
    annotations = _annotations(deployment)
    if annotations.get(REVISION) == revision:
        return False
    annotations[REVISION] = revision
    return True


# -- conditions ---------------------------------------------------------------------------


def get_condition(status: Obj, kind: str) -> dict[str, Any] | None:
    for condition in status.get("conditions") or []:
        if condition.get("type") == kind:
            return dict(condition)
    return None


def new_condition(kind: str, status: str, reason: str, message: str, now: datetime) -> Obj:
    stamp = format_time(now)
    return {
        "type": kind,
        "status": status,
        "lastUpdateTime": stamp,
        "lastTransitionTime": stamp,
        "reason": reason,
        "message": message,
    }


def set_condition(status: Obj, condition: Obj) -> None:
    """SetDeploymentCondition: same status and reason is no change; a new one goes last."""
    current = get_condition(status, condition["type"])
    if current and current["status"] == condition["status"]:
        if current.get("reason") == condition["reason"]:
            return
        condition = {**condition, "lastTransitionTime": current["lastTransitionTime"]}
    remove_condition(status, condition["type"])
    status.setdefault("conditions", []).append(condition)


def remove_condition(status: Obj, kind: str) -> None:
    kept = [c for c in status.get("conditions") or [] if c.get("type") != kind]
    if kept:
        status["conditions"] = kept
    else:
        status.pop("conditions", None)


def has_progress_deadline(deployment: Obj) -> bool:
    value = deployment["spec"].get("progressDeadlineSeconds")
    return value is not None and value != _MAX_INT32
