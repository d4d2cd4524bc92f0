"""The runner: takes an approved release to the cluster and follows it to its end.

State is committed before each side effect (``approved → rolling_out`` before the patch), the
Deployment carries the release id so a repeated patch is a no-op, and every finish is a
compare-and-set: a release stopped by a rollback meanwhile is left alone.

The runner owns the claim, the start and the re-attachment; following the watch is
:mod:`bot.workflow.following`, committing an ending :mod:`bot.workflow.endings`, and the undo
of a failed deploy :mod:`bot.workflow.auto_rollback`.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import Executor, Future
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.images import parse_image
from bot.kube.models import WatchStopped
from bot.workflow import audit, auto_rollback
from bot.workflow.approvals import ResolvedGroups
from bot.workflow.database import Database
from bot.workflow.decisions import lapse_if_short
from bot.workflow.endings import Endings
from bot.workflow.errors import Conflict
from bot.workflow.events import EventSink, RolloutStarted
from bot.workflow.following import RolloutFollower
from bot.workflow.model import Actor
from bot.workflow.ports import ClusterProvider, GroupDirectory, RolloutDriver
from bot.workflow.views import approvals_for
from storage.claims import LocalClaims, ReleaseClaims
from storage.errors import StaleState
from storage.models import Release, ReleaseKind, ReleaseState
from storage.releases import get_release, releases_in_states, transition_release

log = logging.getLogger(__name__)


STALLED_APPROVAL = timedelta(minutes=1)
"""How long an approved release may wait for its runner before the leader starts it."""


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
        self._endings = Endings(db=db, clock=clock, events=events, then=self._after_ending)
        self._follower = RolloutFollower(
            db=db, events=events, endings=self._endings, stopped=self._is_stopped
        )

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

    def _is_stopped(self, release_id: uuid.UUID) -> bool:
        with self._lock:
            return release_id in self._stopped

    def resume(self, *, include_approved: bool = True) -> None:
        """Re-attach to releases left rolling out; patch only those whose patch never landed.

        A deploy's patch landed when the Deployment carries its release id. An undo carries
        no id, but it always makes a new revision, so a rollback's undo landed when the
        Deployment's revision is past the one read just before it (``revision_before``).
        A release whose claim is held (this process or a live replica follows it) is left
        alone, so the leader may call this again and again to adopt a dead replica's rollouts.

        Approved releases not yet started are started too; with ``include_approved=False``
        (the leader's periodic adoption) only those approved longer than
        ``STALLED_APPROVAL`` ago, whose replica died between the approval and the start
        (a live one starts its rollout at once). Starting twice is harmless: only one runner
        can move a release from approved to rolling out.
        """
        with self._db.session() as session:
            stuck = releases_in_states(session=session, states=[ReleaseState.ROLLING_OUT])
        for release in stuck:
            if not self._claims.try_claim(release.id):
                continue
            try:
                svc = self._db.config.service(release.service)
                state = self._clusters.driver(release.environment).state(
                    svc.deployment, svc.container_name
                )
            except Exception:
                log.exception(
                    "cannot read %s in %s to resume release %s; left for the next resume",
                    release.service,
                    release.environment,
                    release.id,
                )
                self._claims.free(release.id)
                continue
            if release.kind is ReleaseKind.DEPLOY:
                patched = state.release_id == str(release.id)
            else:
                patched = (
                    release.revision_before is not None
                    and state.revision is not None
                    and state.revision > release.revision_before
                )
            self.start(Job(release.id, patch=not patched, resumed=True))
        with self._db.session() as session:
            approved_left = releases_in_states(session=session, states=[ReleaseState.APPROVED])
        now = self._clock.now()
        for release in approved_left:
            if include_approved or now - release.updated_at >= STALLED_APPROVAL:
                self.start(Job(release.id))

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
        release = self._db.again_if_lost(
            (lambda: self._load(job.release_id)) if job.resumed else (lambda: self._begin(job)),
            f"starting release {job.release_id}",
        )
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
                self._endings.finish(
                    release.id, ReleaseState.FAILED, error=f"the patch failed: {err}"
                )
                return
        self._follower.follow(driver, release, service.deployment, service.container_name)

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
            self._endings.end(
                release.id, expected=ReleaseState.APPROVED, new=ReleaseState.FAILED, error=str(err)
            )
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

    # -- endings -------------------------------------------------------------------------

    def _after_ending(self, ended: Release) -> None:
        if auto_rollback.wanted(self._db.config, ended):
            rollback_id = auto_rollback.open_rollback(
                db=self._db, clusters=self._clusters, clock=self._clock, bot=self._bot, failed=ended
            )
            self.run(Job(rollback_id))

    def _fail_if_running(self, release_id: uuid.UUID, error: str) -> None:
        """Fail a release only if this runner took it to ``rolling_out``: a crash before that
        leaves an approved release for resume or its deadline, and one another runner won
        is that runner's to end."""
        with self._lock:
            mine = release_id in self._owned
        if mine:
            self._endings.end(
                release_id, expected=ReleaseState.ROLLING_OUT, new=ReleaseState.FAILED, error=error
            )
