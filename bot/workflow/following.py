"""Following a patched Deployment until its rollout ends, telling the channel on the way.

Progress and pods stuck in a known bad state are published as they happen (each stuck pod
once per reason); the first ending the watch reports is committed through ``endings``. A release the
runner was told to stop (a rollback took it over) is left at its next watch event.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from bot.kube.models import (
    PodChanged,
    RolloutFailed,
    RolloutProgress,
    RolloutSucceeded,
    RolloutTimedOut,
    WatchStopped,
)
from bot.workflow.database import Database
from bot.workflow.endings import Endings
from bot.workflow.events import EventSink, PodTrouble, RolloutProgressed
from bot.workflow.model import Progress, ReleaseView
from bot.workflow.ports import RolloutDriver
from storage.models import Release, ReleaseState

DEFAULT_TIMEOUT_SECONDS = 600.0
TROUBLE = frozenset(
    {
        "ImagePullBackOff",
        "ErrImagePull",
        "CrashLoopBackOff",
        "CreateContainerConfigError",
        "InvalidImageName",
        "RunContainerError",
    }
)


@dataclass(frozen=True, kw_only=True)
class RolloutFollower:
    db: Database
    events: EventSink
    endings: Endings
    stopped: Callable[[uuid.UUID], bool]

    def follow(
        self, driver: RolloutDriver, release: Release, deployment: str, container: str
    ) -> None:
        env = self.db.config.environment(release.environment)
        timeout = (
            env.progress_timeout.total_seconds()
            if env.progress_timeout is not None
            else DEFAULT_TIMEOUT_SECONDS
        )
        troubled: set[tuple[str, str]] = set()
        try:
            for event in driver.watch_rollout(deployment, timeout=timeout, container=container):
                if self.stopped(release.id):
                    return
                if isinstance(event, RolloutProgress):
                    self._progress(release.id, event)
                elif isinstance(event, PodChanged) and event.waiting_reason in TROUBLE:
                    key = (event.name, event.waiting_reason)
                    if key not in troubled:
                        troubled.add(key)
                        self._trouble(release.id, event.name, event.waiting_reason)
                elif isinstance(event, RolloutSucceeded):
                    self.endings.finish(release.id, ReleaseState.SUCCEEDED, revision=event.revision)
                    return
                elif isinstance(event, RolloutFailed | RolloutTimedOut):
                    self.endings.finish(release.id, ReleaseState.FAILED, error=event.message)
                    return
        except WatchStopped:
            raise
        except Exception as err:
            self.endings.finish(release.id, ReleaseState.FAILED, error=f"lost the rollout: {err}")

    def _progress(self, release_id: uuid.UUID, event: RolloutProgress) -> None:
        counts, strategy = event.counts, event.strategy
        self.db.set_progress(
            release_id,
            Progress(
                message=event.message,
                desired=counts.desired,
                updated=counts.updated,
                ready=counts.ready,
                available=counts.available,
                old_pending_termination=counts.old_pending_termination,
                max_surge=strategy.max_surge,
                max_unavailable=strategy.max_unavailable,
            ),
        )
        self.events.publish(RolloutProgressed(self._snapshot(release_id)))

    def _trouble(self, release_id: uuid.UUID, pod: str, reason: str) -> None:
        self.events.publish(PodTrouble(self._snapshot(release_id), pod, reason))

    def _snapshot(self, release_id: uuid.UUID) -> ReleaseView:
        def read() -> ReleaseView:
            with self.db.session() as session:
                return self.db.view(session, self.db.release(session, release_id))

        return self.db.again_if_lost(read, f"reading release {release_id}")
