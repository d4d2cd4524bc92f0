"""Freeze windows: a recurring cron window with a duration, or one fixed span of local time.

Every window is evaluated in an explicit time zone (its own, or the file's), so that a
"Friday 16:00" freeze means the same wall-clock moment on both sides of a DST change.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from pydantic import Field, field_validator, model_validator

from bot.config import messages
from bot.config.base import ConfigModel, problem_at
from bot.config.durations import Duration
from bot.config.fields import TimezoneName

FreezeName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")]


def check_cron(expr: str) -> str:
    """Validate with the scheduler that will run it, and refuse numeric weekdays.

    APScheduler 3 reads weekday 0 as Monday where cron reads it as Sunday; names are
    unambiguous in both, so only names are accepted.
    """
    fields = expr.split()
    if len(fields) == 5 and any(ch.isdigit() for ch in fields[4]):
        raise ValueError(messages.CRON_NUMERIC_WEEKDAY.format(field=fields[4]))
    try:
        CronTrigger.from_crontab(expr, timezone="UTC")
    except ValueError as err:
        raise ValueError(messages.CRON_INVALID.format(found=expr, reason=err)) from err
    return " ".join(fields)


def _local_datetime(value: object) -> object:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError as err:
            raise ValueError(
                messages.FOUND_ALLOWED.format(found=repr(value), allowed=messages.LOCAL_DATETIME)
            ) from err
    else:
        raise ValueError(
            messages.FOUND_ALLOWED.format(found=repr(value), allowed=messages.LOCAL_DATETIME)
        )
    if parsed.tzinfo is not None:
        raise ValueError(
            messages.FOUND_ALLOWED.format(
                found=repr(str(value)),
                allowed=messages.LOCAL_DATETIME + " (set 'timezone' on the window instead)",
            )
        )
    return parsed


class Freeze(ConfigModel):
    """Either `cron` + `duration` or `start` + `end`; `timezone` overrides the file's."""

    name: FreezeName
    cron: str | None = None
    duration: Duration | None = None
    start: datetime | None = None
    end: datetime | None = None
    timezone: TimezoneName | None = None

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        return None if value is None else check_cron(value)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _local(cls, value: object) -> object:
        return _local_datetime(value)

    @model_validator(mode="after")
    def _shape(self) -> Freeze:
        given = [k for k in ("cron", "duration", "start", "end") if getattr(self, k) is not None]
        if set(given) not in ({"cron", "duration"}, {"start", "end"}):
            raise problem_at(None, messages.FREEZE_SHAPE.format(found=", ".join(given) or "none"))
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise problem_at(
                "end",
                messages.FREEZE_END_BEFORE_START.format(
                    start=self.start.isoformat(timespec="minutes"),
                    end=self.end.isoformat(timespec="minutes"),
                ),
            )
        return self

    @property
    def kind(self) -> Literal["cron", "window"]:
        return "cron" if self.cron is not None else "window"

    def zone(self, default: ZoneInfo) -> ZoneInfo:
        return ZoneInfo(self.timezone) if self.timezone else default

    def trigger(self, default: ZoneInfo) -> CronTrigger:
        """When a recurring freeze begins; it then lasts `duration`."""
        if self.cron is None:
            raise ValueError(f"freeze {self.name!r} is a fixed window, not a cron window")
        return CronTrigger.from_crontab(self.cron, timezone=self.zone(default))

    def span(self, default: ZoneInfo) -> tuple[datetime, datetime]:
        """The fixed window as aware datetimes in its zone."""
        if self.start is None or self.end is None:
            raise ValueError(f"freeze {self.name!r} is a cron window, not a fixed window")
        zone = self.zone(default)
        return self.start.replace(tzinfo=zone), self.end.replace(tzinfo=zone)
