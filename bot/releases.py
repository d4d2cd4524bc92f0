"""ReleaseWorkflow: the one object the Slack layer, the build hook and the scheduler talk to.

Every method is one short transaction that commits the new state and its audit event
together, then publishes events with fresh snapshots; cluster work happens in the runner
(:mod:`bot.workflow.rollouts`) on the executor, never while a transaction is open.
"""

from __future__ import annotations

import concurrent.futures
import logging
import uuid
from datetime import timedelta

import sqlalchemy

from bot.clock import Clock
from bot.config import ReleasebotConfig
from bot.hooks.build import BuildAnnouncement
from bot.workflow.database import Database
from bot.workflow.decisions import Decisions
from bot.workflow.deploy_requests import DeployRequests
from bot.workflow.events import (
    EventSink,
)
from bot.workflow.external import ExternalWatch
from bot.workflow.model import Actor, BuildView, ReleaseView, Running
from bot.workflow.ports import ClusterProvider, GroupDirectory
from bot.workflow.queries import Queries
from bot.workflow.rollback_requests import RollbackRequests
from bot.workflow.rollouts import Job, RolloutRunner
from storage.claims import LocalClaims, ReleaseClaims
from storage.models import (
    ReleaseKind,
    ReleaseState,
    VoteDecision,
)
from storage.releases import (
    releases_in_states,
)

log = logging.getLogger(__name__)

STALLED_APPROVAL = timedelta(minutes=1)
"""How long an approved release may wait for its runner before the leader starts it."""
BEFORE_START = (ReleaseState.REQUESTED, ReleaseState.AWAITING_APPROVAL, ReleaseState.APPROVED)


class ReleaseWorkflow:
    def __init__(
        self,
        *,
        config: ReleasebotConfig,
        engine: sqlalchemy.Engine,
        clock: Clock,
        events: EventSink,
        groups: GroupDirectory,
        clusters: ClusterProvider,
        bot_actor: Actor,
        executor: concurrent.futures.Executor | None = None,
        claims: ReleaseClaims | None = None,
    ) -> None:
        self._config = config
        self._clock = clock
        self._events = events
        self._groups = groups
        self._clusters = clusters
        self._bot = bot_actor
        self._own_executor = executor is None
        self._executor = executor or concurrent.futures.ThreadPoolExecutor(
            max_workers=8, thread_name_prefix="rollout"
        )
        self._db = Database(engine, config)
        self._claims: ReleaseClaims = claims or LocalClaims()
        self._external = ExternalWatch(config=config, clusters=clusters, events=events)
        self._stopped_external: list[ExternalWatch] = []
        self._runner = RolloutRunner(
            db=self._db,
            clusters=clusters,
            groups=groups,
            events=events,
            clock=clock,
            executor=self._executor,
            bot_actor=bot_actor,
            claims=self._claims,
        )
        self._queries = Queries(self._db)
        self._deploys = DeployRequests(
            db=self._db, clock=clock, events=events, bot=bot_actor, start=self._start_rollout
        )
        self._rollbacks = RollbackRequests(
            db=self._db,
            clock=clock,
            events=events,
            clusters=clusters,
            start=self._start_rollout,
            stop=self._runner.stop,
        )
        self._decisions = Decisions(
            db=self._db, clock=clock, events=events, groups=groups, start=self._start_rollout
        )

    def _start_rollout(self, release_id: uuid.UUID) -> None:
        self._runner.start(Job(release_id))

    # -- builds --------------------------------------------------------------------------

    def announce_build(self, build: BuildAnnouncement) -> BuildView:
        """Record a CI build, announce it, and deploy it where the policy is ``auto``."""
        return self._deploys.announce_build(build)

    # -- requests ------------------------------------------------------------------------

    def request_deploy(
        self,
        *,
        actor: Actor,
        service: str,
        environment: str,
        target: str,
        reason: str | None = None,
        break_glass: bool = False,
    ) -> ReleaseView:
        """``break_glass``: an emergency deploy (see :mod:`bot.workflow.breakglass`), which
        needs ``reason`` and the environment's break-glass approvers, whatever its policy."""
        return self._deploys.request_deploy(
            actor=actor,
            service=service,
            environment=environment,
            target=target,
            reason=reason,
            break_glass=break_glass,
        )

    def confirm(self, *, actor: Actor, release_id: uuid.UUID) -> ReleaseView:
        return self._decisions.confirm(actor=actor, release_id=release_id)

    def vote(self, *, actor: Actor, release_id: uuid.UUID, decision: VoteDecision) -> ReleaseView:
        return self._decisions.vote(actor=actor, release_id=release_id, decision=decision)

    def withdraw_vote(self, *, actor: Actor, release_id: uuid.UUID) -> ReleaseView:
        return self._decisions.withdraw_vote(actor=actor, release_id=release_id)

    def cancel(self, *, actor: Actor, release_id: uuid.UUID) -> ReleaseView:
        return self._decisions.cancel(actor=actor, release_id=release_id)

    def request_rollback(
        self,
        *,
        actor: Actor,
        service: str,
        environment: str,
        to_version: str | None = None,
        to_revision: int | None = None,
    ) -> ReleaseView:
        return self._rollbacks.request_rollback(
            actor=actor,
            service=service,
            environment=environment,
            to_version=to_version,
            to_revision=to_revision,
        )

    # -- reads ---------------------------------------------------------------------------

    def release(self, release_id: uuid.UUID) -> ReleaseView:
        return self._queries.release(release_id)

    def release_for_message(self, channel: str, ts: str) -> ReleaseView | None:
        return self._queries.release_for_message(channel, ts)

    def remember_message(self, release_id: uuid.UUID, channel: str, ts: str) -> None:
        with self._db.session() as session:
            release = self._db.release(session, release_id)
            release.slack_channel = channel
            release.slack_thread_ts = ts
            session.add(release)

    def running(self, service: str | None = None, environment: str | None = None) -> list[Running]:
        return self._queries.running(service, environment)

    def pending(self) -> list[ReleaseView]:
        return self._queries.pending()

    def history(self, service: str, environment: str, limit: int = 10) -> list[ReleaseView]:
        return self._queries.history(service, environment, limit)

    # -- jobs and lifecycle --------------------------------------------------------------

    def expire_due(self) -> list[ReleaseView]:
        return self._decisions.expire_due()

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
                svc = self._config.service(release.service)
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
            self._runner.start(Job(release.id, patch=not patched, resumed=True))
        with self._db.session() as session:
            approved_left = releases_in_states(session=session, states=[ReleaseState.APPROVED])
        now = self._clock.now()
        for release in approved_left:
            if include_approved or now - release.updated_at >= STALLED_APPROVAL:
                self._runner.start(Job(release.id))

    def wait_idle(self, timeout: float) -> bool:
        return self._runner.wait_idle(timeout)

    def watch_for_external_changes(self) -> None:
        """Start telling each service's channel when its Deployment is changed by hand.

        Returns once every environment is subscribed (or logged as unreachable and retried
        in the background), so changes made after this call are not missed.
        """
        self._external.start()

    def stop_watching_external_changes(self) -> None:
        """Leadership lost: tell no more outside changes; a later call to
        :meth:`watch_for_external_changes` subscribes afresh. The old threads end at their
        next change or when the cluster connections close, publishing nothing more."""
        if self._external.started:
            self._external.stop(timeout=0)
            self._stopped_external.append(self._external)
            self._external = ExternalWatch(
                config=self._config, clusters=self._clusters, events=self._events
            )

    def close(self) -> None:
        """Stop the rollouts' executor (if the workflow made it) and the external-change
        watchers; those end only when the cluster connections close, so the provider is closed
        when they were started."""
        watches = [w for w in (*self._stopped_external, self._external) if w.started]
        if watches:
            for watch in watches:
                watch.stop(timeout=0)
            self._clusters.close()
            for watch in watches:
                watch.stop()
        if self._own_executor:
            self._executor.shutdown(wait=False, cancel_futures=True)
