"""The leader posts the audit log's chain head to the configured channel when it moved, and
that head is what `releasebot audit verify --expect` checks against."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from bot.kube.sim.serve import SimHandle
from bot.workflow.events import AuditHeadReached
from storage.audit import ChainHead, verify_chain
from tests.workflow.harness import CONFIG_YAML, Harness, build, make_harness

AUDITED = CONFIG_YAML + "audit: {channel: C0AUDIT01, post_head_every: 10m}\n"


@pytest.fixture
def audited(sim: SimHandle, tmp_path: Path) -> Iterator[Harness]:
    h = make_harness(sim, tmp_path, AUDITED)
    try:
        yield h
    finally:
        h.close()


def test_the_head_is_posted_when_it_moved_and_only_then(audited: Harness) -> None:
    h = audited
    assert h.workflow.audit_head_interval == 600
    assert h.workflow.post_audit_head() is False, "an empty log has no head to keep"
    h.create_deployment()
    h.workflow.announce_build(build("1.0.1", 1))
    assert h.settle()
    assert h.workflow.post_audit_head() is True
    assert h.workflow.post_audit_head() is False, "nothing moved since"
    [posted] = h.sink.of(AuditHeadReached)
    assert posted.channel == "C0AUDIT01"
    with Session(h.engine) as session:
        result = verify_chain(session=session, expect=ChainHead(posted.seq, posted.hash))
    assert result.ok and result.head == ChainHead(posted.seq, posted.hash)

    h.workflow.announce_build(build("1.0.2", 2))
    assert h.settle()
    assert h.workflow.post_audit_head() is True
    assert [e.seq for e in h.sink.of(AuditHeadReached)] == [posted.seq, posted.seq + 3]


def test_without_an_audit_channel_nothing_is_posted(h: Harness) -> None:
    h.create_deployment()
    h.workflow.announce_build(build("1.0.1", 1))
    assert h.settle()
    assert h.workflow.audit_head_interval is None
    assert h.workflow.post_audit_head() is False
    assert h.sink.of(AuditHeadReached) == []
