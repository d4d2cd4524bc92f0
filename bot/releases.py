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
from bot.workflow import audit, breakglass
from bot.workflow.database import Database
from bot.workflow.decisions import Decisions
from bot.workflow.errors import BadRequest, Conflict, WorkflowError
from bot.workflow.events import (
    AutoDeployBlocked,
    BuildAnnounced,
    EventSink,
    ReleaseRequested,
)
from bot.workflow.external import ExternalWatch
from bot.workflow.model import Actor, BuildView, ReleaseView, Running
from bot.workflow.ports import ClusterProvider, GroupDirectory
from bot.workflow.queries import Queries
from bot.workflow.requests import check_promotion, lookup, resolve_target
from bot.workflow.rollbacks import plan_rollback
from bot.workflow.rollouts import Job, RolloutRunner
from storage.builds import record_build
from storage.claims import LocalClaims, ReleaseClaims
from storage.errors import BuildConflict
from storage.models import (
    BuildCreate,
    ReleaseCreate,
    ReleaseKind,
    ReleaseState,
    VoteDecision,
)
from storage.releases import (
    active_release,
    create_release,
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
        self._decisions = Decisions(
            db=self._db, clock=clock, events=events, groups=groups, start=self._start_rollout
        )

    def _start_rollout(self, release_id: uuid.UUID) -> None:
        self._runner.start(Job(release_id))

    # -- builds --------------------------------------------------------------------------

    def announce_build(self, build: BuildAnnouncement) -> BuildView:
        """Record a CI build, announce it, and deploy it where the policy is ``auto``."""
        try:
            service = self._config.service(build.service)
        except LookupError as err:
            raise BadRequest(str(err)) from None
        try:
            with self._db.session() as session:
                record_build(
                    session=session,
                    build_in=BuildCreate(
                        service=build.service,
                        version=build.version,
                        image=build.image,
                        digest=build.digest,
                        commit=build.commit,
                        branch=build.branch,
                        pipeline_url=build.pipeline_url,
                        changelog="\n".join(build.changelog) or None,
                    ),
                    now=self._clock.now(),
                )
        except BuildConflict as err:
            raise Conflict(str(err)) from None
        view = BuildView(
            service=build.service,
            version=build.version,
            image=build.image,
            digest=build.digest,
            commit=build.commit,
            branch=build.branch,
            pipeline_url=build.pipeline_url,
            changelog=tuple(build.changelog),
            channel=service.channel,
            environments=service.environments_allowed,
        )
        auto = tuple(
            name
            for name in service.environments_allowed
            if self._config.environment(name).policy == "auto"
        )
        self._events.publish(BuildAnnounced(view, auto))
        for environment in auto:
            try:
                self.request_deploy(
                    actor=self._bot,
                    service=build.service,
                    environment=environment,
                    target=build.version,
                    reason=f"continuous deployment of {build.version}",
                )
            except WorkflowError as err:
                log.info(
                    "%s %s not deployed to %s: %s",
                    build.service,
                    build.version,
                    environment,
                    err.message,
                )
                self._events.publish(AutoDeployBlocked(view, environment, err.message))
        return view

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
        svc, env = lookup(self._config, service, environment)
        emergency = (
            breakglass.rule_for(env, service=service, target=target, reason=reason)
            if break_glass
            else None
        )
        now = self._clock.now()
        with self._db.session() as session:
            chosen = resolve_target(session, svc, target)
            promotion_skipped: str | None = None
            if emergency is None:
                check_promotion(session, self._config, service, environment, chosen.digest)
            else:
                promotion_skipped = breakglass.promotion_skipped(
                    session, self._config, service, environment, chosen.digest
                )
            rule = emergency or (env.approvals if env.policy == "approval" else None)
            state = (
                ReleaseState.AWAITING_APPROVAL
                if emergency is not None
                else {
                    "auto": ReleaseState.APPROVED,
                    "manual": ReleaseState.REQUESTED,
                    "approval": ReleaseState.AWAITING_APPROVAL,
                }[env.policy]
            )
            release = create_release(
                session=session,
                release_in=ReleaseCreate(
                    service=service,
                    environment=environment,
                    version=chosen.version,
                    image=chosen.image,
                    digest=chosen.digest,
                    kind=ReleaseKind.DEPLOY,
                    requester_user_id=actor.user_id,
                    requester_team_id=actor.team_id,
                    reason=reason,
                    break_glass=emergency is not None,
                    break_glass_reason=reason if emergency is not None else None,
                    required_approvals=rule.required if rule is not None else 0,
                    slack_channel=svc.channel,
                    expires_at=now + rule.expire_after if rule is not None else None,
                    state=state,
                ),
                now=now,
            )
            audit.record(
                session,
                action="deploy_requested",
                release=release,
                actor=actor,
                now=now,
                reason=reason,
                promote_from_skipped=promotion_skipped,
            )
            view = self._db.view(session, release)
        self._events.publish(ReleaseRequested(view))
        if state is ReleaseState.APPROVED:
            self._runner.start(Job(release.id))
        return view

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
        svc, env = lookup(self._config, service, environment)
        if to_version is not None and to_revision is not None:
            raise BadRequest("say either `to <version>` or `revision <n>`, not both")
        driver = self._clusters.driver(environment)
        with self._db.session() as session:
            plan = plan_rollback(session, svc, environment, driver, to_version, to_revision)
        now = self._clock.now()
        rule = env.rollback_approvals
        stopped: uuid.UUID | None = None
        with self._db.session() as session:
            holder = active_release(session=session, service=service, environment=environment)
            if holder is not None and holder.state is ReleaseState.ROLLING_OUT:
                stopped = holder.id
                audit.transition(
                    session,
                    holder.id,
                    expected=ReleaseState.ROLLING_OUT,
                    new=ReleaseState.FAILED,
                    action="rollout_stopped",
                    actor=actor,
                    now=now,
                    error=f"stopped: <@{actor.user_id}> asked for a rollback",
                )
                if to_version is None and to_revision is None and holder.revision_before:
                    plan = plan.to(holder.revision_before)
            release = create_release(
                session=session,
                release_in=ReleaseCreate(
                    service=service,
                    environment=environment,
                    version=plan.version,
                    image=plan.image,
                    digest=plan.digest,
                    kind=ReleaseKind.ROLLBACK,
                    requester_user_id=actor.user_id,
                    requester_team_id=actor.team_id,
                    reason=f"rollback to revision {plan.revision}",
                    required_approvals=rule.required if rule is not None else 0,
                    slack_channel=svc.channel,
                    expires_at=now + rule.expire_after if rule is not None else None,
                    state=ReleaseState.AWAITING_APPROVAL if rule else ReleaseState.APPROVED,
                    rollback_of=stopped,
                    rollback_to_revision=plan.revision,
                ),
                now=now,
            )
            audit.record(
                session,
                action="rollback_requested",
                release=release,
                actor=actor,
                now=now,
                to_revision=plan.revision,
                rollback_of=None if stopped is None else str(stopped),
            )
            view = self._db.view(session, release)
        if stopped is not None:
            self._runner.stop(stopped)
        self._events.publish(ReleaseRequested(view))
        if rule is None:
            self._runner.start(Job(release.id))
        return view

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
