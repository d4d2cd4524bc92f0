"""kubectl's rollout-status rules as pure functions of a Deployment as it travels on the wire.

Kept free of I/O so the table of cases is tested directly and the watch, the Slack thread
and the console demo all print exactly what `kubectl rollout status` prints.
"""

from __future__ import annotations

import math
from typing import Any

from bot.kube.models import (
    REVISION,
    ReplicaCounts,
    RolloutStatus,
    Strategy,
    Verdict,
)

Obj = dict[str, Any]

TIMED_OUT_REASON = "ProgressDeadlineExceeded"


def rollout_status(deployment: Obj) -> RolloutStatus:
    """The verdict and message of kubectl's DeploymentStatusViewer (trailing newline dropped)."""
    name = deployment.get("metadata", {}).get("name", "")
    generation = int(deployment.get("metadata", {}).get("generation") or 0)
    status = deployment.get("status") or {}
    if generation > int(status.get("observedGeneration") or 0):
        return RolloutStatus(
            Verdict.WAITING, "Waiting for deployment spec update to be observed..."
        )
    progressing = condition(deployment, "Progressing")
    if progressing is not None and progressing.get("reason") == TIMED_OUT_REASON:
        return RolloutStatus(Verdict.FAILED, f'deployment "{name}" exceeded its progress deadline')
    spec_replicas = (deployment.get("spec") or {}).get("replicas")
    updated = int(status.get("updatedReplicas") or 0)
    replicas = int(status.get("replicas") or 0)
    available = int(status.get("availableReplicas") or 0)
    waiting = f'Waiting for deployment "{name}" rollout to finish: '
    if spec_replicas is not None and updated < int(spec_replicas):
        return RolloutStatus(
            Verdict.WAITING,
            f"{waiting}{updated} out of {spec_replicas} new replicas have been updated...",
        )
    if replicas > updated:
        return RolloutStatus(
            Verdict.WAITING,
            f"{waiting}{replicas - updated} old replicas are pending termination...",
        )
    if available < updated:
        return RolloutStatus(
            Verdict.WAITING, f"{waiting}{available} of {updated} updated replicas are available..."
        )
    return RolloutStatus(Verdict.SUCCEEDED, f'deployment "{name}" successfully rolled out')


def condition(deployment: Obj, kind: str) -> Obj | None:
    for cond in (deployment.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return dict(cond)
    return None


def replica_counts(deployment: Obj) -> ReplicaCounts:
    spec_replicas = (deployment.get("spec") or {}).get("replicas")
    status = deployment.get("status") or {}
    replicas = int(status.get("replicas") or 0)
    updated = int(status.get("updatedReplicas") or 0)
    return ReplicaCounts(
        desired=1 if spec_replicas is None else int(spec_replicas),
        updated=updated,
        ready=int(status.get("readyReplicas") or 0),
        available=int(status.get("availableReplicas") or 0),
        total=replicas,
        old_pending_termination=max(0, replicas - updated),
    )


def strategy(deployment: Obj) -> Strategy:
    """maxSurge/maxUnavailable resolved the way the deployment controller resolves them."""
    spec = deployment.get("spec") or {}
    desired = 1 if spec.get("replicas") is None else int(spec["replicas"])
    raw = spec.get("strategy") or {}
    kind = str(raw.get("type") or "RollingUpdate")
    deadline = spec.get("progressDeadlineSeconds", 600)
    min_ready = int(spec.get("minReadySeconds") or 0)
    if kind != "RollingUpdate":
        return Strategy(kind, 0, desired, min_ready, deadline)
    rolling = raw.get("rollingUpdate") or {}
    surge = resolve_int_or_percent(rolling.get("maxSurge", "25%"), desired, round_up=True)
    unavailable = resolve_int_or_percent(
        rolling.get("maxUnavailable", "25%"), desired, round_up=False
    )
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return Strategy(kind, surge, unavailable, min_ready, deadline)


def resolve_int_or_percent(value: int | str | None, total: int, *, round_up: bool) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.endswith("%"):
        scaled = int(text[:-1]) * total / 100
        return math.ceil(scaled) if round_up else math.floor(scaled)
    return int(text)


def revision_of(obj: Obj) -> int | None:
    """The deployment.kubernetes.io/revision annotation, or None when absent or not a number."""
    value = (obj.get("metadata", {}).get("annotations") or {}).get(REVISION)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def container_image(template_owner: Obj, container: str) -> str | None:
    """The image of ``container`` in a Deployment's or ReplicaSet's pod template."""
    pod_spec = ((template_owner.get("spec") or {}).get("template") or {}).get("spec") or {}
    for item in pod_spec.get("containers") or []:
        if item.get("name") == container:
            image = item.get("image")
            return str(image) if image is not None else ""
    return None
