from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import IntOrPercent, UnknownNameError, check_config, load_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "releasebot.example.yml"


def test_example_file_is_valid() -> None:
    assert check_config(EXAMPLE) == []


def test_example_typed_helpers() -> None:
    config = load_config(EXAMPLE)
    production = config.environment("production")
    assert production.name == "production"
    assert production.policy == "approval"
    assert production.approvals is not None
    assert production.approvals.required == 2
    assert production.approvals.expire_after == timedelta(hours=2)
    assert production.approvals.groups == ("@release-managers",)
    assert production.approvals.individuals == ("U024BE7LH", "U0G9QF9C6")
    assert production.progress_timeout == timedelta(minutes=30)
    assert config.promotion_source("production") is config.environment("staging")
    assert config.promotion_source("staging") is None
    assert config.cluster("prod").kind == "context"
    assert config.cluster("demo").kind == "simulated"

    api = config.service("api")
    assert api.name == "api"
    assert api.container_name == "api"
    assert api.environments_allowed == ("staging", "production", "demo")
    assert config.service("web").environments_allowed == ("staging", "production")
    assert config.service("web").container_name == "nginx"
    assert api.strategy is not None
    assert api.strategy.max_surge == IntOrPercent(25, percent=True)
    assert api.strategy.max_surge.to_kubernetes() == "25%"
    assert api.strategy.max_unavailable == IntOrPercent(0, percent=False)
    assert api.slo is not None
    assert api.slo.bake == timedelta(minutes=10)
    objective = api.slo.objectives[0]
    assert objective.error_budget == pytest.approx(0.001)
    assert "[5m]" in objective.query("5m") and "{{window}}" not in objective.query("5m")


def test_unknown_names_list_the_known_ones() -> None:
    config = load_config(EXAMPLE)
    with pytest.raises(UnknownNameError, match="known environments: staging, production, demo"):
        config.environment("prod")
    with pytest.raises(UnknownNameError, match="unknown service 'payments'"):
        config.service("payments")


def test_freeze_windows_use_their_own_or_the_file_timezone() -> None:
    config = load_config(EXAMPLE)
    weekend, year_end, thanksgiving = config.environment("production").freezes
    berlin = ZoneInfo("Europe/Berlin")
    assert config.freeze_zone(weekend) == berlin
    assert config.freeze_zone(thanksgiving) == ZoneInfo("America/New_York")
    assert weekend.kind == "cron" and weekend.duration == timedelta(hours=65)
    # 2026-03-27 is the Friday before the switch to summer time: still 16:00 local.
    after = datetime(2026, 3, 23, tzinfo=berlin)
    fire = weekend.trigger(config.zone).get_next_fire_time(None, after)
    assert fire == datetime(2026, 3, 27, 16, 0, tzinfo=berlin)
    assert fire.utcoffset() == timedelta(hours=1)
    start, end = year_end.span(config.zone)
    assert start == datetime(2026, 12, 21, 0, 0, tzinfo=berlin)
    assert end == datetime(2027, 1, 4, 9, 0, tzinfo=berlin)
    ny_start, _ = thanksgiving.span(config.zone)
    assert ny_start.utcoffset() == timedelta(hours=-5)


def test_configuration_is_frozen() -> None:
    config = load_config(EXAMPLE)
    with pytest.raises(ValueError, match="frozen"):
        config.environment("staging").policy = "manual"  # type: ignore[misc]
