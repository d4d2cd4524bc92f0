"""The runner: takes an approved release to the cluster and follows it to its end.

State is committed before each side effect (``approved → rolling_out`` before the patch), the
Deployment carries the release id so a repeated patch is a no-op, and every finish is a
compare-and-set: a release stopped by a rollback meanwhile is left alone.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import Executor, Future
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass

from bot.clock import Clock
from bot.images import parse_image
from bot.kube.models import (
    PodChanged,
    RolloutFailed,
    RolloutProgress,
    RolloutSucceeded,
    RolloutTimedOut,
    WatchStopped,
)
from bot.workflow import audit
from bot.workflow.approvals import ResolvedGroups
from bot.workflow.database import Database
from bot.workflow.decisions import lapse_if_short
from bot.workflow.errors import Conflict, WorkflowError
from bot.workflow.events import (
    EventSink,
    PodTrouble,
    RolloutFinished,
    RolloutProgressed,
    RolloutStarted,
)
from bot.workflow.model import Actor, Progress
from bot.workflow.ports import ClusterProvider, GroupDirectory, RolloutDriver
from bot.workflow.queries import last_succeeded
from bot.workflow.views import approvals_for
from storage.claims import LocalClaims, ReleaseClaims
from storage.errors import StaleState
from storage.models import Release, ReleaseCreate, ReleaseKind, ReleaseState
from storage.releases import create_release, get_release, transition_release

log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class Job:
    release_id: uuid.UUID
    patch: bool = True
    resumed: bool = False
    """Re-attaching after a restart to a release already ``rolling_out``: no begin, and the
    patch only when ``patch`` says it never landed. The caller holds the release's claim."""


class RolloutRunner:
    def __init__(
        self,
        *,
        db: Database,
        clusters: ClusterProvider,
        groups: GroupDirectory,
        events: EventSink,
        clock: Clock,
        executor: Executor,
        bot_actor: Actor,
        claims: ReleaseClaims | None = None,
    ) -> None:
        self._db = db
        self._claims: ReleaseClaims = claims or LocalClaims()
        self._clusters = clusters
        self._groups = groups
        self._events = events
        self._clock = clock
        self._executor = executor
        self._bot = bot_actor
        self._lock = threading.Lock()
        self._futures: set[Future[None]] = set()
        self._stopped: set[uuid.UUID] = set()
        self._owned: set[uuid.UUID] = set()
        """Releases this runner moved to (or re-attached to in) ``rolling_out``: only those
        may it fail when it crashes, never one another runner won."""

    # -- scheduling ----------------------------------------------------------------------

    def start(self, job: Job) -> None:
        future = self._executor.submit(self._guarded, job)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._forget)

    def stop(self, release_id: uuid.UUID) -> None:
        """Stop following a release (a rollback took it over); the watch ends at its next event."""
        with self._lock:
            self._stopped.add(release_id)

    def wait_idle(self, timeout: float) -> bool:
        """Wait (real time) until every rollout started so far, and any it started, is done."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                pending = set(self._futures)
            remaining = deadline - time.monotonic()
            if not pending:
                return True
            if remaining <= 0:
                return False
            wait_futures(pending, timeout=remaining)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)

    def _guarded(self, job: Job) -> None:
        try:
            self.run(job)
        except WatchStopped:
            # Shutting down: the release stays rolling_out and resume() follows it again.
            log.info("stopped following release %s: the bot is closing", job.release_id)
        except Exception as err:  # the runner must not die silently with a release in flight
            log.exception("rollout of release %s crashed", job.release_id)
            self._fail_if_running(job.release_id, f"releasebot error: {err}")

    # -- the rollout ---------------------------------------------------------------------

    def run(self, job: Job) -> None:
        """Follow the release while holding its claim, so no other replica adopts it; a
        resumed job's claim was taken by ``resume()`` before it read the cluster. Without the
        claim a job does nothing: whoever holds it starts or follows the release (and if that
        replica dies, the leader's adopt job starts it later)."""
        if not job.resumed and not self._claims.try_claim(job.release_id):
            log.info("release %s is claimed elsewhere; not starting it here", job.release_id)
            return
        try:
            self._run(job)
        finally:
            self._claims.free(job.release_id)

    def _run(self, job: Job) -> None:
        release = self._load(job.release_id) if job.resumed else self._begin(job)
        if release is None or release.state is not ReleaseState.ROLLING_OUT:
            return
        with self._lock:
            self._owned.add(release.id)
        driver = self._clusters.driver(release.environment)
        service = self._db.config.service(release.service)
        if job.patch:
            try:
                self._patch(driver, release)
            except Exception as err:
                self._finish(release.id, ReleaseState.FAILED, error=f"the patch failed: {err}")
                return
        self._follow(driver, release, service.deployment, service.container_name)

    def _load(self, release_id: uuid.UUID) -> Release | None:
        with self._db.session() as session:
            return get_release(session=session, release_id=release_id)

    def _begin(self, job: Job) -> Release | None:
        """Re-check approvals, read the revision before, and commit ``rolling_out``."""
        with self._db.session() as session:
            release = get_release(session=session, release_id=job.release_id)
        if release is None or release.state is not ReleaseState.APPROVED:
            return None
        rule = approvals_for(self._db.config, release)
        groups = ResolvedGroups(rule, self._groups) if rule is not None else self._groups
        with self._db.session() as session:
            release = get_release(session=session, release_id=job.release_id)
            if release is None or release.state is not ReleaseState.APPROVED:
                return None
            lapsed = lapse_if_short(
                session, db=self._db, clock=self._clock, release=release, groups=groups
            )
        if lapsed is not None:
            self._events.publish(lapsed)
            return None
        service = self._db.config.service(release.service)
        driver = self._clusters.driver(release.environment)
        try:
            before = driver.state(service.deployment, service.container_name).revision
        except Exception as err:
            self._transition(release.id, ReleaseState.APPROVED, ReleaseState.FAILED, str(err))
            return None
        try:
            with self._db.session() as session:
                release = transition_release(
                    session=session,
                    release_id=job.release_id,
                    expected=ReleaseState.APPROVED,
                    new=ReleaseState.ROLLING_OUT,
                    now=self._clock.now(),
                    revision_before=before,
                )
                audit.record(
                    session,
                    action="rollout_started",
                    release=release,
                    actor=None,
                    now=self._clock.now(),
                )
                view = self._db.view(session, release)
        except (Conflict, StaleState):
            log.info("release %s was started by another runner first", job.release_id)
            return None
        self._events.publish(RolloutStarted(view))
        return release

    def _patch(self, driver: RolloutDriver, release: Release) -> None:
        service = self._db.config.service(release.service)
        if release.kind is ReleaseKind.ROLLBACK:
            driver.undo(service.deployment, release.rollback_to_revision)
            return
        image = f"{parse_image(release.image).repository_name}@{release.digest}"
        driver.deploy(
            service.deployment,
            image=image,
            change_cause=(
                f"releasebot: {release.service} {release.version} by "
                f"{release.requester_user_id} (release {release.id})"
            ),
            release_id=str(release.id),
            container=service.container_name,
        )

    def _follow(
        self, driver: RolloutDriver, release: Release, deployment: str, container: str
    ) -> None:
        env = self._db.config.environment(release.environment)
        timeout = (
            env.progress_timeout.total_seconds()
            if env.progress_timeout is not None
            else DEFAULT_TIMEOUT_SECONDS
        )
        troubled: set[tuple[str, str]] = set()
        try:
            for event in driver.watch_rollout(deployment, timeout=timeout, container=container):
                with self._lock:
                    if release.id in self._stopped:
                        return
                if isinstance(event, RolloutProgress):
                    self._progress(release.id, event)
                elif isinstance(event, PodChanged) and event.waiting_reason in TROUBLE:
                    key = (event.name, event.waiting_reason)
                    if key not in troubled:
                        troubled.add(key)
                        self._trouble(release.id, event.name, event.waiting_reason)
                elif isinstance(event, RolloutSucceeded):
                    self._finish(release.id, ReleaseState.SUCCEEDED, revision=event.revision)
                    return
                elif isinstance(event, RolloutFailed | RolloutTimedOut):
                    self._finish(release.id, ReleaseState.FAILED, error=event.message)
                    return
        except WatchStopped:
            raise
        except Exception as err:
            self._finish(release.id, ReleaseState.FAILED, error=f"lost the rollout: {err}")

    def _progress(self, release_id: uuid.UUID, event: RolloutProgress) -> None:
        counts, strategy = event.counts, event.strategy
        self._db.set_progress(
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
        with self._db.session() as session:
            view = self._db.view(session, self._db.release(session, release_id))
        self._events.publish(RolloutProgressed(view))

    def _trouble(self, release_id: uuid.UUID, pod: str, reason: str) -> None:
        with self._db.session() as session:
            view = self._db.view(session, self._db.release(session, release_id))
        self._events.publish(PodTrouble(view, pod, reason))

    # -- endings -------------------------------------------------------------------------

    def _finish(
        self,
        release_id: uuid.UUID,
        state: ReleaseState,
        *,
        revision: int | None = None,
        error: str | None = None,
    ) -> None:
        try:
            with self._db.session() as session:
                release = transition_release(
                    session=session,
                    release_id=release_id,
                    expected=ReleaseState.ROLLING_OUT,
                    new=state,
                    now=self._clock.now(),
                    revision_after=revision,
                    error=error,
                )
                audit.record(
                    session,
                    action=f"rollout_{state.value}",
                    release=release,
                    actor=None,
                    now=self._clock.now(),
                    error=error,
                )
                view = self._db.view(session, release)
        except WorkflowError:
            return  # stopped or moved on by someone else; they own the ending
        self._events.publish(RolloutFinished(view))
        if release.kind is ReleaseKind.ROLLBACK and state is ReleaseState.SUCCEEDED:
            self._mark_rolled_back(release)
        env = self._db.config.environment(release.environment)
        if (
            state is ReleaseState.FAILED
            and release.kind is ReleaseKind.DEPLOY
            and env.on_failure == "rollback"
        ):
            self._auto_rollback(release)

    def _auto_rollback(self, failed: Release) -> None:
        """A failed deploy goes back to the revision before it, as its own rollback release."""
        version, image, digest = self._undo_target(failed)
        with self._db.session() as session:
            rollback = create_release(
                session=session,
                release_in=ReleaseCreate(
                    service=failed.service,
                    environment=failed.environment,
                    version=version,
                    image=image,
                    digest=digest,
                    kind=ReleaseKind.ROLLBACK,
                    requester_user_id=self._bot.user_id,
                    requester_team_id=self._bot.team_id,
                    reason=f"automatic rollback of release {failed.id}: {failed.error}",
                    slack_channel=failed.slack_channel,
                    slack_thread_ts=failed.slack_thread_ts,
                    state=ReleaseState.APPROVED,
                    rollback_of=failed.id,
                    rollback_to_revision=failed.revision_before,
                ),
                now=self._clock.now(),
            )
            audit.record(
                session,
                action="rollback_requested",
                release=rollback,
                actor=self._bot,
                now=self._clock.now(),
                rollback_of=str(failed.id),
            )
        self.run(Job(rollback.id))

    def _undo_target(self, failed: Release) -> tuple[str, str, str]:
        """What runs once the undo is done: the rollback row records that artifact, so
        ``running()`` and promotion never see the digest that just failed.

        The release that last succeeded here is it; without one (the first release failed),
        the Deployment's own history for ``revision_before`` says which image that was.
        """
        with self._db.session() as session:
            previous = last_succeeded(
                session, failed.service, failed.environment, besides=failed.id
            )
        if previous is not None:
            return previous.version, previous.image, previous.digest
        version = f"revision {failed.revision_before}"
        service = self._db.config.service(failed.service)
        try:
            entries = (
                self._clusters.driver(failed.environment)
                .history(service.deployment, service.container_name)
                .entries
            )
        except Exception:
            log.exception("cannot read the history of %s to name the undo", service.deployment)
            entries = ()
        for entry in entries:
            if entry.revision == failed.revision_before:
                return version, entry.image, parse_image(entry.image).digest or ""
        return version, "", ""

    def _mark_rolled_back(self, rollback: Release) -> None:
        original = rollback.rollback_of
        if original is None:
            return
        try:
            with self._db.session() as session:
                done = transition_release(
                    session=session,
                    release_id=original,
                    expected=ReleaseState.FAILED,
                    new=ReleaseState.ROLLED_BACK,
                    now=self._clock.now(),
                    revision_after=rollback.revision_after,
                )
                audit.record(
                    session,
                    action="rolled_back",
                    release=done,
                    actor=None,
                    now=self._clock.now(),
                    by_release=str(rollback.id),
                )
                view = self._db.view(session, done)
        except WorkflowError:
            return
        self._events.publish(RolloutFinished(view))

    def _transition(
        self, release_id: uuid.UUID, expected: ReleaseState, new: ReleaseState, error: str
    ) -> None:
        try:
            with self._db.session() as session:
                release = transition_release(
                    session=session,
                    release_id=release_id,
                    expected=expected,
                    new=new,
                    now=self._clock.now(),
                    error=error,
                )
                audit.record(
                    session,
                    action=f"rollout_{new.value}",
                    release=release,
                    actor=None,
                    now=self._clock.now(),
                    error=error,
                )
                view = self._db.view(session, release)
        except (WorkflowError, StaleState):
            return
        self._events.publish(RolloutFinished(view))

    def _fail_if_running(self, release_id: uuid.UUID, error: str) -> None:
        """Fail a release only if this runner took it to ``rolling_out``: a crash before that
        leaves an approved release for resume or its deadline, and one another runner won
        is that runner's to end."""
        with self._lock:
            mine = release_id in self._owned
        if mine:
            self._transition(release_id, ReleaseState.ROLLING_OUT, ReleaseState.FAILED, error)
