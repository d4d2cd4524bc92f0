from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import StatementError
from sqlmodel import Session

from storage.dedupe import record_request
from storage.models import ProcessedRequest


def test_times_are_stored_in_utc_and_come_back_aware(session: Session) -> None:
    berlin = timezone(timedelta(hours=2))
    record_request(session=session, key="k", now=datetime(2026, 6, 1, 12, 0, tzinfo=berlin))
    session.commit()
    session.expire_all()
    row = session.get(ProcessedRequest, "k")
    assert row is not None
    assert row.first_seen_at.utcoffset() == timedelta(0)
    assert row.first_seen_at == datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


def test_a_naive_time_is_refused(session: Session) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        record_request(session=session, key="k", now=datetime(2026, 6, 1, 12, 0))
