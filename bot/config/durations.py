"""Durations as people write them in YAML (`30m`, `2h`, `1h30m`), parsed into `timedelta`.

Bare numbers are refused on purpose: `bake: 10` could mean seconds or minutes.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

from bot.config import messages

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^(?:\d+[smhdw])+$")
_PART = re.compile(r"(\d+)([smhdw])")
_MAX = timedelta(days=366)


def parse_duration(text: str) -> timedelta:
    """Turn `1h30m` into a timedelta; raise ValueError with the allowed form otherwise."""
    cleaned = text.strip()
    if not _DURATION.fullmatch(cleaned):
        raise ValueError(f"found {text!r}, allowed: {messages.DURATION}")
    seconds = sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _PART.findall(cleaned))
    value = timedelta(seconds=seconds)
    if value <= timedelta(0):
        raise ValueError(f"found {text!r}, allowed: a duration longer than zero")
    if value > _MAX:
        raise ValueError(f"found {text!r}, allowed: at most 366d")
    return value


def format_duration(value: timedelta) -> str:
    """Write a timedelta back in the shortest form `parse_duration` reads."""
    remaining = int(value.total_seconds())
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def _coerce(value: object) -> object:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str):
        return parse_duration(value)
    raise ValueError(f"found {value!r}, allowed: {messages.DURATION}")


Duration = Annotated[
    timedelta,
    BeforeValidator(_coerce),
    PlainSerializer(format_duration, return_type=str),
]
