"""Reading objects as the plain JSON dicts the API server sends.

The driver works on wire-format dicts, not the client's generated models: the status rules,
template comparisons and JSON patches are all defined on the JSON, and deserialising models
would silently drop fields the client does not know.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from bot.kube.connection import Connection
from bot.kube.errors import TemporaryKubeError, Where, translate

Obj = dict[str, Any]
T = TypeVar("T")
log = logging.getLogger(__name__)

MAX_READ_BACKOFF = 5.0


def retry_reads(read: Callable[[], T], *, within: float, what: str) -> T:
    """``read()``, again with backoff while it fails in a way that waiting can help, for up
    to ``within`` real seconds; then its last error.

    A read changes nothing, so repeating it is always safe; a busy API server answering one
    GET after the read timeout must not fail a rollout whose deadline is minutes away.
    """
    deadline = time.monotonic() + within
    delay = 0.2
    while True:
        try:
            return read()
        except TemporaryKubeError as err:
            left = deadline - time.monotonic()
            if left <= 0:
                raise
            log.info("%s: %s; reading again in %.1f s", what, err.message, min(delay, left))
            time.sleep(min(delay, left))
            delay = min(MAX_READ_BACKOFF, delay * 2)


def call_json(
    conn: Connection, where: Where, action: str, method: Callable[..., Any], *args: Any, **kw: Any
) -> Obj:
    """Call one client method and return the decoded body; errors come out translated."""
    try:
        response = method(
            *args, _preload_content=False, _request_timeout=conn.timeouts.request(), **kw
        )
        data = response.data
    except Exception as err:
        raise translate(err, where, action) from err
    decoded = json.loads(data) if data else {}
    return decoded if isinstance(decoded, dict) else {}


def get_deployment(conn: Connection, where: Where, name: str) -> Obj:
    return call_json(
        conn,
        where,
        f'get deployment "{name}"',
        conn.apps.read_namespaced_deployment,
        name,
        where.namespace,
    )


def list_replicasets(conn: Connection, where: Where, selector: str) -> list[Obj]:
    body = call_json(
        conn,
        where,
        "list replicasets",
        conn.apps.list_namespaced_replica_set,
        where.namespace,
        label_selector=selector,
    )
    return list(body.get("items") or [])


def label_selector(deployment: Obj) -> str:
    """The Deployment's selector as a label-selector string (matchLabels and matchExpressions)."""
    selector = (deployment.get("spec") or {}).get("selector") or {}
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(str(key))
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


def owned_replicasets(conn: Connection, where: Where, deployment: Obj) -> list[Obj]:
    """ReplicaSets matching the selector whose controller ownerReference is this Deployment."""
    uid = deployment.get("metadata", {}).get("uid")
    return [
        rs
        for rs in list_replicasets(conn, where, label_selector(deployment))
        if is_controlled_by(rs, uid)
    ]


def is_controlled_by(obj: Obj, uid: str | None) -> bool:
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("controller") and ref.get("uid") == uid:
            return True
    return False
