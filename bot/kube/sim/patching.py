"""The three patch types the API server accepts, applied to JSON-like dicts.

Strategic merge follows `apimachinery/pkg/util/strategicpatch`: lists named in
:data:`MERGE_KEYS` merge element by element on their ``patchMergeKey`` (from the Go types'
struct tags), the lists in :data:`MERGE_PRIMITIVES` are merged as sets, every other list is
replaced; the ``$patch``, ``$retainKeys``, ``$setElementOrder/`` and
``$deleteFromPrimitiveList/`` directives work as there.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch

from bot.kube.sim.apistatus import ApiError, bad_request
from bot.kube.sim.store import Obj

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
SUPPORTED = (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH)

# Field name -> patchMergeKey, for the kinds this cluster serves (core/v1 and apps/v1 types).
MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "imagePullSecrets": "name",
    "resourceClaims": "name",
    "ports": "containerPort",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
}
MERGE_PRIMITIVES = frozenset({"finalizers"})

_ORDER = "$setElementOrder/"
_DELETE_PRIMITIVE = "$deleteFromPrimitiveList/"


def _invalid_patch(err: Exception) -> ApiError:
    return ApiError(
        422,
        "Invalid",
        f"the server rejected our request due to an error in our request: {err}",
    )


def apply_json_patch(doc: Obj, patch: Any) -> Obj:
    """RFC 6902; a failing operation is the 422 the real server answers."""
    if not isinstance(patch, list):
        raise bad_request("json patch must be a list of operations")
    try:
        result = jsonpatch.apply_patch(doc, patch)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as err:
        raise _invalid_patch(err) from err
    except (TypeError, KeyError, IndexError, ValueError) as err:
        raise bad_request(f"invalid json patch: {err}") from err
    if not isinstance(result, dict):
        raise _invalid_patch(ValueError("the patched document is not an object"))
    return result


def apply_merge_patch(doc: Any, patch: Any) -> Any:
    """RFC 7386: objects merge, ``null`` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(doc) if isinstance(doc, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value)
    return result


def apply_strategic_merge_patch(doc: Obj, patch: Any) -> Obj:
    if not isinstance(patch, dict):
        raise bad_request("strategic merge patch must be a JSON object")
    merged = _merge_map(doc, patch)
    return merged if merged is not None else {}


def apply_patch(content_type: str, doc: Obj, patch: Any) -> Obj:
    if content_type == JSON_PATCH:
        return apply_json_patch(doc, patch)
    if content_type == MERGE_PATCH:
        if not isinstance(patch, dict):
            raise bad_request("merge patch must be a JSON object")
        result: Obj = apply_merge_patch(doc, patch)
        return result
    return apply_strategic_merge_patch(doc, patch)


def _strip(value: Any) -> Any:
    """A patch value with its directives removed, for when it lands where nothing was."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if not k.startswith("$") and v is not None}
    if isinstance(value, list):
        return [_strip(v) for v in value if not (isinstance(v, dict) and "$patch" in v)]
    return copy.deepcopy(value)


def _merge_map(original: Obj, patch: Obj) -> Obj | None:
    """The merged map, or ``None`` when the patch says ``$patch: delete``."""
    directive = patch.get("$patch")
    if directive == "delete":
        return None
    if directive == "replace":
        return dict(_strip(patch))
    if directive not in (None, "merge"):
        raise bad_request(f"unknown patch type: {directive}")
    result = copy.deepcopy(original)
    orders: dict[str, list[Any]] = {}
    removals: dict[str, list[Any]] = {}
    for key, value in patch.items():
        if key.startswith(_ORDER):
            orders[key[len(_ORDER) :]] = value
        elif key.startswith(_DELETE_PRIMITIVE):
            removals[key[len(_DELETE_PRIMITIVE) :]] = value
        elif key.startswith("$"):
            continue
        elif value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            current = result.get(key)
            merged = _merge_map(current if isinstance(current, dict) else {}, value)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            current_list = result.get(key)
            result[key] = _merge_list(
                key, current_list if isinstance(current_list, list) else [], value
            )
        else:
            result[key] = copy.deepcopy(value)
    for key, values in removals.items():
        if isinstance(result.get(key), list):
            result[key] = [item for item in result[key] if item not in values]
    for key, order in orders.items():
        if isinstance(result.get(key), list):
            result[key] = _reorder(key, result[key], order)
    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _merge_list(field: str, original: list[Any], patch: list[Any]) -> list[Any]:
    if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
        return [_strip(item) for item in patch if not (isinstance(item, dict) and "$patch" in item)]
    if field in MERGE_PRIMITIVES:
        return copy.deepcopy(original) + [v for v in patch if v not in original]
    merge_key = MERGE_KEYS.get(field)
    if merge_key is None:
        return [_strip(item) for item in patch]
    result = copy.deepcopy(original)
    for item in patch:
        if not isinstance(item, dict):
            raise bad_request(f"{field}: list item {item!r} is not an object")
        key = item.get(merge_key)
        index = next(
            (
                i
                for i, old in enumerate(result)
                if isinstance(old, dict) and old.get(merge_key) == key
            ),
            None,
        )
        if item.get("$patch") == "delete":
            if index is not None:
                del result[index]
            continue
        if index is None:
            result.append(_strip(item))
        else:
            merged = _merge_map(result[index], item)
            if merged is not None:
                result[index] = merged
    return result


def _reorder(field: str, items: list[Any], order: list[Any]) -> list[Any]:
    """``$setElementOrder``: named items first in the given order, the rest after, as they were."""
    merge_key = MERGE_KEYS.get(field)

    def identity(item: Any) -> Any:
        return item.get(merge_key) if merge_key and isinstance(item, dict) else item

    wanted = [identity(entry) for entry in order]
    placed = sorted(
        (item for item in items if identity(item) in wanted),
        key=lambda item: wanted.index(identity(item)),
    )
    return placed + [item for item in items if identity(item) not in wanted]
