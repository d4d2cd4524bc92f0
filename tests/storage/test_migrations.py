from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from storage.migrate import current_revision, downgrade_engine, drift, head_revision, upgrade


def test_upgrade_from_empty_reaches_head_without_drift(engine: Engine) -> None:
    assert current_revision(engine) == head_revision() == "0003"
    assert drift(engine) == []


def test_drift_notices_a_schema_that_differs_from_the_models(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_releases_state"))
    differences = drift(engine)
    assert [diff[0] for diff in differences] == ["add_index"]
    assert differences[0][1].name == "ix_releases_state"


def test_upgrade_is_idempotent_and_downgrade_round_trips(database_url: str, engine: Engine) -> None:
    upgrade(database_url)
    downgrade_engine(engine, "base")
    assert current_revision(engine) is None
    upgrade(database_url)
    assert current_revision(engine) == head_revision()
    assert drift(engine) == []


def test_0002_adds_rollback_columns_to_a_database_with_votes_and_removes_them(
    database_url: str, engine: Engine
) -> None:
    downgrade_engine(engine, "0001")
    release_id = "0" * 31 + "1"
    if engine.dialect.name == "postgresql":
        release_id = "00000000-0000-0000-0000-000000000001"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO releases (id, service, environment, version, image, digest, kind, "
                "state, requester_user_id, requester_team_id, required_approvals, created_at, "
                "updated_at) VALUES (:id, 'api', 'production', '1.0.0', 'img', 'sha256:a', "
                "'deploy', 'awaiting_approval', 'U1', 'T1', 1, :now, :now)"
            ),
            {"id": release_id, "now": "2026-01-05 09:00:00+00:00"},
        )
        connection.execute(
            text(
                "INSERT INTO votes (release_id, user_id, team_id, decision, digest, cast_at) "
                "VALUES (:id, 'U2', 'T1', 'approve', 'sha256:a', :now)"
            ),
            {"id": release_id, "now": "2026-01-05 09:00:00+00:00"},
        )
    upgrade(database_url)
    assert current_revision(engine) == head_revision()
    assert drift(engine) == []
    with engine.begin() as connection:
        row = connection.execute(
            text("SELECT rollback_of, rollback_to_revision FROM releases")
        ).one()
        assert tuple(row) == (None, None)
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text("UPDATE releases SET rollback_of = :missing"),
            {"missing": release_id.replace("1", "2")},
        )
    downgrade_engine(engine, "0001")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM votes")).scalar_one() == 1
