"""Votes on a release: one active vote per user, each bound to the digest it was cast on."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlalchemy import CursorResult, update
from sqlmodel import Session, col, select

from storage.models import Vote, VoteDecision
from storage.savepoints import attempt


@dataclass(frozen=True)
class CastVote:
    """``created`` is False when the user already had an active vote (a double click)."""

    vote: Vote
    created: bool


def cast_vote(
    *,
    session: Session,
    release_id: uuid.UUID,
    user_id: str,
    team_id: str,
    decision: VoteDecision,
    digest: str,
    now: datetime,
) -> CastVote:
    """Record a vote unless the user has one already; the existing one is returned unchanged.

    To change their mind a user withdraws first, so every decision stays in the history.
    """
    vote = Vote(
        release_id=release_id,
        user_id=user_id,
        team_id=team_id,
        decision=decision,
        digest=digest,
        cast_at=now,
    )
    outcome = attempt(session, partial(_insert, session, vote))
    if isinstance(outcome, Vote):
        return CastVote(vote=outcome, created=True)
    existing = _active_vote(session=session, release_id=release_id, user_id=user_id)
    if existing is None:
        raise outcome
    return CastVote(vote=existing, created=False)


def _insert(session: Session, vote: Vote) -> Vote:
    session.add(vote)
    return vote


def _active_vote(*, session: Session, release_id: uuid.UUID, user_id: str) -> Vote | None:
    statement = select(Vote).where(
        Vote.release_id == release_id,
        Vote.user_id == user_id,
        col(Vote.withdrawn_at).is_(None),
    )
    return session.exec(statement).first()


def withdraw_vote(*, session: Session, release_id: uuid.UUID, user_id: str, now: datetime) -> bool:
    """True if an active vote was withdrawn, False if the user had none."""
    statement = (
        update(Vote)
        .where(
            col(Vote.release_id) == release_id,
            col(Vote.user_id) == user_id,
            col(Vote.withdrawn_at).is_(None),
        )
        .values(withdrawn_at=now)
        .execution_options(synchronize_session=False)
    )
    result = session.execute(statement)
    return bool(result.rowcount) if isinstance(result, CursorResult) else False


def void_votes(*, session: Session, release_id: uuid.UUID, now: datetime) -> int:
    """Withdraw every active vote: the request changed, so earlier approvals no longer apply."""
    statement = (
        update(Vote)
        .where(col(Vote.release_id) == release_id, col(Vote.withdrawn_at).is_(None))
        .values(withdrawn_at=now)
        .execution_options(synchronize_session=False)
    )
    result = session.execute(statement)
    return result.rowcount if isinstance(result, CursorResult) else 0


def active_votes(
    *, session: Session, release_id: uuid.UUID, digest: str | None = None
) -> list[Vote]:
    """Active votes, oldest first; with ``digest``, only those cast on that exact artifact."""
    statement = select(Vote).where(Vote.release_id == release_id, col(Vote.withdrawn_at).is_(None))
    if digest is not None:
        statement = statement.where(Vote.digest == digest)
    statement = statement.order_by(col(Vote.cast_at), col(Vote.id)).execution_options(
        populate_existing=True
    )
    return list(session.exec(statement).all())
