"""What shared informers give the real controllers: a read cache, owner indexes, a work queue.

Fed by the store's listener, so a controller pass touches only the objects that changed or
whose timer fell due, never a scan of the whole cluster; this keeps hundreds of Deployments
in one process cheap.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from bot.kube.sim.meta import controller_uid
from bot.kube.sim.resources import DEPLOYMENTS, PODS, REPLICASETS, ResourceType
from bot.kube.sim.store import Obj, Store, WatchEvent

Key = tuple[str, str]  # (namespace, name)
TimerKey = tuple[str, str, str]  # (resource key, namespace, name)

WATCHED = (DEPLOYMENTS, REPLICASETS, PODS)


class Informer:
    def __init__(self, store: Store) -> None:
        self._objects: dict[str, dict[Key, Obj]] = {rtype.key: {} for rtype in WATCHED}
        self._by_uid: dict[str, tuple[ResourceType, Key]] = {}
        self._owned: dict[str, set[Key]] = defaultdict(set)  # controller uid → dependents
        self._owner_of: dict[str, str] = {}  # dependent uid → controller uid
        self.dirty: dict[str, set[Key]] = {rtype.key: set() for rtype in WATCHED}
        self.deleted_uids: list[str] = []
        self._timers: dict[TimerKey, datetime] = {}
        store.add_listener(self._on_event)

    # -- reading -------------------------------------------------------------------------

    def get(self, rtype: ResourceType, key: Key) -> Obj | None:
        return self._objects[rtype.key].get(key)

    def owned(self, rtype: ResourceType, owner_uid: str) -> list[Obj]:
        """Objects of ``rtype`` whose controller ownerReference points at ``owner_uid``."""
        found = []
        for key in self._owned.get(owner_uid, ()):
            obj = self._objects[rtype.key].get(key)
            if obj is not None and controller_uid(obj) == owner_uid:
                found.append(obj)
        return found

    def owner_of_uid(self, uid: str) -> tuple[ResourceType, Key] | None:
        return self._by_uid.get(uid)

    def dependents(self, owner_uid: str) -> list[tuple[ResourceType, Key]]:
        return [
            (rtype, key)
            for key in self._owned.get(owner_uid, ())
            for rtype in (REPLICASETS, PODS)
            if key in self._objects[rtype.key]
        ]

    # -- work queue ----------------------------------------------------------------------

    def mark(self, rtype: ResourceType, key: Key) -> None:
        self.dirty[rtype.key].add(key)

    def take(self, rtype: ResourceType) -> list[Key]:
        keys = sorted(self.dirty[rtype.key])
        self.dirty[rtype.key].clear()
        return keys

    def pending(self) -> bool:
        return any(self.dirty.values()) or bool(self.deleted_uids)

    def set_timer(self, rtype: ResourceType, key: Key, when: datetime | None) -> None:
        timer = (rtype.key, *key)
        if when is None:
            self._timers.pop(timer, None)
        else:
            self._timers[timer] = when

    def fire_timers(self, now: datetime) -> None:
        for timer, when in list(self._timers.items()):
            if when <= now:
                del self._timers[timer]
                self.dirty[timer[0]].add((timer[1], timer[2]))

    def next_timer(self, now: datetime) -> datetime | None:
        return min((when for when in self._timers.values() if when > now), default=None)

    # -- feeding -------------------------------------------------------------------------

    def _on_event(self, event: WatchEvent) -> None:
        if event.rtype not in WATCHED:
            return
        obj = event.object
        meta = obj["metadata"]
        key: Key = (meta.get("namespace", ""), meta["name"])
        uid = meta.get("uid", "")
        table = self._objects[event.rtype.key]
        previous_owner = self._owner_of.pop(uid, None)
        if previous_owner is not None:
            self._owned[previous_owner].discard(key)
            if not self._owned[previous_owner]:
                del self._owned[previous_owner]
        if event.type == "DELETED":
            table.pop(key, None)
            self._by_uid.pop(uid, None)
            self.deleted_uids.append(uid)
            self.set_timer(event.rtype, key, None)
        else:
            table[key] = obj
            self._by_uid[uid] = (event.rtype, key)
            owner = controller_uid(obj)
            if owner is not None:
                self._owner_of[uid] = owner
                self._owned[owner].add(key)
        self.dirty[event.rtype.key].add(key)
        owner = controller_uid(obj)
        if owner is not None and owner in self._by_uid:
            owner_type, owner_key = self._by_uid[owner]
            self.dirty[owner_type.key].add(owner_key)
