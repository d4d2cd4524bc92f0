"""Just enough OpenAPI v3 for kubectl to trust the server with field validation.

Before ``kubectl create``/``replace``/``apply`` sends an object it checks the group-version's
OpenAPI v3 document for a PATCH operation, tagged with the object's group-version-kind, that
takes a ``fieldValidation`` query parameter (kubectl's `query_param_verifier_v3.go`). Without
one it would download full schemas for client-side validation; with one it leaves validation
to the server. So each document lists the paths and their parameters, and no schemas.
"""

from __future__ import annotations

from bot.kube.sim.resources import ALL, ResourceType
from bot.kube.sim.store import Obj

_QUERY_PARAMS = ("dryRun", "fieldManager", "fieldValidation", "force", "pretty")


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def index() -> Obj:
    """``/openapi/v3``: where each group-version's document is."""
    paths: Obj = {}
    for rtype in ALL:
        gv = _gv_path(rtype.group, rtype.version)
        paths[gv] = {"serverRelativeURL": f"/openapi/v3/{gv}?hash=releasebot-sim"}
    return {"paths": paths}


def _operation(rtype: ResourceType, verb: str) -> Obj:
    return {
        "operationId": f"{verb}{rtype.kind}",
        "parameters": [
            {"name": p, "in": "query", "schema": {"type": "string"}} for p in _QUERY_PARAMS
        ],
        "responses": {"200": {"description": "OK"}},
        "x-kubernetes-action": verb,
        "x-kubernetes-group-version-kind": {
            "group": rtype.group,
            "version": rtype.version,
            "kind": rtype.kind,
        },
    }


def document(gv_path: str) -> Obj | None:
    """``/openapi/v3/apis/apps/v1`` and its kin, or None for a group-version not served."""
    types = [r for r in ALL if _gv_path(r.group, r.version) == gv_path]
    if not types:
        return None
    paths: Obj = {}
    for rtype in types:
        scope = "namespaces/{namespace}/" if rtype.namespaced else ""
        item = f"/{gv_path}/{scope}{rtype.plural}/{{name}}"
        paths[item] = {
            "get": _operation(rtype, "get"),
            "put": _operation(rtype, "put"),
            "patch": _operation(rtype, "patch"),
            "delete": _operation(rtype, "delete"),
        }
        paths[f"/{gv_path}/{scope}{rtype.plural}"] = {"post": _operation(rtype, "post")}
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.37.0"},
        "paths": paths,
        "components": {"schemas": {}},
    }
