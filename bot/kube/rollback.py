"""`kubectl rollout undo` for Deployments: the same target, refusals, messages and patch.

Mirrors kubectl's DeploymentRollbacker so an undo from Slack and one from a terminal leave
the Deployment in the same state, including which change-cause the history shows.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from bot.kube.connection import Connection
from bot.kube.errors import RolloutRefused, Where
from bot.kube.fetching import Obj, call_json, get_deployment, owned_replicasets
from bot.kube.models import (
    DESIRED_REPLICAS,
    LAST_APPLIED,
    MAX_REPLICAS,
    POD_TEMPLATE_HASH,
    REVISION,
    REVISION_HISTORY,
    UndoOutcome,
    UndoResult,
)
from bot.kube.status import revision_of

ANNOTATIONS_TO_SKIP = frozenset(
    {
        LAST_APPLIED,
        REVISION,
        REVISION_HISTORY,
        DESIRED_REPLICAS,
        MAX_REPLICAS,
        "deprecated.deployment.rollback.to",
    }
)
PAUSED_MESSAGE = (
    "you cannot rollback a paused deployment; resume it first with "
    "'kubectl rollout resume' and try again"
)


def undo(
    conn: Connection,
    where: Where,
    deployment: str,
    to_revision: int | None = None,
    before_patch: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[UndoResult, Obj]:
    """Roll back like kubectl; returns the result and the Deployment as it is afterwards.

    ``before_patch`` gets the pod template about to be restored, before it is sent.
    """
    wanted = to_revision or 0
    if wanted < 0:
        raise RolloutRefused(f"unable to find specified revision {wanted} in history")
    current = get_deployment(conn, where, deployment)
    target = find_revision(owned_replicasets(conn, where, current), deployment, wanted)
    target_revision = revision_of(target) or 0
    if (current.get("spec") or {}).get("paused"):
        raise RolloutRefused(PAUSED_MESSAGE)
    template = template_without_hash(target)
    if template == (current.get("spec") or {}).get("template"):
        message = f"skipped rollback (current template already matches revision {wanted})"
        return UndoResult(UndoOutcome.SKIPPED, deployment, target_revision, message), current
    patch = [
        {"op": "replace", "path": "/spec/template", "value": template},
        {
            "op": "replace",
            "path": "/metadata/annotations",
            "value": kept_annotations(current, target),
        },
    ]
    if before_patch is not None:
        before_patch(template)
    patched = call_json(
        conn,
        where,
        f'roll back deployment "{deployment}"',
        conn.apps.patch_namespaced_deployment,
        deployment,
        where.namespace,
        patch,
        _content_type="application/json-patch+json",
    )
    result = UndoResult(UndoOutcome.ROLLED_BACK, deployment, target_revision, "rolled back")
    return result, patched


def find_revision(replica_sets: list[Obj], deployment: str, to_revision: int) -> Obj:
    """kubectl's deploymentRevision: revision N, or the second-highest when N is 0."""
    latest: tuple[int, Obj | None] = (-1, None)
    previous: tuple[int, Obj | None] = (-1, None)
    for rs in replica_sets:
        revision = revision_of(rs)
        if revision is None:
            continue
        if to_revision == 0:
            if latest[0] < revision:
                previous, latest = latest, (revision, rs)
            elif previous[0] < revision:
                previous = (revision, rs)
        elif revision == to_revision:
            return rs
    if to_revision > 0:
        raise RolloutRefused(f"unable to find specified revision {to_revision} in history")
    if previous[1] is None:
        raise RolloutRefused(f'no rollout history found for deployment "{deployment}"')
    return previous[1]


def template_without_hash(replica_set: Obj) -> dict[str, Any]:
    template: dict[str, Any] = copy.deepcopy((replica_set.get("spec") or {}).get("template") or {})
    labels = (template.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(POD_TEMPLATE_HASH, None)
    return template


def kept_annotations(deployment: Obj, replica_set: Obj) -> dict[str, str]:
    ours = deployment.get("metadata", {}).get("annotations") or {}
    theirs = replica_set.get("metadata", {}).get("annotations") or {}
    annotations = {k: v for k, v in ours.items() if k in ANNOTATIONS_TO_SKIP}
    annotations.update({k: v for k, v in theirs.items() if k not in ANNOTATIONS_TO_SKIP})
    return annotations
