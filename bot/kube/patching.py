"""Writing to Deployments: the deploy patch, pause and resume.

A deploy is a strategic merge patch of one container's image plus two annotations, the same
change `kubectl set image` + `kubectl annotate` would make, so the Deployment's history reads
the same whether a person or the bot made it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from bot.images import parse_image
from bot.kube.connection import Connection
from bot.kube.errors import ObjectNotFound, Where
from bot.kube.fetching import Obj, call_json, get_deployment
from bot.kube.models import CHANGE_CAUSE, RELEASE_ID, DeployResult
from bot.kube.status import container_image, revision_of


def deploy(
    conn: Connection,
    where: Where,
    *,
    deployment: str,
    container: str,
    image: str,
    change_cause: str,
    release_id: str,
    before_patch: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[DeployResult, Obj]:
    """Patch ``container`` to ``image``; a repeat of the same release patches nothing.

    ``before_patch`` gets the pod template the patch will produce, before it is sent.
    Returns the result and the Deployment as it is afterwards.
    """
    parse_image(image)
    current = get_deployment(conn, where, deployment)
    previous_image = require_container(where, current, deployment, container)
    annotations = current.get("metadata", {}).get("annotations") or {}
    generation = int(current.get("metadata", {}).get("generation") or 0)
    if annotations.get(RELEASE_ID) == release_id and previous_image == image:
        result = DeployResult(
            changed=False,
            deployment=deployment,
            image=image,
            previous_image=previous_image,
            previous_revision=revision_of(current),
            generation=generation,
        )
        return result, current
    body: dict[str, Any] = {
        "metadata": {"annotations": {CHANGE_CAUSE: change_cause, RELEASE_ID: release_id}},
        "spec": {"template": {"spec": {"containers": [{"name": container, "image": image}]}}},
    }
    if before_patch is not None:
        before_patch(_with_image(current, container, image))
    patched = call_json(
        conn,
        where,
        f'patch deployment "{deployment}"',
        conn.apps.patch_namespaced_deployment,
        deployment,
        where.namespace,
        body,
    )
    result = DeployResult(
        changed=True,
        deployment=deployment,
        image=image,
        previous_image=previous_image,
        previous_revision=revision_of(current),
        generation=int(patched.get("metadata", {}).get("generation") or 0),
    )
    return result, patched


def set_paused(conn: Connection, where: Where, deployment: str, paused: bool) -> Obj:
    verb = "pause" if paused else "resume"
    return call_json(
        conn,
        where,
        f'{verb} deployment "{deployment}"',
        conn.apps.patch_namespaced_deployment,
        deployment,
        where.namespace,
        {"spec": {"paused": paused}},
    )


def require_container(where: Where, deployment: Obj, name: str, container: str) -> str:
    """The container's current image, or a clear error naming the containers that exist."""
    image = container_image(deployment, container)
    if image is None:
        pod_spec = deployment.get("spec", {}).get("template", {}).get("spec", {})
        names = [str(c.get("name")) for c in pod_spec.get("containers") or []]
        raise ObjectNotFound(
            f'deployment "{name}" in {where.describe()} has no container "{container}" '
            f"(it has: {', '.join(names) or 'none'}). Set the service's container in the "
            "configuration to one of these."
        )
    return image


def _with_image(deployment: Obj, container: str, image: str) -> dict[str, Any]:
    template: dict[str, Any] = copy.deepcopy((deployment.get("spec") or {}).get("template") or {})
    for item in (template.get("spec") or {}).get("containers") or []:
        if item.get("name") == container:
            item["image"] = image
    return template
