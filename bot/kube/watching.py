"""One list+watch per namespace of Deployments, ReplicaSets and Pods, shared by every reader.

Every rollout in a namespace (and the external-change monitor) reads the same three watch
streams instead of opening its own, so ten concurrent rollouts cost the API server three
connections. Like an informer, it keeps a cache, resumes from the last resourceVersion after
a dropped connection and lists again after 410 Gone. Events reach subscribers the moment a
line arrives on the stream, which keeps the bot as quick as `kubectl rollout status`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from kubernetes.client.exceptions import ApiException

from bot.kube.connection import Connection
from bot.kube.errors import KubeError, ServerError, Where, translate
from bot.kube.fetching import Obj, call_json
from bot.kube.models import WatchStopped
from bot.kube.watchcache import Cache, owner_deployment

log = logging.getLogger(__name__)

KINDS = ("deployments", "replicasets", "pods")
STOPPED = "the watch of {where} has stopped: releasebot is shutting down"
MAX_BACKOFF = 5.0
WARN_EVERY = 60.0
"""Real seconds between two warnings about the same watch failing to reconnect."""


@dataclass(frozen=True)
class Change:
    kind: str  # deployments | replicasets | pods
    type: str  # ADDED | MODIFIED | DELETED
    object: Obj


@dataclass(frozen=True)
class WatchFailed:
    """The shared watch stopped for good (e.g. RBAC forbids watching)."""

    error: KubeError


Item = Change | WatchFailed


class Subscription:
    """A reader's view: what the cache held when it subscribed, then every change in order.

    ``deployment`` narrows both to that Deployment and the ReplicaSets and Pods it owns;
    ``kinds`` to some of the three kinds.
    """

    def __init__(
        self,
        snapshot: dict[str, dict[str, Obj]],
        deployment: str | None = None,
        kinds: tuple[str, ...] = KINDS,
    ) -> None:
        self.snapshot = snapshot
        self.deployment = deployment
        self.kinds = kinds
        self.items: queue.Queue[Item | None] = queue.Queue()
        self.closed = False
        """Set when the shared watch stopped: nothing more will arrive."""

    def get(self, timeout: float) -> Item | None:
        """The next item, or None when nothing arrived within ``timeout`` real seconds."""
        try:
            return self.items.get(timeout=timeout)
        except queue.Empty:
            return None


class NamespaceWatch:
    def __init__(self, conn: Connection, where: Where) -> None:
        self.conn = conn
        self.where = where
        self._lock = threading.Lock()
        self._cache = Cache(KINDS)
        self._synced = {kind: threading.Event() for kind in KINDS}
        self._tried = {kind: threading.Event() for kind in KINDS}
        self._subscribers: list[Subscription] = []
        self._by_deployment: dict[str | None, list[Subscription]] = {}
        """Subscribers by the Deployment they follow; None: those who read everything."""
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._responses: dict[str, Any] = {}
        self._failure: KubeError | None = None
        self._last_error: KubeError | None = None
        self._health = {kind: _Health(f"watch of {kind} in {where.describe()}") for kind in KINDS}
        self._list: dict[str, Callable[..., Any]] = {
            "deployments": conn.apps.list_namespaced_deployment,
            "replicasets": conn.apps.list_namespaced_replica_set,
            "pods": conn.core.list_namespaced_pod,
        }
        self._stream: dict[str, Callable[..., Any]] = {
            "deployments": conn.watch_apps.list_namespaced_deployment,
            "replicasets": conn.watch_apps.list_namespaced_replica_set,
            "pods": conn.watch_core.list_namespaced_pod,
        }

    # -- readers -------------------------------------------------------------------------

    def subscribe(
        self, deployment: str | None = None, kinds: tuple[str, ...] = KINDS
    ) -> Subscription:
        """Start the watch if needed, wait for the first list, and return a subscription.
        Once the watch has stopped nobody may subscribe: nothing would ever arrive and the
        reader would wait for good.

        A rollout subscribes for its Deployment only: with a hundred rollouts in a namespace,
        handing each of them every change (and a copy of the whole cache) made the cost of
        one rollout grow with the number of its neighbours."""
        if self._stop.is_set():
            raise WatchStopped(STOPPED.format(where=self.where.describe()))
        self._start()
        for kind in KINDS:
            deadline = self.conn.timeouts.connect + self.conn.timeouts.read
            self._tried[kind].wait(deadline)
            if self._failure is not None:
                raise self._failure
            if not self._synced[kind].is_set():
                raise self._last_error or ServerError(
                    f"listing {kind} in {self.where.describe()} did not finish in {deadline:g} s"
                )
        with self._lock:
            snapshot = self._cache.snapshot(deployment, kinds)
            subscription = Subscription(snapshot, deployment, kinds)
            if self._stop.is_set():  # stop() ran meanwhile and has told its subscribers
                subscription.closed = True
                subscription.items.put(None)
            else:
                self._subscribers.append(subscription)
                self._index(subscription).append(subscription)
            return subscription

    def _index(self, subscription: Subscription) -> list[Subscription]:
        return self._by_deployment.setdefault(subscription.deployment, [])

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            if subscription in self._subscribers:
                self._subscribers.remove(subscription)
                readers = self._index(subscription)
                readers.remove(subscription)
                if not readers:
                    del self._by_deployment[subscription.deployment]

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            responses = list(self._responses.values())
            subscribers, self._subscribers = self._subscribers, []
            self._by_deployment = {}
        for response in responses:
            _shutdown(response)
        for thread in self._threads:
            thread.join(timeout=5)
        for subscription in subscribers:
            subscription.closed = True
            subscription.items.put(None)

    # -- the watch threads ---------------------------------------------------------------

    def _start(self) -> None:
        with self._lock:
            if self._threads:
                return
            for kind in KINDS:
                thread = threading.Thread(
                    target=self._run, args=(kind,), name=f"watch-{self.where.namespace}-{kind}"
                )
                thread.daemon = True
                self._threads.append(thread)
                thread.start()

    def _run(self, kind: str) -> None:
        rv: str | None = None
        backoff = 0.2
        while not self._stop.is_set():
            try:
                if rv is None:
                    rv = self._relist(kind)
                rv = self._watch(kind, rv)
                backoff = 0.2
            except KubeError as err:
                if self._stop.is_set():
                    return
                if not err.retryable:
                    self._fail(err)
                    return
                self._last_error = err
                self._tried[kind].set()
                self._health[kind].failed(err)
                self._stop.wait(backoff)
                backoff = min(MAX_BACKOFF, backoff * 2)

    def _relist(self, kind: str) -> str:
        body = call_json(
            self.conn, self.where, f"list {kind}", self._list[kind], self.where.namespace
        )
        items = {_name(obj): obj for obj in body.get("items") or []}
        with self._lock:
            old = dict(self._cache.objects(kind))
            for name in old:
                if name not in items:
                    self._cache.pop(kind, name)
            for obj in items.values():
                self._cache.put(kind, obj)
            changes = [
                Change(kind, "DELETED", obj) for name, obj in old.items() if name not in items
            ]
            for name, obj in items.items():
                if name not in old:
                    changes.append(Change(kind, "ADDED", obj))
                elif old[name] != obj:
                    changes.append(Change(kind, "MODIFIED", obj))
            self._dispatch(changes)
        self._synced[kind].set()
        self._tried[kind].set()
        self._health[kind].succeeded()
        return str(body.get("metadata", {}).get("resourceVersion") or "")

    def _watch(self, kind: str, rv: str) -> str | None:
        """Stream changes after ``rv``; return the version to resume from, None to relist."""
        try:
            response = self._stream[kind](
                self.where.namespace,
                watch=True,
                resource_version=rv,
                allow_watch_bookmarks=True,
                timeout_seconds=self.conn.timeouts.watch_seconds,
                _preload_content=False,
                _request_timeout=self.conn.timeouts.watch(),
            )
        except ApiException as err:
            if err.status == 410:
                return None
            raise translate(err, self.where, f"watch {kind}") from err
        except Exception as err:
            raise translate(err, self.where, f"watch {kind}") from err
        self._health[kind].succeeded()
        with self._lock:
            self._responses[kind] = response
            stopping = self._stop.is_set()
        if stopping:
            _shutdown(response)
            return rv
        try:
            for line in _lines(response):
                event = json.loads(line)
                obj = event.get("object") or {}
                kind_of_event = event.get("type")
                if kind_of_event == "ERROR":
                    if obj.get("code") == 410:
                        return None
                    raise ServerError(
                        f"watching {kind} in {self.where.describe()} failed: {obj.get('message')}"
                    )
                rv = str(obj.get("metadata", {}).get("resourceVersion") or rv)
                if kind_of_event == "BOOKMARK":
                    continue
                with self._lock:
                    if kind_of_event == "DELETED":
                        self._cache.pop(kind, _name(obj))
                    else:
                        self._cache.put(kind, obj)
                    self._dispatch([Change(kind, str(kind_of_event), obj)])
        except KubeError:
            raise
        except Exception as err:
            if self._stop.is_set():
                return rv
            raise translate(err, self.where, f"watch {kind}") from err
        finally:
            with self._lock:
                self._responses.pop(kind, None)
            _shutdown(response)
        return rv

    def _dispatch(self, changes: list[Change]) -> None:
        everyone = self._by_deployment.get(None, ())
        for change in changes:
            owner = owner_deployment(change.kind, change.object)
            for readers in (everyone, self._by_deployment.get(owner, ()) if owner else ()):
                for subscription in readers:
                    if change.kind in subscription.kinds:
                        subscription.items.put(change)

    def _fail(self, error: KubeError) -> None:
        with self._lock:
            self._failure = error
            for subscription in self._subscribers:
                subscription.items.put(WatchFailed(error))
        for event in self._tried.values():
            event.set()


class _Health:
    """When to speak about one watch stream's reconnects.

    A stream the API server ends (its watch timeout, a restart behind a load balancer) is
    routine and resumes at once without a word. One failed reconnect is still routine: the
    connection it reused may have been closing. From the second failure on, the warning says
    for how long reconnecting has failed, at most once a minute; and when it comes back, an
    info line says after how long.
    """

    def __init__(self, what: str) -> None:
        self._what = what
        self._since: float | None = None
        self._failures = 0
        self._warned_at: float | None = None

    def failed(self, err: KubeError) -> None:
        now = time.monotonic()
        if self._since is None:
            self._since = now
        self._failures += 1
        if self._failures == 1:
            log.debug("%s: reconnecting after %s", self._what, err.message)
            return
        if self._warned_at is not None and now - self._warned_at < WARN_EVERY:
            return
        self._warned_at = now
        log.warning(
            "%s: reconnecting has failed for %.0f s (%d attempts); still trying. Last error: %s",
            self._what,
            now - self._since,
            self._failures,
            err.message,
        )

    def succeeded(self) -> None:
        if self._since is not None and self._warned_at is not None:
            log.info(
                "%s: reconnected after %.0f s of failures",
                self._what,
                time.monotonic() - self._since,
            )
        self._since, self._failures, self._warned_at = None, 0, None


def _name(obj: Obj) -> str:
    return str(obj.get("metadata", {}).get("name", ""))


def _lines(response: Any) -> Iterator[str]:
    buffer = b""
    chunks = response.stream(None) if response.chunked else iter(lambda: response.read1(65536), b"")
    for chunk in chunks:
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            if line.strip():
                yield line.decode("utf-8", "replace")


def _shutdown(response: Any) -> None:
    # The connection may already be gone; closing it twice is harmless.
    with contextlib.suppress(Exception):
        response.shutdown()
    with contextlib.suppress(Exception):
        response.release_conn()
