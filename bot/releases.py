"""ReleaseWorkflow: the one object the Slack layer, the build hook and the scheduler talk to.

It builds the workflow's parts once and hands each call to the part whose job it is:
requests for deploys and rollbacks (:mod:`bot.workflow.release_requests`),
decisions on a waiting release (:mod:`bot.workflow.decisions`), reads
(:mod:`bot.workflow.queries`) and the runner (:mod:`bot.workflow.rollouts`). Every change is
one short transaction that commits the new state and its audit event together, then publishes
events with fresh snapshots; cluster work happens in the runner on the executor, never while
a transaction is open.
"""

from __future__ import annotations

import concurrent.futures
import uuid

import sqlalchemy

from bot.clock import Clock
from bot.config import ReleasebotConfig
from bot.hooks.build import BuildAnnouncement
from bot.workflow.database import Database
from bot.workflow.decisions import Decisions
from bot.workflow.events import AuditHeadReached, EventSink
from bot.workflow.external import ExternalWatch
from bot.workflow.model import Actor, BuildOutcome, ReleaseView, Running
from bot.workflow.ports import ClusterProvider, GroupDirectory
from bot.workflow.queries import Queries
from bot.workflow.release_requests import ReleaseRequests
from bot.workflow.rollouts import STALLED_APPROVAL, Job, RolloutRunner
from storage.audit import ChainHead, chain_head
from storage.claims import ReleaseClaims
from storage.models import VoteDecision

__all__ = ["STALLED_APPROVAL", "ReleaseWorkflow"]


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
        self._events = events
        self._clusters = clusters
        self._own_executor = executor is None
        self._executor = executor or concurrent.futures.ThreadPoolExecutor(
            max_workers=8, thread_name_prefix="rollout"
        )
        self._db = Database(engine, config)
        self._posted_head: ChainHead | None = None
        self._external = ExternalWatch(config=config, clusters=clusters, events=events, db=self._db)
        self._stopped_external: list[ExternalWatch] = []
        self._runner = RolloutRunner(
            db=self._db,
            clusters=clusters,
            groups=groups,
            events=events,
            clock=clock,
            executor=self._executor,
            bot_actor=bot_actor,
            claims=claims,
        )
        self._queries = Queries(self._db)
        self._requests = ReleaseRequests(
            db=self._db,
            clock=clock,
            events=events,
            clusters=clusters,
            bot=bot_actor,
            start=self._start_rollout,
            stop=self._runner.stop,
        )
        self._decisions = Decisions(
            db=self._db, clock=clock, events=events, groups=groups, start=self._start_rollout
        )

    def _start_rollout(self, release_id: uuid.UUID) -> None:
        self._runner.start(Job(release_id))

    # -- builds --------------------------------------------------------------------------

    def announce_build(
        self, build: BuildAnnouncement, *, delivery: str | None = None
    ) -> BuildOutcome:
        """Record a CI build, announce it, and deploy it where the policy is ``auto``."""
        return self._requests.announce_build(build, delivery=delivery)

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
        return self._requests.request_deploy(
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
        return self._requests.request_rollback(
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

    @property
    def audit_head_interval(self) -> float | None:
        """Seconds between the leader's looks at the audit head; None: not configured."""
        audit = self._config.audit
        return None if audit is None else audit.post_head_every.total_seconds()

    def post_audit_head(self) -> bool:
        """The leader's job: publish the chain head to the configured audit channel when it
        moved since this process last published it; True when it did."""
        audit = self._config.audit
        if audit is None:
            return False
        with self._db.session() as session:
            head = chain_head(session=session)
        if head is None or head == self._posted_head:
            return False
        self._events.publish(AuditHeadReached(audit.channel, head.seq, head.hash))
        self._posted_head = head
        return True

    def resume(self, *, include_approved: bool = True) -> None:
        """Re-attach to releases left rolling out and start approved ones left waiting (see
        :meth:`RolloutRunner.resume`)."""
        self._runner.resume(include_approved=include_approved)

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
                config=self._config, clusters=self._clusters, events=self._events, db=self._db
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
