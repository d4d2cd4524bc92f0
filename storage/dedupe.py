"""Idempotency for Slack requests and webhooks: the first delivery acts, repeats do nothing.

Record the key in the same transaction as the effect: if the effect rolls back, so does the
key, and a retry gets another chance. Concurrent deliveries of one key serialize on its
primary key; exactly one sees True.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CursorResult, delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from storage.models import ProcessedRequest

MAX_KEY_LENGTH = 255


def event_key(*, event_id: str) -> str:
    return f"event:{event_id}"


def command_key(*, team_id: str, trigger_id: str) -> str:
    return f"trigger:{team_id}:{trigger_id}"


def action_key(*, team_id: str, user_id: str, action_ts: str) -> str:
    return f"action:{team_id}:{user_id}:{action_ts}"


def record_request(*, session: Session, key: str, now: datetime) -> bool:
    """True the first time ``key`` is seen, False on every repeat."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"a dedupe key must be 1..{MAX_KEY_LENGTH} characters, got {len(key)}")
    # One statement that cannot fail on a repeat: no ORM flush, no savepoint. It runs while
    # Slack waits for the ack, holding SQLite's write lock, so it has to be short.
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    statement = (
        insert(ProcessedRequest)
        .values(key=key, first_seen_at=now)
        .on_conflict_do_nothing(index_elements=[col(ProcessedRequest.key)])
        .returning(col(ProcessedRequest.key))
    )
    return session.execute(statement).first() is not None


def forget_requests(*, session: Session, seen_before: datetime) -> int:
    """Drop keys older than any retry Slack or CI would still send, so the table stays small."""
    statement = delete(ProcessedRequest).where(col(ProcessedRequest.first_seen_at) < seen_before)
    result = session.execute(statement)
    return result.rowcount if isinstance(result, CursorResult) else 0
