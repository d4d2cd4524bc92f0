"""Asking for a deploy: by hand, or by CI announcing a build where the policy is ``auto``.

The request is committed as a release (with its audit event) in the state the environment's
policy gives it; only one committed as approved is handed to ``start`` (the runner), after
``ReleaseRequested`` is published.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from bot.clock import Clock
from bot.hooks.build import BuildAnnouncement
from bot.workflow import audit, breakglass
from bot.workflow.database import Database
from bot.workflow.errors import BadRequest, Conflict, WorkflowError
from bot.workflow.events import AutoDeployBlocked, BuildAnnounced, EventSink, ReleaseRequested
from bot.workflow.model import Actor, BuildView, ReleaseView
from bot.workflow.requests import check_promotion, lookup, resolve_target
from storage.builds import record_build
from storage.errors import BuildConflict
from storage.models import BuildCreate, ReleaseCreate, ReleaseKind, ReleaseState
from storage.releases import create_release

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class DeployRequests:
    db: Database
    clock: Clock
    events: EventSink
    bot: Actor
    """Who asks for the continuous deploys of announced builds."""
    start: Callable[[uuid.UUID], None]

    def announce_build(self, build: BuildAnnouncement) -> BuildView:
        """Record a CI build, announce it, and deploy it where the policy is ``auto``."""
        try:
            service = self.db.config.service(build.service)
        except LookupError as err:
            raise BadRequest(str(err)) from None
        try:
            with self.db.session() as session:
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
                    now=self.clock.now(),
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
            if self.db.config.environment(name).policy == "auto"
        )
        self.events.publish(BuildAnnounced(view, auto))
        for environment in auto:
            try:
                self.request_deploy(
                    actor=self.bot,
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
                self.events.publish(AutoDeployBlocked(view, environment, err.message))
        return view

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
            view = self.db.view(session, release)
        self.events.publish(ReleaseRequested(view))
        if state is ReleaseState.APPROVED:
            self.start(release.id)
        return view
