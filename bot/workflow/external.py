"""Telling a service's channel when its Deployment changed behind releasebot's back.

One thread per environment follows the driver's ``external_changes`` for the Deployments of
the services allowed there. The subscription is made before :meth:`ExternalWatch.start`
returns, so a change made right after is reported. The bot's own patches and undos, by any
replica, are recognised against the database (:mod:`bot.workflow.own_changes`) and never
reported; the driver already drops the ones this very process made.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

from bot.config import ReleasebotConfig, Service
from bot.kube.models import ExternalChange as KubeChange
from bot.kube.models import WatchStopped
from bot.workflow.database import Database
from bot.workflow.errors import WorkflowError
from bot.workflow.events import EventSink, ExternalChange
from bot.workflow.own_changes import is_own_change
from bot.workflow.ports import ClusterProvider

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0
"""Real seconds between attempts to re-subscribe after the cluster's watch failed."""


class ExternalWatch:
    def __init__(
        self,
        *,
        config: ReleasebotConfig,
        clusters: ClusterProvider,
        events: EventSink,
        db: Database,
    ) -> None:
        self._config = config
        self._db = db
        self._clusters = clusters
        self._events = events
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def started(self) -> bool:
        return bool(self._threads)

    def start(self) -> None:
        if self._threads:
            return
        for environment, services in self._services_by_environment().items():
            changes = self._subscribe(environment, services)
            thread = threading.Thread(
                target=self._run,
                args=(environment, services, changes),
                name=f"external-changes-{environment}",
                daemon=True,
            )
            self._threads.append(thread)
            thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Ask the threads to end; they notice once their watch ends (the caller closes the
        cluster connections, which ends every watch). True when all have ended."""
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout)
        return not any(thread.is_alive() for thread in self._threads)

    def _services_by_environment(self) -> dict[str, dict[str, Service]]:
        found: dict[str, dict[str, Service]] = {}
        for service in self._config.services.values():
            for environment in service.environments_allowed:
                found.setdefault(environment, {})[service.deployment] = service
        return found

    def _subscribe(
        self, environment: str, services: dict[str, Service]
    ) -> Iterator[KubeChange] | None:
        containers = {name: svc.container_name for name, svc in services.items()}
        try:
            return self._clusters.driver(environment).external_changes(containers)
        except WatchStopped:
            return None  # the clusters are closing; _run ends when it is asked to stop
        except Exception:
            log.exception("cannot watch %s for changes made outside releasebot", environment)
            return None

    def _run(
        self,
        environment: str,
        services: dict[str, Service],
        changes: Iterator[KubeChange] | None,
    ) -> None:
        while not self._stopping.is_set():
            if changes is None:
                if self._stopping.wait(RETRY_SECONDS):
                    return
                changes = self._subscribe(environment, services)
                continue
            try:
                for change in changes:
                    if self._stopping.is_set():
                        return
                    self._publish(environment, services, change)
            except Exception:
                log.exception("watching %s for outside changes failed; retrying", environment)
            changes = None

    def _publish(self, environment: str, services: dict[str, Service], change: KubeChange) -> None:
        service = services.get(change.deployment)
        if service is None or self._is_own(environment, service, change):
            return
        self._events.publish(
            ExternalChange(
                service=service.name,
                environment=environment,
                channel=service.channel,
                old_image=change.old_image,
                new_image=change.new_image,
                old_revision=change.old_revision,
                new_revision=change.new_revision,
            )
        )

    def _is_own(self, environment: str, service: Service, change: KubeChange) -> bool:
        """Asked of the database; when it cannot answer, the channel is told (a change a
        person made must never go unmentioned)."""

        def ask() -> bool:
            with self._db.session() as session:
                return is_own_change(
                    session, service=service.name, environment=environment, change=change
                )

        try:
            return self._db.again_if_lost(ask, f"checking a change of {service.name}")
        except WorkflowError as err:
            log.warning(
                "cannot tell whether %s in %s was changed by releasebot (%s); reporting it",
                service.name,
                environment,
                err.message,
            )
            return False
