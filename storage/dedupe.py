"""Idempotency for Slack requests and webhooks: the first delivery acts, repeats do nothing.

Record the key in the same transaction as the effect: if the effect rolls back, so does the
key, and a retry gets another chance. Concurrent deliveries of one key serialize on its
primary key; exactly one sees True.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import CursorResult, Engine, delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from storage.models import ProcessedRequest
from storage.writequeue import urgent

MAX_KEY_LENGTH = 255


def event_key(*, event_id: str) -> str:
    return f"event:{event_id}"


def command_key(*, team_id: str, trigger_id: str) -> str:
    return f"trigger:{team_id}:{trigger_id}"


def action_key(*, team_id: str, user_id: str, action_ts: str) -> str:
    return f"action:{team_id}:{user_id}:{action_ts}"


def record_request(*, session: Session, key: str, now: datetime) -> bool:
    """True the first time ``key`` is seen, False on every repeat."""
    return key in record_requests(session=session, keys=[key], now=now)


def record_requests(*, session: Session, keys: Sequence[str], now: datetime) -> set[str]:
    """Record every key in one statement; returns those seen for the first time (a key twice
    in ``keys`` is returned once: its first occurrence is the first delivery)."""
    for key in keys:
        if not key or len(key) > MAX_KEY_LENGTH:
            raise ValueError(f"a dedupe key must be 1..{MAX_KEY_LENGTH} characters, got {len(key)}")
    # One statement that cannot fail on a repeat: no ORM flush, no savepoint. It runs before
    # every Slack request's work, holding SQLite's write lock, so it has to be short.
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    statement = (
        insert(ProcessedRequest)
        .values([{"key": key, "first_seen_at": now} for key in dict.fromkeys(keys)])
        .on_conflict_do_nothing(index_elements=[col(ProcessedRequest.key)])
        .returning(col(ProcessedRequest.key))
    )
    return {str(row[0]) for row in session.execute(statement)}


class RequestLog:
    """Group commit for the keys of Slack requests about to be worked on.

    Every request's work needs its key recorded first, and on SQLite each record takes the
    one write lock: 20 requests at once meant 20 transactions in a row. Here the first thread
    to arrive writes the keys of every thread waiting meanwhile in one statement, and goes on
    writing until nobody waits; the others just wait for their answer. A failure reaches every
    thread of its batch, and each request fails closed.
    """

    def __init__(self, engine: Engine, session: Callable[[Engine], Session] = Session) -> None:
        self._engine = engine
        self._session = session
        self._lock = threading.Lock()
        self._waiting: list[_Ticket] = []
        self._writing = False

    def record(self, key: str, now: datetime) -> bool:
        """True the first time ``key`` is seen; raises what the database raised."""
        ticket = _Ticket(key, now)
        with self._lock:
            self._waiting.append(ticket)
            writer = not self._writing
            self._writing = True
        if writer:
            self._write_while_waited_for()
        ticket.done.wait()
        if ticket.error is not None:
            raise ticket.error
        return ticket.first

    def _write_while_waited_for(self) -> None:
        while True:
            with self._lock:
                batch, self._waiting = self._waiting, []
                if not batch:
                    self._writing = False
                    return
            try:
                with urgent(), self._session(self._engine) as session:
                    first = record_requests(
                        session=session, keys=[t.key for t in batch], now=batch[0].now
                    )
                    session.commit()
            except Exception as err:
                for ticket in batch:
                    ticket.error = err
                    ticket.done.set()
                continue
            for ticket in batch:
                ticket.first = ticket.key in first
                first.discard(ticket.key)  # a second delivery in the same batch is a repeat
                ticket.done.set()


@dataclass
class _Ticket:
    key: str
    now: datetime
    first: bool = False
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


def forget_requests(*, session: Session, seen_before: datetime) -> int:
    """Drop keys older than any retry Slack or CI would still send, so the table stays small."""
    statement = delete(ProcessedRequest).where(col(ProcessedRequest.first_seen_at) < seen_before)
    result = session.execute(statement)
    return result.rowcount if isinstance(result, CursorResult) else 0
