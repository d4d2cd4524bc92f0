"""0003: ``releases.break_glass`` on a database that already holds releases and votes, its
CHECK that a break-glass release carries a reason, and the way back; SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.migrate import current_revision, downgrade_engine, drift, head_revision, upgrade
from storage.models import ReleaseCreate, ReleaseKind, ReleaseState
from storage.releases import create_release, get_release
from tests.storage.conftest import DIGEST, NOW, release_in

NOW_TEXT = "2026-01-05 09:00:00+00:00"


def _release_id(engine: Engine, n: int) -> str:
    if engine.dialect.name == "postgresql":
        return f"00000000-0000-0000-0000-{n:012d}"
    return f"{n:032d}"


def _insert_release_with_a_vote(engine: Engine, release_id: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO releases (id, service, environment, version, image, digest, kind, "
                "state, requester_user_id, requester_team_id, required_approvals, created_at, "
                "updated_at) VALUES (:id, 'api', 'production', '1.0.0', 'img', 'sha256:a', "
                "'deploy', 'awaiting_approval', 'U1', 'T1', 1, :now, :now)"
            ),
            {"id": release_id, "now": NOW_TEXT},
        )
        connection.execute(
            text(
                "INSERT INTO votes (release_id, user_id, team_id, decision, digest, cast_at) "
                "VALUES (:id, 'U2', 'T1', 'approve', 'sha256:a', :now)"
            ),
            {"id": release_id, "now": NOW_TEXT},
        )


def test_0003_marks_existing_releases_as_not_break_glass_and_round_trips(
    database_url: str, engine: Engine
) -> None:
    downgrade_engine(engine, "0002")
    release_id = _release_id(engine, 1)
    _insert_release_with_a_vote(engine, release_id)

    upgrade(database_url)
    assert current_revision(engine) == head_revision() == "0003"
    assert drift(engine) == []
    with engine.connect() as connection:
        row = connection.execute(text("SELECT break_glass, break_glass_reason FROM releases"))
        assert tuple(row.one()) == (False, None)

    downgrade_engine(engine, "0002")
    with engine.connect() as connection:
        columns = connection.execute(text("SELECT * FROM releases")).keys()
        assert "break_glass" not in columns
        assert connection.execute(text("SELECT count(*) FROM votes")).scalar_one() == 1
    upgrade(database_url)
    assert drift(engine) == []


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_break_glass_release_without_a_reason_is_refused_by_the_database(
    engine: Engine, reason: str | None
) -> None:
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO releases (id, service, environment, version, image, digest, kind, "
                "state, requester_user_id, requester_team_id, required_approvals, break_glass, "
                "break_glass_reason, created_at, updated_at) VALUES (:id, 'api', 'production', "
                "'1.0.0', 'img', 'sha256:a', 'deploy', 'awaiting_approval', 'U1', 'T1', 1, :yes, "
                ":reason, :now, :now)"
            ),
            {"id": _release_id(engine, 2), "now": NOW_TEXT, "yes": True, "reason": reason},
        )
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM releases")).scalar_one() == 0


def test_a_break_glass_release_keeps_its_flag_and_reason(engine: Engine) -> None:
    with Session(engine) as session:
        release = create_release(
            session=session,
            release_in=ReleaseCreate.model_validate(
                release_in(),
                update={
                    "break_glass": True,
                    "break_glass_reason": "checkout is down",
                    "state": ReleaseState.AWAITING_APPROVAL,
                },
            ),
            now=NOW,
        )
        session.commit()
        release_id = release.id
    with Session(engine) as session:
        stored = get_release(session=session, release_id=release_id)
        assert stored is not None
        assert (stored.break_glass, stored.break_glass_reason) == (True, "checkout is down")
        assert (stored.kind, stored.digest) == (ReleaseKind.DEPLOY, DIGEST)
