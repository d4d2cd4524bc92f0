"""The shared watch's cache: the namespace's objects by kind, indexed by owning Deployment.

A rollout subscribes for its own Deployment; handing it a snapshot filtered from the whole
namespace's cache cost time in proportion to the namespace, once per rollout, so with a
hundred rollouts in a namespace the cost of one grew with its neighbours. The index keeps
that snapshot in proportion to the Deployment's own objects.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


def owner_deployment(kind: str, obj: Obj) -> str | None:
    """The Deployment an object belongs to: itself, a ReplicaSet's controller, or a Pod's
    ReplicaSet's (named ``<deployment>-<pod-template-hash>`` by the deployment controller)."""
    meta = obj.get("metadata") or {}
    if kind == "deployments":
        return str(meta.get("name", ""))
    controller = next(
        (ref for ref in meta.get("ownerReferences") or [] if ref.get("controller")), None
    )
    if controller is None:
        return None
    name = str(controller.get("name", ""))
    if kind == "replicasets":
        return name if controller.get("kind") == "Deployment" else None
    suffix = "-" + str((meta.get("labels") or {}).get("pod-template-hash", ""))
    if controller.get("kind") != "ReplicaSet" or len(suffix) == 1 or not name.endswith(suffix):
        return None
    return name[: -len(suffix)]


def name_of(obj: Obj) -> str:
    return str(obj.get("metadata", {}).get("name", ""))


class Cache:
    """Not thread-safe: the namespace watch holds its lock around every call."""

    def __init__(self, kinds: tuple[str, ...]) -> None:
        self._objects: dict[str, dict[str, Obj]] = {kind: {} for kind in kinds}
        self._owners: dict[str, dict[str, str | None]] = {kind: {} for kind in kinds}
        self._owned: dict[str, dict[str | None, set[str]]] = {kind: {} for kind in kinds}

    def objects(self, kind: str) -> dict[str, Obj]:
        return self._objects[kind]

    def put(self, kind: str, obj: Obj) -> None:
        name = name_of(obj)
        self._unindex(kind, name)
        owner = owner_deployment(kind, obj)
        self._objects[kind][name] = obj
        self._owners[kind][name] = owner
        self._owned[kind].setdefault(owner, set()).add(name)

    def pop(self, kind: str, name: str) -> None:
        self._unindex(kind, name)
        self._objects[kind].pop(name, None)

    def snapshot(self, deployment: str | None, kinds: tuple[str, ...]) -> dict[str, dict[str, Obj]]:
        """Copies of what the cache holds, for one Deployment or (None) for all."""
        found: dict[str, dict[str, Obj]] = {}
        for kind, objects in self._objects.items():
            if kind not in kinds:
                found[kind] = {}
            elif deployment is None:
                found[kind] = dict(objects)
            else:
                names = self._owned[kind].get(deployment, ())
                found[kind] = {name: objects[name] for name in names}
        return found

    def _unindex(self, kind: str, name: str) -> None:
        if name not in self._owners[kind]:
            return
        owner = self._owners[kind].pop(name)
        names = self._owned[kind].get(owner)
        if names is not None:
            names.discard(name)
            if not names:
                del self._owned[kind][owner]
