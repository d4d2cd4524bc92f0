"""The audit log: append-only, every row chained to the one before by SHA-256.

``hash = sha256(canonical_json(row without hash) ‖ prev_hash)``; the first row links to
``GENESIS``. Editing, deleting or reordering any row breaks the chain from that row on, and
``verify_chain`` names the first broken link. Nothing here updates or deletes a row; on
PostgreSQL a trigger (see the migration) refuses it as well.

Two writers may read the same tail; ``seq`` (primary key) and ``prev_hash`` are unique, so
only one insert wins and the other re-reads the tail and retries: the chain never forks.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlmodel import Session, col, select

from storage.errors import AuditAppendFailed
from storage.models import AuditEvent, AuditEventCreate
from storage.savepoints import attempt

GENESIS = "0" * 64
_HEX64 = re.compile(r"[0-9a-f]{64}")
_APPEND_ATTEMPTS = 100


def canonical_json(event: AuditEvent) -> str:
    """The bytes that are hashed: every column but ``hash``, keys sorted, times in UTC."""
    content: dict[str, Any] = event.model_dump(exclude={"hash"})
    content["at"] = _utc_text(event.at)
    content["release_id"] = None if event.release_id is None else str(event.release_id)
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _utc_text(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def link_hash(event: AuditEvent) -> str:
    return hashlib.sha256((canonical_json(event) + event.prev_hash).encode()).hexdigest()


def append_event(*, session: Session, event_in: AuditEventCreate, now: datetime) -> AuditEvent:
    """Append one event after the current tail, retrying if another writer got there first."""
    for _ in range(_APPEND_ATTEMPTS):
        tail = session.exec(
            select(AuditEvent)
            .order_by(col(AuditEvent.seq).desc())
            .limit(1)
            .execution_options(populate_existing=True)
        ).first()
        event = AuditEvent.model_validate(
            event_in,
            update={
                "seq": 1 if tail is None else tail.seq + 1,
                "prev_hash": GENESIS if tail is None else tail.hash,
                "at": now,
                "hash": "",
            },
        )
        event.hash = link_hash(event)
        outcome = attempt(session, partial(_insert, session, event))
        if isinstance(outcome, AuditEvent):
            return outcome
    raise AuditAppendFailed(
        f"could not append to the audit log after {_APPEND_ATTEMPTS} attempts: other writers "
        "kept extending it; retry the whole transaction"
    )


def _insert(session: Session, event: AuditEvent) -> AuditEvent:
    session.add(event)
    return event


def chain_head(*, session: Session) -> ChainHead | None:
    """The newest event's number and hash, or None for an empty log."""
    tail = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc()).limit(1)).first()
    return None if tail is None else ChainHead(tail.seq, tail.hash)


def events_for_release(*, session: Session, release_id: uuid.UUID) -> list[AuditEvent]:
    statement = (
        select(AuditEvent).where(AuditEvent.release_id == release_id).order_by(col(AuditEvent.seq))
    )
    return list(session.exec(statement).all())


@dataclass(frozen=True)
class ChainHead:
    """The newest event's number and hash, written ``<seq>:<hash>``: kept outside the
    database (posted to a channel, pasted into a ticket), it lets ``verify`` notice the newest
    events being cut off, which the chain alone cannot."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> ChainHead:
        seq, _, digest = text.strip().partition(":")
        if not (seq.isascii() and seq.isdigit() and int(seq) > 0) or not _HEX64.fullmatch(digest):
            raise ValueError(
                f"{text!r} is not a chain head; write it as <event number>:<64 hex digits>, "
                "as `releasebot audit verify` prints it"
            )
        return cls(int(seq), digest)


@dataclass(frozen=True)
class VerifyResult:
    """``broken_at`` is the sequence number of the first row that fails, with ``reason``."""

    checked: int
    broken_at: int | None = None
    reason: str | None = None
    head: ChainHead | None = None
    """The last event checked (None for an empty log)."""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(
    *, session: Session, batch_size: int = 1000, expect: ChainHead | None = None
) -> VerifyResult:
    """Walk the whole log in order and recompute every link.

    It proves that no stored row was edited, removed or inserted out of order. Alone it
    cannot notice the newest rows being cut off: ``expect``, a head kept outside the
    database, must then still be in the chain, with the same hash.
    """
    expected_seq = 1
    prev_hash = GENESIS
    checked = 0
    head: ChainHead | None = None
    for event in _in_order(session, batch_size):
        if event.seq != expected_seq:
            return VerifyResult(
                checked, event.seq, f"sequence jumps from {expected_seq - 1} to {event.seq}"
            )
        if event.prev_hash != prev_hash:
            return VerifyResult(
                checked, event.seq, "prev_hash does not match the hash of the row before"
            )
        if link_hash(event) != event.hash:
            return VerifyResult(checked, event.seq, "row content does not match its hash")
        if expect is not None and event.seq == expect.seq and event.hash != expect.hash:
            return VerifyResult(
                checked, event.seq, f"its hash is not the one of the kept head {expect}"
            )
        checked += 1
        expected_seq += 1
        prev_hash = event.hash
        head = ChainHead(event.seq, event.hash)
    if expect is not None and (head is None or head.seq < expect.seq):
        ends = f"ends at event #{head.seq}" if head else "is empty"
        return VerifyResult(
            checked,
            (head.seq + 1) if head else 1,
            f"the log {ends} but the kept head is event #{expect.seq}: "
            "the newest events were deleted",
            head,
        )
    return VerifyResult(checked, head=head)


def _in_order(session: Session, batch_size: int) -> Iterator[AuditEvent]:
    after = 0
    while True:
        batch = session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.seq) > after)
            .order_by(col(AuditEvent.seq))
            .limit(batch_size)
            .execution_options(populate_existing=True)
        ).all()
        if not batch:
            return
        yield from batch
        after = batch[-1].seq
