from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("1w", timedelta(weeks=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("65h", timedelta(hours=65)),
        (" 10m ", timedelta(minutes=10)),
    ],
)
def test_durations_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["10", "2 hours", "1.5h", "-1h", "0m", "h", "", "1H", "400d"])
def test_durations_refused_with_the_allowed_form(text: str) -> None:
    with pytest.raises(ValueError, match=r"found .*, allowed: "):
        parse_duration(text)


@pytest.mark.parametrize("text", ["90s", "2h", "1d", "1h30m", "2d17h"])
def test_durations_round_trip(text: str) -> None:
    assert parse_duration(format_duration(parse_duration(text))) == parse_duration(text)
    assert format_duration(parse_duration("65h")) == "2d17h"
