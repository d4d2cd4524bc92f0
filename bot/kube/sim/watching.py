"""Watch streams: the store's events as newline-delimited JSON, the way the API server sends them.

A watch ends at ``timeoutSeconds`` (wall-clock, as for a real server), when the client goes
away, or when the server stops. A resourceVersion older than the store's history answers with
one ERROR event holding a 410 Expired Status, which is what clients resume from.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.kube.sim import tables
from bot.kube.sim.apistatus import bad_request, too_old
from bot.kube.sim.cluster import SimulatedCluster
from bot.kube.sim.resources import ResourceType
from bot.kube.sim.selectors import combined
from bot.kube.sim.store import Gone, Obj, Watcher, WatchEvent

INITIAL_EVENTS_END = "k8s.io/initial-events-end"
BOOKMARK_EVERY = 60.0
_POLL = 0.5

WriteChunk = Callable[[bytes], None]


@dataclass(frozen=True)
class WatchRequest:
    rtype: ResourceType
    namespace: str | None
    query: dict[str, str]
    accept: str


def is_watch(query: dict[str, str]) -> bool:
    return query.get("watch", "").lower() in ("true", "1")


def _since(query: dict[str, str]) -> int | None:
    """None means "start with the current state": no version, "0", or the watch-list form."""
    rv = query.get("resourceVersion", "")
    if query.get("sendInitialEvents") == "true" or rv in ("", "0"):
        return None
    try:
        return int(rv)
    except ValueError as err:
        raise bad_request(f'invalid resource version "{rv}"') from err


def _bookmark(rtype: ResourceType, rv: int, *, initial_end: bool) -> Obj:
    meta: Obj = {"resourceVersion": str(rv)}
    if initial_end:
        meta["annotations"] = {INITIAL_EVENTS_END: "true"}
    return {"kind": rtype.kind, "apiVersion": rtype.api_version, "metadata": meta}


@dataclass(frozen=True)
class OpenWatch:
    """A started watch, or the ERROR event that replaces it; ``initial_events`` is how many
    ADDED events precede the watch-list bookmark (-1: not a watch-list request)."""

    watcher: Watcher | None
    error: Obj | None
    initial_events: int
    initial_rv: int


class WatchStreamer:
    """Runs watches for the HTTP server and ends every one of them when the server stops."""

    def __init__(self, cluster: SimulatedCluster) -> None:
        self.cluster = cluster
        self.store = cluster.store
        self._stopping = threading.Event()
        self._open: dict[int, Watcher] = {}
        self._lock = threading.Lock()
        self.opened_total = 0
        """Watches opened since the server started: a test sees a client come back."""

    @property
    def open_count(self) -> int:
        """How many watches are streaming now; lets a test wait until its watch is in place."""
        with self._lock:
            return len(self._open)

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            watchers = list(self._open.values())
        for watcher in watchers:
            self.store.stop_watch(watcher)

    def open(self, request: WatchRequest) -> OpenWatch:
        query = request.query
        predicate = combined(query.get("labelSelector"), query.get("fieldSelector"))
        since = _since(query)
        try:
            with self.store.lock:
                watcher = self.store.watch(request.rtype, request.namespace, predicate, since=since)
                initial = watcher.events.qsize()
                rv_now = self.store.resource_version
        except Gone as err:
            return OpenWatch(None, {"type": "ERROR", "object": too_old(err.message)}, -1, 0)
        with self._lock:
            self._open[id(watcher)] = watcher
            self.opened_total += 1
        if self._stopping.is_set():
            self.store.stop_watch(watcher)
        if query.get("sendInitialEvents") != "true":
            initial = -1
        return OpenWatch(watcher, None, initial, rv_now)

    def run(self, request: WatchRequest, write: WriteChunk) -> None:
        opened = self.open(request)
        if opened.watcher is None:
            if opened.error is not None:
                write(_line(opened.error))
            return
        try:
            self._pump(request, opened, write)
        finally:
            self.store.stop_watch(opened.watcher)
            with self._lock:
                self._open.pop(id(opened.watcher), None)

    def _pump(self, request: WatchRequest, opened: OpenWatch, write: WriteChunk) -> None:
        watcher = opened.watcher
        assert watcher is not None
        query = request.query
        timeout = float(query["timeoutSeconds"]) if query.get("timeoutSeconds") else None
        deadline = time.monotonic() + timeout if timeout is not None else None
        bookmarks = query.get("allowWatchBookmarks") == "true"
        initial_left = opened.initial_events
        last_sent = time.monotonic()
        while not self._stopping.is_set():
            if initial_left == 0:
                end = _bookmark(request.rtype, opened.initial_rv, initial_end=True)
                write(_line({"type": "BOOKMARK", "object": end}))
                initial_left = -1
            wait = _POLL if deadline is None else min(_POLL, deadline - time.monotonic())
            if wait <= 0:
                return
            try:
                event = watcher.events.get(timeout=wait)
            except queue.Empty:
                if bookmarks and time.monotonic() - last_sent >= BOOKMARK_EVERY:
                    self._idle_bookmark(request, watcher, write)
                    last_sent = time.monotonic()
                continue
            if event is None:
                return
            write(_line(self._encode(request, event)))
            last_sent = time.monotonic()
            if initial_left > 0:
                initial_left -= 1

    def _idle_bookmark(self, request: WatchRequest, watcher: Watcher, write: WriteChunk) -> None:
        with self.store.lock:
            if not watcher.events.empty():
                return
            rv = self.store.resource_version
        event = {"type": "BOOKMARK", "object": _bookmark(request.rtype, rv, initial_end=False)}
        write(_line(event))

    def _encode(self, request: WatchRequest, event: WatchEvent) -> Obj:
        obj = event.object
        if tables.wants_table(request.accept) and event.type != "BOOKMARK":
            obj = tables.table(
                request.rtype.kind,
                [obj],
                self.cluster.clock.now(),
                resource_version=str(event.resource_version),
                include=request.query.get("includeObject", "Metadata"),
            )
        return {"type": event.type, "object": obj}


def _line(event: Obj) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode() + b"\n"
