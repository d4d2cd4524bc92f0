"""How a release comes to be: a deploy asked for by hand or by CI announcing a build, or a
rollback, which stops the rollout it interrupts.

A request is committed as a release with its audit event, in the state its approvals rule
gives it; ``ReleaseRequested`` is published after the commit, and only a release committed as
approved is handed to ``start`` (the runner). A rollback goes to a revision the Deployment
still has (:mod:`bot.workflow.rollbacks` says which); a rollout in flight for the same service
and environment is failed in the same transaction and the runner told to ``stop`` following
it, and with no explicit target the rollback goes back to the revision before it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session

from bot.clock import Clock
from bot.config import Approvals, Service
from bot.hooks.build import BuildAnnouncement
from bot.workflow import audit, breakglass
from bot.workflow.database import Database
from bot.workflow.errors import BadRequest, Conflict, WorkflowError
from bot.workflow.events import AutoDeployBlocked, BuildAnnounced, EventSink, ReleaseRequested
from bot.workflow.model import Actor, BuildOutcome, BuildStatus, BuildView, ReleaseView
from bot.workflow.ports import ClusterProvider
from bot.workflow.requests import check_promotion, lookup, resolve_target
from bot.workflow.rollbacks import plan_rollback
from storage.builds import last_deployed_build, record_build
from storage.dedupe import record_request
from storage.errors import BuildConflict
from storage.models import BuildCreate, Release, ReleaseCreate, ReleaseKind, ReleaseState
from storage.releases import active_release, create_release

log = logging.getLogger(__name__)


class Artifact(Protocol):
    """What a release deploys: a resolved target or a rollback's revision."""

    @property
    def version(self) -> str: ...
    @property
    def image(self) -> str: ...
    @property
    def digest(self) -> str: ...


@dataclass(frozen=True, kw_only=True)
class ReleaseRequests:
    db: Database
    clock: Clock
    events: EventSink
    clusters: ClusterProvider
    bot: Actor
    """Who asks for the continuous deploys of announced builds."""
    start: Callable[[uuid.UUID], None]
    stop: Callable[[uuid.UUID], None]
    """Tells the runner to stop following the rollout a rollback interrupts."""

    def announce_build(
        self, build: BuildAnnouncement, *, delivery: str | None = None
    ) -> BuildOutcome:
        """Record a CI build, announce it, and deploy it where the policy is ``auto``.

        ``delivery`` is the hook request's own UNIQUE key (its signature): recorded in the
        same transaction as the build, so the same signed bytes sent again do nothing. A build
        announced before (same service, version and digest) is not announced again either."""
        try:
            service = self.db.config.service(build.service)
        except LookupError as err:
            raise BadRequest(str(err)) from None
        if not build.image_ref.belongs_to(service.image):
            raise BadRequest(
                f"the image {build.image} is not in {service.name}'s repository "
                f"{service.image}; announce {service.image}[:tag]@sha256:<digest>."
            )
        now = self.clock.now()
        try:
            with self.db.session() as session:
                if delivery is not None and not record_request(
                    session=session, key=delivery, now=now
                ):
                    return BuildOutcome(view=None, status=BuildStatus.REPLAYED)
                recorded = record_build(
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
                    now=now,
                )
                first_received = recorded.build.received_at
                order = (first_received, recorded.build.id or 0)
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
        if not recorded.new:
            log.info("%s %s was announced before; nothing to do", build.service, build.version)
            return BuildOutcome(view=view, status=BuildStatus.KNOWN, first_received=first_received)
        auto = tuple(
            name
            for name in service.environments_allowed
            if self.db.config.environment(name).policy == "auto"
        )
        self.events.publish(BuildAnnounced(view, auto))
        for environment in auto:
            try:
                self._deploy_announced(view, environment, order)
            except WorkflowError as err:
                if self._deploying_already(build, environment):
                    # The same build reached this bot twice (CI retried while the first was
                    # still handled): its own release holds the environment, all is well.
                    log.info(
                        "%s %s is being deployed to %s already",
                        build.service,
                        build.version,
                        environment,
                    )
                    continue
                log.info(
                    "%s %s not deployed to %s: %s",
                    build.service,
                    build.version,
                    environment,
                    err.message,
                )
                self.events.publish(AutoDeployBlocked(view, environment, err.message, err.mentions))
        return BuildOutcome(view=view, status=BuildStatus.NEW, first_received=first_received)

    def _deploy_announced(
        self, build: BuildView, environment: str, order: tuple[datetime, int]
    ) -> None:
        """Continuous deployment only ever moves forward: a build first received before the
        one the environment last got (a slow hook overtaken by a newer one) is skipped."""
        with self.db.session() as session:
            newest = last_deployed_build(
                session=session, service=build.service, environment=environment
            )
        if newest is not None and (newest.received_at, newest.id or 0) > order:
            raise Conflict(
                f"{environment} already received {newest.version}, a newer build "
                f"(announced {newest.received_at:%Y-%m-%d %H:%M:%S} UTC); continuous "
                "deployment never goes back to an older one."
            )
        self.request_deploy(
            actor=self.bot,
            service=build.service,
            environment=environment,
            target=build.version,
            reason=f"continuous deployment of {build.version}",
        )

    def _deploying_already(self, build: BuildAnnouncement, environment: str) -> bool:
        """Whether the release holding ``environment`` deploys this very build; a refusal
        must never name the release of the build it refuses."""
        try:
            with self.db.session() as session:
                holder = active_release(
                    session=session, service=build.service, environment=environment
                )
        except WorkflowError:
            return False
        return holder is not None and holder.digest == build.digest

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
        svc, env = lookup(self.db.config, service, environment)
        emergency = (
            breakglass.rule_for(env, service=service, target=target, reason=reason)
            if break_glass
            else None
        )
        now = self.clock.now()
        with self.db.session() as session:
            chosen = resolve_target(session, svc, target)
            promotion_skipped: str | None = None
            if emergency is None:
                check_promotion(session, self.db.config, service, environment, chosen.digest)
            else:
                promotion_skipped = breakglass.promotion_skipped(
                    session, self.db.config, service, environment, chosen.digest
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
            release, view = self._record(
                session,
                actor=actor,
                svc=svc,
                environment=environment,
                artifact=chosen,
                kind=ReleaseKind.DEPLOY,
                rule=rule,
                now=now,
                state=state,
                reason=reason,
                break_glass=emergency is not None,
                break_glass_reason=reason if emergency is not None else None,
                details={"reason": reason, "promote_from_skipped": promotion_skipped},
            )
        self.events.publish(ReleaseRequested(view))
        if state is ReleaseState.APPROVED:
            self.start(release.id)
        return view

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
                    # stored and shown as plain text; who asked is the rollback's requester
                    error="stopped by a rollback requested while it rolled out",
                )
                if to_version is None and to_revision is None and holder.revision_before:
                    plan = plan.to(holder.revision_before)
            release, view = self._record(
                session,
                actor=actor,
                svc=svc,
                environment=environment,
                artifact=plan,
                kind=ReleaseKind.ROLLBACK,
                rule=rule,
                now=now,
                state=ReleaseState.AWAITING_APPROVAL if rule else ReleaseState.APPROVED,
                reason=f"rollback to revision {plan.revision}",
                rollback_of=stopped,
                rollback_to_revision=plan.revision,
                details={
                    "to_revision": plan.revision,
                    "rollback_of": None if stopped is None else str(stopped),
                },
            )
        if stopped is not None:
            self.stop(stopped)
        self.events.publish(ReleaseRequested(view))
        if rule is None:
            self.start(release.id)
        return view

    def _record(
        self,
        session: Session,
        *,
        actor: Actor,
        svc: Service,
        environment: str,
        artifact: Artifact,
        kind: ReleaseKind,
        rule: Approvals | None,
        now: datetime,
        state: ReleaseState,
        reason: str | None,
        break_glass: bool = False,
        break_glass_reason: str | None = None,
        rollback_of: uuid.UUID | None = None,
        rollback_to_revision: int | None = None,
        details: dict[str, Any],
    ) -> tuple[Release, ReleaseView]:
        """Every request records who asked, where it is told, and how many approvals it
        needs by when, the same way; the audit action is ``<kind>_requested``."""
        release = create_release(
            session=session,
            release_in=ReleaseCreate(
                service=svc.name,
                environment=environment,
                version=artifact.version,
                image=artifact.image,
                digest=artifact.digest,
                kind=kind,
                requester_user_id=actor.user_id,
                requester_team_id=actor.team_id,
                reason=reason,
                break_glass=break_glass,
                break_glass_reason=break_glass_reason,
                required_approvals=rule.required if rule is not None else 0,
                slack_channel=svc.channel,
                expires_at=now + rule.expire_after if rule is not None else None,
                state=state,
                rollback_of=rollback_of,
                rollback_to_revision=rollback_to_revision,
            ),
            now=now,
        )
        audit.record(
            session,
            action=f"{kind.value}_requested",
            release=release,
            actor=actor,
            now=now,
            **details,
        )
        return release, self.db.view(session, release)
