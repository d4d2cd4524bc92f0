"""core/v1 Events, written the way client-go's event recorder writes them.

Identical events (same object, source, type, reason and message) are folded into one whose
``count`` and ``lastTimestamp`` move, as the recorder's correlator does; that keeps a
crash-looping pod from flooding the store. Similar events (the same but for the message)
are combined too, as the correlator's aggregator does: from the tenth distinct message
within ten minutes on, one "(combined from similar events): …" event carries the latest
message and counts them. A Deployment rolled out a few times reads that way on a real
cluster, and tests/real/test_sim_vs_real.py checks that the sim's does too.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.kube.sim.meta import name_of, namespace_of, uid_of
from bot.kube.sim.resources import EVENTS
from bot.kube.sim.store import NotFound, Obj, Store, timestamp

NORMAL = "Normal"
WARNING = "Warning"
SIMILAR_MAX = 10
SIMILAR_WINDOW = timedelta(minutes=10)
COMBINED = "(combined from similar events): "


class EventRecorder:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._seen: dict[tuple[str, ...], str] = {}
        self._similar: dict[tuple[str, ...], tuple[set[str], datetime]] = {}
        self._serial = 0

    def _aggregate(self, similar: tuple[str, ...], message: str) -> tuple[tuple[str, ...], str]:
        """The key to fold this event under, and its message: its own, or the combined one."""
        at = self._store.clock.now()
        messages, last = self._similar.get(similar, (set(), at))
        if at - last > SIMILAR_WINDOW:
            messages = set()
        messages.add(message)
        self._similar[similar] = (messages, at)
        if len(messages) < SIMILAR_MAX:
            return (*similar, message), message
        messages.pop()  # as the correlator does, so the set never grows past the threshold
        return (*similar, COMBINED), COMBINED + message

    def record(self, obj: Obj, kind: str, reason: str, message: str, component: str) -> None:
        namespace = namespace_of(obj) or "default"
        key, message = self._aggregate((uid_of(obj), component, kind, reason), message)
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
                event["message"] = message
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
