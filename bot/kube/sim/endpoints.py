"""What each verb does to the store: the simulated API server's registry layer.

Every write is checked by ``registry.admit`` before it reaches the store and is followed by
``cluster.after_write()``, so controllers react to a client's write before its response has
even been read, the way a fast real cluster would look to a watcher.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from bot.kube.sim import patching, registry, tables
from bot.kube.sim.apistatus import (
    bad_request,
    from_store_error,
    method_not_allowed,
    not_found,
    success_body,
    unsupported_media_type,
)
from bot.kube.sim.cluster import SimulatedCluster
from bot.kube.sim.resources import NAMESPACES, ResourceType
from bot.kube.sim.routing import ResourcePath
from bot.kube.sim.selectors import combined
from bot.kube.sim.store import Obj, StoreError


@dataclass(frozen=True)
class Call:
    """One request to a resource path, as the HTTP layer hands it over."""

    method: str
    path: ResourcePath
    query: dict[str, str]
    accept: str
    content_type: str
    body: bytes


@dataclass(frozen=True)
class Reply:
    code: int
    body: Obj


def decode_json(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise bad_request(f"the request body is not valid JSON: {err}") from err


def _object_body(call: Call) -> Obj:
    media = call.content_type.split(";", 1)[0].strip()
    if media and media != "application/json":
        raise unsupported_media_type(media, ("application/json", "application/yaml"))
    obj = decode_json(call.body)
    if not isinstance(obj, dict):
        raise bad_request("the request body must be a JSON object")
    return obj


class Endpoints:
    def __init__(self, cluster: SimulatedCluster) -> None:
        self.cluster = cluster
        self.store = cluster.store

    def handle(self, call: Call) -> Reply:
        rtype = call.path.rtype
        try:
            return self._dispatch(call)
        except StoreError as err:
            raise from_store_error(err, rtype) from err

    def _dispatch(self, call: Call) -> Reply:
        path, method = call.path, call.method
        if path.name:
            if method == "GET":
                return self._get(call)
            if method == "PUT":
                return self._write(call, self._update)
            if method == "PATCH":
                return self._write(call, self._patch)
            if method == "DELETE":
                return self._write(call, self._delete)
        elif path.subresource == "":
            if method == "GET":
                return self._list(call)
            if method == "POST":
                return self._write(call, self._create)
            if method == "DELETE":
                return self._write(call, self._delete_collection)
        raise method_not_allowed()

    # -- reads ---------------------------------------------------------------------------

    def _get(self, call: Call) -> Reply:
        path = call.path
        obj = self.store.get(path.rtype, path.namespace or "", path.name)
        if path.subresource == "scale":
            return Reply(200, scale_of(obj))
        if tables.wants_table(call.accept) and not path.subresource:
            rv = obj["metadata"]["resourceVersion"]
            return Reply(200, self._table(call, [obj], rv))
        return Reply(200, obj)

    def _list(self, call: Call) -> Reply:
        rtype = call.path.rtype
        predicate = combined(call.query.get("labelSelector"), call.query.get("fieldSelector"))
        items, rv = self.store.list(rtype, call.path.namespace, predicate)
        if tables.wants_table(call.accept):
            return Reply(200, self._table(call, items, str(rv)))
        return Reply(
            200,
            {
                "kind": f"{rtype.kind}List",
                "apiVersion": rtype.api_version,
                "metadata": {"resourceVersion": str(rv)},
                "items": items,
            },
        )

    def _table(self, call: Call, items: list[Obj], rv: str) -> Obj:
        include = call.query.get("includeObject", "Metadata")
        return tables.table(
            call.path.rtype.kind,
            items,
            self.cluster.clock.now(),
            resource_version=rv,
            include=include,
        )

    # -- writes --------------------------------------------------------------------------

    def _write(self, call: Call, operation: Any) -> Reply:
        with self.store.lock:
            reply: Reply = operation(call)
        if "dryRun" not in call.query:
            self.cluster.after_write()
        return reply

    def _create(self, call: Call) -> Reply:
        rtype, namespace = call.path.rtype, call.path.namespace or ""
        obj = _object_body(call)
        _check_kind(rtype, obj)
        meta = obj.setdefault("metadata", {})
        if rtype.namespaced:
            if not namespace:
                raise method_not_allowed()
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise bad_request(
                    "the namespace of the provided object does not match the namespace sent "
                    "on the request"
                )
            try:
                self.store.get(NAMESPACES, "", namespace)
            except StoreError as err:
                raise not_found(NAMESPACES, namespace) from err
        admitted = registry.admit(rtype, obj, None)
        if "dryRun" in call.query:
            return Reply(201, admitted)
        return Reply(201, self.store.create(rtype, namespace, admitted))

    def _update(self, call: Call) -> Reply:
        path = call.path
        obj = _object_body(call)
        url_name = path.name
        body_name = obj.get("metadata", {}).get("name")
        if body_name != url_name and path.subresource != "scale":
            raise bad_request(
                f"the name of the object ({body_name}) does not match the name on the URL "
                f"({url_name})"
            )
        if path.subresource != "scale":
            _check_kind(path.rtype, obj)
        old = self.store.get(path.rtype, path.namespace or "", url_name)
        return self._store_new(call, old, obj)

    def _patch(self, call: Call) -> Reply:
        path = call.path
        media = call.content_type.split(";", 1)[0].strip()
        if media not in patching.SUPPORTED:
            raise unsupported_media_type(media, patching.SUPPORTED)
        patch = decode_json(call.body)
        old = self.store.get(path.rtype, path.namespace or "", path.name)
        doc = scale_of(old) if path.subresource == "scale" else old
        patched = patching.apply_patch(media, doc, patch)
        if patched.get("metadata", {}).get("name", path.name) != path.name:
            raise bad_request("metadata.name: the name of a patched object cannot change")
        return self._store_new(call, old, patched)

    def _store_new(self, call: Call, old: Obj, new: Obj) -> Reply:
        """Admit and store ``new`` (the whole object, a Scale, or an object with a new status)."""
        path = call.path
        rtype, namespace = path.rtype, path.namespace or ""
        if path.subresource == "scale":
            scale = new
            new = copy.deepcopy(old)
            new.setdefault("spec", {})["replicas"] = scale.get("spec", {}).get("replicas", 0)
            wanted_rv = scale.get("metadata", {}).get("resourceVersion")
            new["metadata"]["resourceVersion"] = wanted_rv or old["metadata"]["resourceVersion"]
        if path.subresource == "status":
            merged = copy.deepcopy(old)
            merged["status"] = new.get("status", {})
            merged["metadata"]["resourceVersion"] = new.get("metadata", {}).get(
                "resourceVersion", old["metadata"]["resourceVersion"]
            )
            new = merged
        admitted = registry.admit(rtype, new, old)
        if "dryRun" in call.query:
            return Reply(200, admitted)
        stored = self.store.update(
            rtype, namespace, admitted, subresource="status" if path.subresource == "status" else ""
        )
        return Reply(200, scale_of(stored) if path.subresource == "scale" else stored)

    def _delete(self, call: Call) -> Reply:
        path = call.path
        if path.subresource:
            raise method_not_allowed()
        if "dryRun" in call.query:
            return Reply(200, self.store.get(path.rtype, path.namespace or "", path.name))
        gone = self.store.delete(path.rtype, path.namespace or "", path.name)
        if path.rtype.kind == "Pod":
            return Reply(200, gone)
        meta = gone["metadata"]
        return Reply(200, success_body(path.rtype, meta["name"], meta.get("uid", "")))

    def _delete_collection(self, call: Call) -> Reply:
        rtype = call.path.rtype
        predicate = combined(call.query.get("labelSelector"), call.query.get("fieldSelector"))
        items, rv = self.store.list(rtype, call.path.namespace, predicate)
        if "dryRun" not in call.query:
            for item in items:
                meta = item["metadata"]
                self.store.delete(rtype, meta.get("namespace", ""), meta["name"])
        return Reply(
            200,
            {
                "kind": f"{rtype.kind}List",
                "apiVersion": rtype.api_version,
                "metadata": {"resourceVersion": str(rv)},
                "items": items,
            },
        )


def _check_kind(rtype: ResourceType, obj: Obj) -> None:
    kind, api_version = obj.get("kind"), obj.get("apiVersion")
    if (kind and kind != rtype.kind) or (api_version and api_version != rtype.api_version):
        raise bad_request(
            f"the API version in the data ({api_version}) does not match the expected API "
            f"version ({rtype.api_version})"
            if api_version != rtype.api_version
            else f"the kind in the data ({kind}) does not match the expected kind ({rtype.kind})"
        )


def scale_of(obj: Obj) -> Obj:
    """The autoscaling/v1 Scale view of a Deployment or ReplicaSet."""
    meta = obj["metadata"]
    selector = tables.format_selector(obj.get("spec", {}).get("selector"))
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            key: meta[key]
            for key in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if key in meta
        },
        "spec": {"replicas": obj.get("spec", {}).get("replicas", 0)},
        "status": {
            "replicas": obj.get("status", {}).get("replicas", 0),
            "selector": "" if selector == "<none>" else selector,
        },
    }
