"""core/v1 Events, written the way client-go's event recorder writes them.

Identical events (same object, source, type, reason and message) are folded into one whose
``count`` and ``lastTimestamp`` move, as the recorder's correlator does; that keeps a
crash-looping pod from flooding the store.
"""

from __future__ import annotations

from bot.kube.sim.meta import name_of, namespace_of, uid_of
from bot.kube.sim.resources import EVENTS
from bot.kube.sim.store import NotFound, Obj, Store, timestamp

NORMAL = "Normal"
WARNING = "Warning"


class EventRecorder:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._seen: dict[tuple[str, str, str, str, str], str] = {}
        self._serial = 0

    def record(self, obj: Obj, kind: str, reason: str, message: str, component: str) -> None:
        namespace = namespace_of(obj) or "default"
        key = (uid_of(obj), component, kind, reason, message)
        now = timestamp(self._store.clock)
        existing = self._seen.get(key)
        if existing is not None:
            try:
                event = self._store.get(EVENTS, namespace, existing)
            except NotFound:
                del self._seen[key]
            else:
                event["count"] = int(event.get("count", 1)) + 1
                event["lastTimestamp"] = now
                self._store.update(EVENTS, namespace, event, check_version=False)
                return
        self._serial += 1
        nanos = int(self._store.clock.now().timestamp() * 1e9) + self._serial
        event = {
            "metadata": {"name": f"{name_of(obj)}.{nanos:x}", "namespace": namespace},
            "involvedObject": {
                "kind": obj.get("kind", ""),
                "namespace": namespace,
                "name": name_of(obj),
                "uid": uid_of(obj),
                "apiVersion": obj.get("apiVersion", ""),
                "resourceVersion": obj["metadata"].get("resourceVersion", ""),
            },
            "reason": reason,
            "message": message,
            "source": {"component": component},
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "type": kind,
            "eventTime": None,
            "reportingComponent": component,
            "reportingInstance": "",
        }
        created = self._store.create(EVENTS, namespace, event)
        self._seen[key] = name_of(created)
