"""Every transition and every vote leaves an audit event, in the transaction that makes it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.workflow.model import Actor
from storage.audit import append_event
from storage.models import AuditEventCreate, Release, ReleaseState
from storage.releases import transition_release


def record(
    session: Session,
    *,
    action: str,
    release: Release,
    actor: Actor | None,
    now: datetime,
    approvers: list[str] | None = None,
    outcome: str | None = None,
    **details: Any,
) -> None:
    if release.break_glass:
        details["break_glass"] = True
    append_event(
        session=session,
        event_in=AuditEventCreate(
            actor_user_id=None if actor is None else actor.user_id,
            actor_team_id=None if actor is None else actor.team_id,
            action=action,
            release_id=release.id,
            service=release.service,
            environment=release.environment,
            image=release.image,
            digest=release.digest,
            revision_before=release.revision_before,
            revision_after=release.revision_after,
            approvers=approvers or [],
            break_glass_reason=release.break_glass_reason,
            outcome=outcome or release.state.value,
            details={k: v for k, v in details.items() if v is not None},
        ),
        now=now,
    )


def transition(
    session: Session,
    release_id: uuid.UUID,
    *,
    expected: ReleaseState,
    new: ReleaseState,
    action: str,
    actor: Actor | None,
    now: datetime,
    error: str | None = None,
    approvers: list[str] | None = None,
) -> Release:
    """Move a release from ``expected`` to ``new`` (compare-and-set) and write its audit event
    in the same transaction: no state change without its record."""
    release = transition_release(
        session=session, release_id=release_id, expected=expected, new=new, now=now, error=error
    )
    record(session, action=action, release=release, actor=actor, now=now, approvers=approvers)
    return release
