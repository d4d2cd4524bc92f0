"""Asking for a rollback, which stops the rollout it interrupts.

A rollback is a release of its own (kind ``rollback``) going to a revision the Deployment
still has (:mod:`bot.workflow.rollbacks` says which). If a rollout is in flight for the same
service and environment it is failed in the same transaction and its runner told to stop
following it; with no explicit target, the rollback goes back to the revision before it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from bot.clock import Clock
from bot.workflow import audit
from bot.workflow.database import Database
from bot.workflow.errors import BadRequest
from bot.workflow.events import EventSink, ReleaseRequested
from bot.workflow.model import Actor, ReleaseView
from bot.workflow.ports import ClusterProvider
from bot.workflow.requests import lookup
from bot.workflow.rollbacks import plan_rollback
from storage.models import ReleaseCreate, ReleaseKind, ReleaseState
from storage.releases import active_release, create_release


@dataclass(frozen=True, kw_only=True)
class RollbackRequests:
    db: Database
    clock: Clock
    events: EventSink
    clusters: ClusterProvider
    start: Callable[[uuid.UUID], None]
    stop: Callable[[uuid.UUID], None]
    """Tells the runner to stop following the rollout this rollback interrupts."""

    def request_rollback(
        self,
        *,
        actor: Actor,
        service: str,
        environment: str,
        to_version: str | None = None,
        to_revision: int | None = None,
    ) -> ReleaseView:
        svc, env = lookup(self.db.config, service, environment)
        if to_version is not None and to_revision is not None:
            raise BadRequest("say either `to <version>` or `revision <n>`, not both")
        driver = self.clusters.driver(environment)
        with self.db.session() as session:
            plan = plan_rollback(session, svc, environment, driver, to_version, to_revision)
        now = self.clock.now()
        rule = env.rollback_approvals
        stopped: uuid.UUID | None = None
        with self.db.session() as session:
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
            view = self.db.view(session, release)
        if stopped is not None:
            self.stop(stopped)
        self.events.publish(ReleaseRequested(view))
        if rule is None:
            self.start(release.id)
        return view
