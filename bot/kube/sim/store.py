"""The simulated cluster's object store: what etcd plus the API server's registry do for us.

Objects are plain JSON-like dicts, exactly as they travel over the wire. Every write bumps one
global ``resourceVersion`` and is recorded as a watch event, so a watch can resume from any
recent version the way a real one does.
"""

from __future__ import annotations

import copy
import queue
import secrets
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bot.clock import Clock
from bot.kube.sim.resources import ResourceType

Obj = dict[str, Any]

HISTORY_LIMIT = 20_000
_NAME_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


class StoreError(Exception):
    """Base of the errors the API layer turns into Kubernetes Status bodies."""

    code = 500
    reason = "InternalError"

    def __init__(self, message: str, *, kind: str = "", name: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.name = name


class NotFound(StoreError):
    code = 404
    reason = "NotFound"


class AlreadyExists(StoreError):
    code = 409
    reason = "AlreadyExists"


class Conflict(StoreError):
    code = 409
    reason = "Conflict"


class Invalid(StoreError):
    code = 422
    reason = "Invalid"

    def __init__(
        self, message: str, *, kind: str = "", name: str = "", causes: list[Obj] | None = None
    ) -> None:
        super().__init__(message, kind=kind, name=name)
        self.causes = causes or []


class Gone(StoreError):
    code = 410
    reason = "Expired"


@dataclass(frozen=True)
class WatchEvent:
    type: str  # ADDED | MODIFIED | DELETED | BOOKMARK
    rtype: ResourceType
    object: Obj
    resource_version: int


Predicate = Callable[[Obj], bool]


@dataclass
class Watcher:
    """One open watch: events that match arrive on ``events``; ``None`` means the watch ended."""

    rtype: ResourceType
    namespace: str | None
    predicate: Predicate
    events: queue.Queue[WatchEvent | None] = field(default_factory=queue.Queue)
    closed: bool = False

    def matches(self, event: WatchEvent) -> bool:
        if event.rtype is not self.rtype:
            return False
        meta = event.object.get("metadata", {})
        if self.namespace is not None and meta.get("namespace") != self.namespace:
            return False
        return self.predicate(event.object)

    def __iter__(self) -> Iterator[WatchEvent]:
        while True:
            event = self.events.get()
            if event is None:
                return
            yield event


def _everything(_: Obj) -> bool:
    return True


def _differs(old: Obj, new: Obj, key: str) -> bool:
    return bool(old.get(key) != new.get(key))


class Store:
    """Thread-safe object store with resource versions, generations and watch history."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self._objects: dict[tuple[str, str, str], Obj] = {}
        self._rv = 0
        self._history: deque[WatchEvent] = deque(maxlen=HISTORY_LIMIT)
        self._watchers: list[Watcher] = []
        self._listeners: list[Callable[[WatchEvent], None]] = []

    # -- reading -------------------------------------------------------------------------

    @property
    def resource_version(self) -> int:
        with self.lock:
            return self._rv

    def get(self, rtype: ResourceType, namespace: str, name: str) -> Obj:
        with self.lock:
            obj = self._objects.get((rtype.key, namespace, name))
            if obj is None:
                raise NotFound(
                    f'{rtype.plural}{"." + rtype.group if rtype.group else ""} "{name}" not found',
                    kind=rtype.plural,
                    name=name,
                )
            return copy.deepcopy(obj)

    def list(
        self,
        rtype: ResourceType,
        namespace: str | None = None,
        predicate: Predicate = _everything,
    ) -> tuple[list[Obj], int]:
        """Matching objects sorted by namespace and name, and the version they were read at."""
        with self.lock:
            found = [
                copy.deepcopy(obj)
                for (key, ns, _), obj in self._objects.items()
                if key == rtype.key and (namespace is None or ns == namespace) and predicate(obj)
            ]
            found.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
            return found, self._rv

    # -- writing -------------------------------------------------------------------------

    def create(self, rtype: ResourceType, namespace: str, obj: Obj) -> Obj:
        with self.lock:
            obj = copy.deepcopy(obj)
            meta = obj.setdefault("metadata", {})
            if not meta.get("name"):
                prefix = meta.get("generateName")
                if not prefix:
                    raise Invalid(
                        f'{rtype.kind} in version "{rtype.version}" cannot be handled: '
                        "name or generateName is required",
                        kind=rtype.kind,
                        causes=[
                            {
                                "reason": "FieldValueRequired",
                                "message": "Required value: name or generateName is required",
                                "field": "metadata.name",
                            }
                        ],
                    )
                meta["name"] = self._generated_name(rtype, namespace, prefix)
            name = meta["name"]
            if rtype.namespaced:
                meta["namespace"] = namespace
            else:
                meta.pop("namespace", None)
                namespace = ""
            key = (rtype.key, namespace, name)
            if key in self._objects:
                raise AlreadyExists(
                    f'{rtype.plural}{"." + rtype.group if rtype.group else ""} "{name}" '
                    "already exists",
                    kind=rtype.plural,
                    name=name,
                )
            obj["apiVersion"] = rtype.api_version
            obj["kind"] = rtype.kind
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = timestamp(self.clock)
            meta.pop("deletionTimestamp", None)
            if rtype.has_generation:
                meta["generation"] = 1
            return self._commit("ADDED", rtype, key, obj)

    def update(
        self,
        rtype: ResourceType,
        namespace: str,
        obj: Obj,
        *,
        subresource: str = "",
        check_version: bool = True,
    ) -> Obj:
        """Replace an object as PUT does; ``subresource="status"`` changes only the status.

        A ``metadata.resourceVersion`` in ``obj`` that is not the stored one is a conflict.
        """
        with self.lock:
            name = obj.get("metadata", {}).get("name", "")
            ns = namespace if rtype.namespaced else ""
            key = (rtype.key, ns, name)
            old = self._objects.get(key)
            if old is None:
                raise NotFound(
                    f'{rtype.plural}{"." + rtype.group if rtype.group else ""} "{name}" not found',
                    kind=rtype.plural,
                    name=name,
                )
            wanted_rv = obj.get("metadata", {}).get("resourceVersion")
            if check_version and wanted_rv and wanted_rv != old["metadata"]["resourceVersion"]:
                raise Conflict(
                    f"Operation cannot be fulfilled on {rtype.plural}"
                    f'{"." + rtype.group if rtype.group else ""} "{name}": the object has been '
                    "modified; please apply your changes to the latest version and try again",
                    kind=rtype.plural,
                    name=name,
                )
            new = copy.deepcopy(obj)
            if subresource == "status":
                merged = copy.deepcopy(old)
                merged["status"] = new.get("status", {})
                # Status strategies reset only spec (and labels); the deployment controller
                # records the Deployment's revision annotation through this path.
                annotations = new.get("metadata", {}).get("annotations")
                if annotations is not None:
                    merged["metadata"]["annotations"] = annotations
                new = merged
            else:
                if "status" in old or "status" in new:
                    # The main resource never writes status (registry PrepareForUpdate).
                    if "status" in old:
                        new["status"] = copy.deepcopy(old["status"])
                    else:
                        new.pop("status", None)
                meta = new.setdefault("metadata", {})
                for kept in ("uid", "creationTimestamp", "generation", "namespace"):
                    if kept in old["metadata"]:
                        meta[kept] = old["metadata"][kept]
                meta["name"] = name
                if rtype.has_generation:
                    changed = _differs(old, new, "spec") or (
                        rtype.generation_tracks_annotations
                        and (old["metadata"].get("annotations") or {})
                        != (meta.get("annotations") or {})
                    )
                    if changed:
                        meta["generation"] = old["metadata"].get("generation", 1) + 1
            new["apiVersion"] = rtype.api_version
            new["kind"] = rtype.kind
            comparable_old = {k: v for k, v in old.items()}
            comparable_new = {k: v for k, v in new.items()}
            comparable_old["metadata"] = {
                k: v for k, v in old["metadata"].items() if k != "resourceVersion"
            }
            comparable_new["metadata"] = {
                k: v for k, v in new["metadata"].items() if k != "resourceVersion"
            }
            if comparable_old == comparable_new:
                # A no-op write keeps the version, as the real API server does.
                return copy.deepcopy(old)
            return self._commit("MODIFIED", rtype, key, new)

    def delete(self, rtype: ResourceType, namespace: str, name: str) -> Obj:
        with self.lock:
            ns = namespace if rtype.namespaced else ""
            key = (rtype.key, ns, name)
            if key not in self._objects:
                raise NotFound(
                    f'{rtype.plural}{"." + rtype.group if rtype.group else ""} "{name}" not found',
                    kind=rtype.plural,
                    name=name,
                )
            obj = self._objects.pop(key)
            self._rv += 1
            obj = copy.deepcopy(obj)
            obj["metadata"]["resourceVersion"] = str(self._rv)
            self._publish(WatchEvent("DELETED", rtype, obj, self._rv))
            return copy.deepcopy(obj)

    # -- watching ------------------------------------------------------------------------

    def watch(
        self,
        rtype: ResourceType,
        namespace: str | None = None,
        predicate: Predicate = _everything,
        *,
        since: int | None = None,
    ) -> Watcher:
        """Open a watch.

        ``since=None`` starts with an ADDED event for every matching object (a watch without
        a resourceVersion); ``since=N`` replays every recorded change after version N, or
        raises :class:`Gone` when N is older than the history kept.
        """
        with self.lock:
            watcher = Watcher(rtype, namespace, predicate)
            if since is None:
                items, _ = self.list(rtype, namespace, predicate)
                for item in items:
                    rv = int(item["metadata"]["resourceVersion"])
                    watcher.events.put(WatchEvent("ADDED", rtype, item, rv))
            elif since < self._rv:
                oldest = self._history[0].resource_version if self._history else self._rv + 1
                if since + 1 < oldest:
                    raise Gone(f"too old resource version: {since} ({oldest - 1})")
                for event in self._history:
                    if event.resource_version > since and watcher.matches(event):
                        watcher.events.put(event)
            self._watchers.append(watcher)
            return watcher

    def stop_watch(self, watcher: Watcher) -> None:
        with self.lock:
            if watcher in self._watchers:
                self._watchers.remove(watcher)
            if not watcher.closed:
                watcher.closed = True
                watcher.events.put(None)

    def close_all_watches(self) -> None:
        with self.lock:
            for watcher in list(self._watchers):
                self.stop_watch(watcher)

    def add_listener(self, listener: Callable[[WatchEvent], None]) -> None:
        """Call ``listener`` (under the store lock) after every change; the controllers use it."""
        with self.lock:
            self._listeners.append(listener)

    # -- internals -----------------------------------------------------------------------

    def _commit(self, kind: str, rtype: ResourceType, key: tuple[str, str, str], obj: Obj) -> Obj:
        self._rv += 1
        obj["metadata"]["resourceVersion"] = str(self._rv)
        self._objects[key] = obj
        self._publish(WatchEvent(kind, rtype, copy.deepcopy(obj), self._rv))
        return copy.deepcopy(obj)

    def _publish(self, event: WatchEvent) -> None:
        self._history.append(event)
        for watcher in self._watchers:
            if watcher.matches(event):
                watcher.events.put(event)
        for listener in self._listeners:
            listener(event)

    def _generated_name(self, rtype: ResourceType, namespace: str, prefix: str) -> str:
        while True:
            suffix = "".join(secrets.choice(_NAME_SUFFIX_ALPHABET) for _ in range(5))
            name = f"{prefix}{suffix}"
            if (rtype.key, namespace, name) not in self._objects:
                return name


def timestamp(clock: Clock) -> str:
    """RFC 3339 at whole seconds, as the API server writes metav1.Time."""
    return clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
