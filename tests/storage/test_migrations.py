from __future__ import annotations

from sqlalchemy import Engine, text

from storage.migrate import current_revision, downgrade_engine, drift, head_revision, upgrade


def test_upgrade_from_empty_reaches_head_without_drift(engine: Engine) -> None:
    assert current_revision(engine) == head_revision() == "0001"
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
    assert current_revision(engine) == "0001"
    assert drift(engine) == []
