from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from storage.builds import get_build, latest_builds, record_build
from storage.errors import BuildConflict
from storage.models import BuildCreate, VoteDecision
from storage.releases import create_release
from storage.votes import active_votes, cast_vote, void_votes, withdraw_vote
from tests.storage.conftest import DIGEST, NOW, release_in


def test_a_double_click_counts_once_and_a_withdrawn_vote_can_be_recast(session: Session) -> None:
    release = create_release(session=session, release_in=release_in(), now=NOW)

    def vote(decision: VoteDecision, minutes: int) -> bool:
        return cast_vote(
            session=session,
            release_id=release.id,
            user_id="U0APPROVER",
            team_id="T0TEAM",
            decision=decision,
            digest=DIGEST,
            now=NOW + timedelta(minutes=minutes),
        ).created

    assert vote(VoteDecision.APPROVE, 1)
    assert not vote(VoteDecision.APPROVE, 2)
    assert not vote(VoteDecision.REJECT, 3)
    assert [v.decision for v in active_votes(session=session, release_id=release.id)] == [
        VoteDecision.APPROVE
    ]
    assert withdraw_vote(session=session, release_id=release.id, user_id="U0APPROVER", now=NOW)
    assert not withdraw_vote(session=session, release_id=release.id, user_id="U0APPROVER", now=NOW)
    assert vote(VoteDecision.REJECT, 4)
    session.commit()
    assert [v.decision for v in active_votes(session=session, release_id=release.id)] == [
        VoteDecision.REJECT
    ]


def test_votes_are_bound_to_the_digest_and_can_be_voided(session: Session) -> None:
    release = create_release(session=session, release_in=release_in(), now=NOW)
    for user, digest in [("U1", DIGEST), ("U2", "sha256:" + "b" * 64)]:
        cast_vote(
            session=session,
            release_id=release.id,
            user_id=user,
            team_id="T0TEAM",
            decision=VoteDecision.APPROVE,
            digest=digest,
            now=NOW,
        )
    on_digest = active_votes(session=session, release_id=release.id, digest=DIGEST)
    assert [v.user_id for v in on_digest] == ["U1"]
    assert void_votes(session=session, release_id=release.id, now=NOW) == 2
    session.commit()
    assert active_votes(session=session, release_id=release.id) == []


def _build(digest: str = DIGEST, version: str = "1.4.2") -> BuildCreate:
    return BuildCreate(
        service="api",
        version=version,
        image=f"registry.example.com/shop/api:{version}",
        digest=digest,
        commit="0123abc",
        branch="main",
    )


def test_a_repeated_build_announcement_is_harmless(session: Session) -> None:
    first = record_build(session=session, build_in=_build(), now=NOW)
    again = record_build(session=session, build_in=_build(), now=NOW + timedelta(seconds=5))
    session.commit()
    assert (first.new, again.new) == (True, False)
    assert again.build.id == first.build.id
    assert again.build.received_at == NOW, "the first announcement's time is kept"
    assert get_build(session=session, service="api", version="1.4.2") == first.build


def test_the_same_version_with_another_digest_is_refused(session: Session) -> None:
    record_build(session=session, build_in=_build(), now=NOW)
    with pytest.raises(BuildConflict, match="already recorded"):
        record_build(session=session, build_in=_build(digest="sha256:" + "c" * 64), now=NOW)
    record_build(session=session, build_in=_build(version="1.4.3"), now=NOW + timedelta(1))
    session.commit()
    assert [b.version for b in latest_builds(session=session, service="api")] == [
        "1.4.3",
        "1.4.2",
    ]
