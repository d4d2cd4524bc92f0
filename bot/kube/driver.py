"""The rollout driver: everything the release workflow asks of one cluster namespace.

It is the only object the rest of the bot holds; it returns :mod:`bot.kube.models` values and
raises :mod:`bot.kube.errors`, so callers never see the kubernetes client.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import Any

from bot.clock import Clock, SystemClock
from bot.kube import history as history_
from bot.kube import patching, rollback
from bot.kube.connection import ClusterConfig, Connection, Timeouts, connect
from bot.kube.drift import OwnWrites, external_changes
from bot.kube.errors import Where
from bot.kube.fetching import get_deployment
from bot.kube.models import (
    CHANGE_CAUSE,
    RELEASE_ID,
    DeploymentState,
    DeployResult,
    ExternalChange,
    History,
    RolloutEvent,
    UndoResult,
    WatchStopped,
)
from bot.kube.status import revision_of
from bot.kube.tracking import follow_rollout
from bot.kube.watching import STOPPED, NamespaceWatch


class _Shared:
    """What every namespace view of one cluster shares: the watches and the bot's own writes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.watches: dict[str, NamespaceWatch] = {}
        self.own: dict[str, OwnWrites] = {}
        self.closed = False


class Cluster:
    """One namespace of one cluster. Deployment operations take the Deployment's name and a
    container name that defaults to the Deployment's name."""

    def __init__(
        self,
        conn: Connection,
        namespace: str,
        *,
        clock: Clock | None = None,
        _shared: _Shared | None = None,
    ) -> None:
        self.conn = conn
        self.namespace = namespace
        self.clock: Clock = clock or SystemClock()
        self.where = Where(conn.label, namespace)
        self._shared = _shared or _Shared()

    @classmethod
    def connect(
        cls,
        config: ClusterConfig,
        namespace: str,
        *,
        clock: Clock | None = None,
        timeouts: Timeouts | None = None,
    ) -> Cluster:
        return cls(connect(config, timeouts), namespace, clock=clock)

    def in_namespace(self, namespace: str) -> Cluster:
        """Another namespace on the same connection, sharing its watches."""
        return Cluster(self.conn, namespace, clock=self.clock, _shared=self._shared)

    # -- reading -------------------------------------------------------------------------

    def state(self, deployment: str, container: str | None = None) -> DeploymentState:
        container = container or deployment
        obj = get_deployment(self.conn, self.where, deployment)
        image = patching.require_container(self.where, obj, deployment, container)
        meta = obj.get("metadata", {})
        annotations = meta.get("annotations") or {}
        return DeploymentState(
            name=deployment,
            namespace=self.namespace,
            container=container,
            revision=revision_of(obj),
            image=image,
            release_id=annotations.get(RELEASE_ID),
            change_cause=annotations.get(CHANGE_CAUSE),
            paused=bool((obj.get("spec") or {}).get("paused")),
            generation=int(meta.get("generation") or 0),
            observed_generation=int((obj.get("status") or {}).get("observedGeneration") or 0),
        )

    def history(self, deployment: str, container: str | None = None) -> History:
        return history_.history(self.conn, self.where, deployment, container or deployment)

    # -- changing ------------------------------------------------------------------------

    def deploy(
        self,
        deployment: str,
        *,
        image: str,
        change_cause: str,
        release_id: str,
        container: str | None = None,
    ) -> DeployResult:
        """Set the container's image; raises InvalidImageReference before any request."""
        own = self._own()
        written: list[dict[str, Any]] = []
        try:
            result, _ = patching.deploy(
                self.conn,
                self.where,
                deployment=deployment,
                container=container or deployment,
                image=image,
                change_cause=change_cause,
                release_id=release_id,
                before_patch=lambda template: self._expect(own, deployment, template, written),
            )
        except Exception:
            for template in written:
                own.forget(deployment, template)
            raise
        return result

    def undo(self, deployment: str, to_revision: int | None = None) -> UndoResult:
        own = self._own()
        written: list[dict[str, Any]] = []
        try:
            result, _ = rollback.undo(
                self.conn,
                self.where,
                deployment,
                to_revision,
                before_patch=lambda template: self._expect(own, deployment, template, written),
            )
        except Exception:
            for template in written:
                own.forget(deployment, template)
            raise
        return result

    def pause(self, deployment: str) -> None:
        patching.set_paused(self.conn, self.where, deployment, True)

    def resume(self, deployment: str) -> None:
        patching.set_paused(self.conn, self.where, deployment, False)

    # -- watching ------------------------------------------------------------------------

    def watch_rollout(
        self, deployment: str, *, timeout: float, container: str | None = None
    ) -> Iterator[RolloutEvent]:
        """Progress events until a terminal one: succeeded, failed or timed out."""
        return follow_rollout(
            self.namespace_watch(),
            self.where,
            deployment=deployment,
            container=container or deployment,
            clock=self.clock,
            timeout=timeout,
        )

    def external_changes(
        self, deployments: Iterable[str] | dict[str, str]
    ) -> Iterator[ExternalChange]:
        """Changes to these Deployments the bot did not make; runs until :meth:`close`.

        ``deployments`` maps Deployment → container, or lists Deployments whose container
        has the same name.
        """
        containers = (
            dict(deployments)
            if isinstance(deployments, dict)
            else {name: name for name in deployments}
        )
        return external_changes(self.namespace_watch(), self._own(), containers)

    def namespace_watch(self) -> NamespaceWatch:
        """The shared watch of this namespace; after ``close`` there is none to start, and a
        rollout that asks is told so rather than left following a watch nobody will stop."""
        with self._shared.lock:
            if self._shared.closed:
                raise WatchStopped(STOPPED.format(where=self.where.describe()))
            watch = self._shared.watches.get(self.namespace)
            if watch is None:
                watch = NamespaceWatch(self.conn, self.where)
                self._shared.watches[self.namespace] = watch
            return watch

    def close(self) -> None:
        """Stop every shared watch and close the connection."""
        with self._shared.lock:
            self._shared.closed = True
            watches = list(self._shared.watches.values())
            self._shared.watches.clear()
        for watch in watches:
            watch.stop()
        self.conn.close()

    @staticmethod
    def _expect(
        own: OwnWrites, deployment: str, template: dict[str, Any], written: list[dict[str, Any]]
    ) -> None:
        own.expect(deployment, template)
        written.append(template)

    def _own(self) -> OwnWrites:
        with self._shared.lock:
            return self._shared.own.setdefault(self.namespace, OwnWrites())
