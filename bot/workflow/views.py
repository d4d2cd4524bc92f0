"""Rows to snapshots: what a presenter gets is rebuilt from the database after each commit."""

from __future__ import annotations

import uuid

from bot.config import Approvals, ReleasebotConfig
from bot.workflow.model import Actor, Progress, ReleaseView, VoteView
from storage.models import Release, ReleaseKind, Vote


def approvals_for(config: ReleasebotConfig, release: Release) -> Approvals | None:
    """The approver rule a release answers to: deploys the environment's, rollbacks and
    break-glass deploys their own (the normal approvers never count for those)."""
    env = config.environments.get(release.environment)
    if env is None:
        return None
    if release.break_glass:
        return env.break_glass
    if release.kind is ReleaseKind.ROLLBACK:
        return env.rollback_approvals
    return env.approvals if env.policy == "approval" else None


def policy_of(config: ReleasebotConfig, release: Release) -> str:
    if release.kind is ReleaseKind.ROLLBACK:
        return "approval" if release.required_approvals else "auto"
    if release.break_glass:
        return "approval"
    env = config.environments.get(release.environment)
    return env.policy if env is not None else "approval"


def to_view(
    config: ReleasebotConfig,
    release: Release,
    votes: list[Vote],
    progress: Progress | None = None,
    *,
    in_thread_of: uuid.UUID | None = None,
) -> ReleaseView:
    rule = approvals_for(config, release)
    service = config.services.get(release.service)
    env = config.environments.get(release.environment)
    channel = release.slack_channel or (service.channel if service is not None else "")
    return ReleaseView(
        id=release.id,
        service=release.service,
        environment=release.environment,
        version=release.version,
        image=release.image,
        digest=release.digest,
        kind=release.kind,
        state=release.state,
        policy=policy_of(config, release),
        requester=Actor(release.requester_user_id, release.requester_team_id),
        reason=release.reason,
        break_glass=release.break_glass,
        channel=channel,
        thread_ts=release.slack_thread_ts,
        required_approvals=release.required_approvals,
        approvers=tuple(rule.approvers) if rule is not None else (),
        votes=tuple(VoteView(v.user_id, v.decision, v.cast_at) for v in votes),
        revision_before=release.revision_before,
        revision_after=release.revision_after,
        rollback_of=release.rollback_of,
        created_at=release.created_at,
        started_at=release.started_at,
        finished_at=release.finished_at,
        expires_at=release.expires_at,
        error=release.error,
        progress=progress,
        rolls_back_on_failure=(
            release.kind is ReleaseKind.DEPLOY and env is not None and env.on_failure == "rollback"
        ),
        in_thread_of=in_thread_of,
    )
