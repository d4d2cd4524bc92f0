"""Release rows: creation under the one-active-release rule, and compare-and-set transitions.

Functions take the caller's ``Session`` and never commit: the workflow commits a transition
together with its audit event, before the side effect, in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import cast

from sqlalchemy import CursorResult, update
from sqlmodel import Session, col, select

from storage.errors import ReleaseLocked, StaleState
from storage.models import (
    ACTIVE_STATES,
    TERMINAL_STATES,
    Release,
    ReleaseCreate,
    ReleaseState,
)
from storage.savepoints import attempt

_LOCK_RETRIES = 3


def create_release(*, session: Session, release_in: ReleaseCreate, now: datetime) -> Release:
    """Insert a release; ``ReleaseLocked`` names the holder if the slot is taken.

    The database decides (a partial unique index), so two replicas racing get exactly one
    winner. If the holder finishes between our failed insert and our look-up, try again.
    """
    for attempt_number in range(1, _LOCK_RETRIES + 1):
        release = Release.model_validate(release_in, update={"created_at": now, "updated_at": now})
        outcome = attempt(session, partial(_insert, session, release))
        if isinstance(outcome, Release):
            session.refresh(outcome)
            return outcome
        holder = active_release(
            session=session, service=release_in.service, environment=release_in.environment
        )
        if holder is not None:
            raise _locked(holder) from outcome
        if release_in.state not in ACTIVE_STATES or attempt_number == _LOCK_RETRIES:
            raise outcome
    raise AssertionError("unreachable")


def _insert(session: Session, release: Release) -> Release:
    session.add(release)
    return release


def _locked(holder: Release) -> ReleaseLocked:
    return ReleaseLocked(
        service=holder.service,
        environment=holder.environment,
        holder_id=holder.id,
        holder_requester=holder.requester_user_id,
        holder_state=holder.state,
    )


def get_release(*, session: Session, release_id: uuid.UUID) -> Release | None:
    return session.get(Release, release_id, populate_existing=True)


def active_release(*, session: Session, service: str, environment: str) -> Release | None:
    statement = select(Release).where(
        Release.service == service,
        Release.environment == environment,
        col(Release.state).in_(ACTIVE_STATES),
    )
    return session.exec(statement.execution_options(populate_existing=True)).first()


def releases_in_states(*, session: Session, states: Sequence[ReleaseState]) -> list[Release]:
    """What a new leader resumes (``rolling_out``/``baking``) or expires (``awaiting_approval``)."""
    statement = (
        select(Release)
        .where(col(Release.state).in_(states))
        .order_by(col(Release.created_at))
        .execution_options(populate_existing=True)
    )
    return list(session.exec(statement).all())


def recent_releases(
    *, session: Session, service: str, environment: str, limit: int = 20
) -> list[Release]:
    statement = (
        select(Release)
        .where(Release.service == service, Release.environment == environment)
        .order_by(col(Release.created_at).desc())
        .limit(limit)
    )
    return list(session.exec(statement).all())


def transition_release(
    *,
    session: Session,
    release_id: uuid.UUID,
    expected: ReleaseState,
    new: ReleaseState,
    now: datetime,
    revision_before: int | None = None,
    revision_after: int | None = None,
    error: str | None = None,
    slack_channel: str | None = None,
    slack_thread_ts: str | None = None,
) -> Release:
    """Move a release from ``expected`` to ``new`` or raise ``StaleState``.

    A single ``UPDATE … WHERE id = … AND state = expected`` is the compare-and-set: of two
    replicas acting on the same release, the second updates no row and learns it lost. Which
    transitions are legal is the workflow's business, not this function's. Entering
    ``rolling_out`` stamps ``started_at``; entering a terminal state stamps ``finished_at``.
    """
    values: dict[str, object] = {"state": new, "updated_at": now}
    optional = {
        "revision_before": revision_before,
        "revision_after": revision_after,
        "error": error,
        "slack_channel": slack_channel,
        "slack_thread_ts": slack_thread_ts,
    }
    values.update({name: value for name, value in optional.items() if value is not None})
    if new == ReleaseState.ROLLING_OUT:
        values["started_at"] = now
    if new in TERMINAL_STATES:
        values["finished_at"] = now
    statement = (
        update(Release)
        .where(col(Release.id) == release_id, col(Release.state) == expected)
        .values(values)
        .execution_options(synchronize_session=False)
    )

    def write() -> int:
        return cast(CursorResult[object], session.execute(statement)).rowcount

    outcome = attempt(session, write)
    if isinstance(outcome, int) and outcome == 1:
        release = get_release(session=session, release_id=release_id)
        assert release is not None
        return release
    current = get_release(session=session, release_id=release_id)
    if isinstance(outcome, int) or current is None or current.state != expected:
        raise StaleState(
            release_id=release_id,
            expected=expected,
            actual=None if current is None else current.state,
        )
    holder = active_release(
        session=session, service=current.service, environment=current.environment
    )
    if holder is None:
        raise outcome
    raise _locked(holder) from outcome


def latest_started(*, session: Session, service: str, environment: str) -> Release | None:
    """The release that last began changing the Deployment (deploy or rollback), if any."""
    statement = (
        select(Release)
        .where(
            Release.service == service,
            Release.environment == environment,
            col(Release.started_at).is_not(None),
        )
        .order_by(col(Release.started_at).desc(), col(Release.created_at).desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )
    return session.exec(statement).first()
