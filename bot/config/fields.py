"""Field types shared by the configuration models, each refusing bad input with the allowed form.

They are `Annotated` types so that pydantic reports a problem at the exact key that holds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, PlainSerializer, PlainValidator

from bot.config import messages
from bot.images import InvalidImageReference, parse_image

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_CHANNEL = re.compile(r"^[CG][A-Z0-9]{6,20}$")
_USER = re.compile(r"^[UW][A-Z0-9]{6,20}$")
_SUBTEAM = re.compile(r"^S[A-Z0-9]{6,20}$")
_GROUP_HANDLE = re.compile(r"^@[a-z0-9][a-z0-9._-]{0,79}$")
_PERCENT = re.compile(r"^(\d{1,3})%$")


def _text(value: object, allowed: str) -> str:
    if not isinstance(value, str):
        raise ValueError(messages.FOUND_ALLOWED.format(found=show_text(value), allowed=allowed))
    return value


def check_dns_label(value: object) -> str:
    text = _text(value, messages.DNS_LABEL)
    if len(text) > 63 or not _DNS_LABEL.fullmatch(text):
        raise ValueError(
            messages.FOUND_ALLOWED.format(found=show_text(text), allowed=messages.DNS_LABEL)
        )
    return text


def check_dns_subdomain(value: object) -> str:
    text = _text(value, messages.DNS_SUBDOMAIN)
    if len(text) > 253 or not all(_DNS_LABEL.fullmatch(part) for part in text.split(".")):
        raise ValueError(
            messages.FOUND_ALLOWED.format(found=show_text(text), allowed=messages.DNS_SUBDOMAIN)
        )
    return text


def check_channel(value: object) -> str:
    text = _text(value, messages.SLACK_CHANNEL)
    if not _CHANNEL.fullmatch(text):
        raise ValueError(
            messages.FOUND_ALLOWED.format(found=show_text(text), allowed=messages.SLACK_CHANNEL)
        )
    return text


def check_approver(value: object) -> str:
    text = _text(value, messages.SLACK_USER)
    if not any(p.fullmatch(text) for p in (_USER, _SUBTEAM, _GROUP_HANDLE)):
        raise ValueError(
            messages.FOUND_ALLOWED.format(found=show_text(text), allowed=messages.SLACK_USER)
        )
    return text


def is_individual(approver: str) -> bool:
    """A user ID names one person; handles and subteam IDs name a group of unknown size."""
    return _USER.fullmatch(approver) is not None


def check_timezone(value: object) -> str:
    text = _text(value, messages.TIMEZONE)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(
            messages.FOUND_ALLOWED.format(found=show_text(text), allowed=messages.TIMEZONE)
        ) from err
    return text


def check_image_repository(value: object) -> str:
    """Parsed with the same grammar as the images that arrive from Slack and CI (bot.images)."""
    text = _text(value, messages.IMAGE_REPOSITORY)
    try:
        ref = parse_image(text)
    except InvalidImageReference as err:
        raise ValueError(
            f"found {show_text(text)} ({err.problem}), allowed: {messages.IMAGE_REPOSITORY}"
        ) from err
    if ref.tag is not None or ref.digest is not None:
        raise ValueError(
            f"found {show_text(text)} with a tag or digest, allowed: {messages.IMAGE_REPOSITORY}"
        )
    return text


def show_text(value: object) -> str:
    """What was found, cut so that a message stays on one line."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class IntOrPercent:
    """Kubernetes' IntOrString for maxSurge/maxUnavailable, kept in the form it was written."""

    value: int
    percent: bool

    @property
    def is_zero(self) -> bool:
        return self.value == 0

    def __str__(self) -> str:
        return f"{self.value}%" if self.percent else str(self.value)

    def to_kubernetes(self) -> int | str:
        return str(self) if self.percent else self.value


def parse_int_or_percent(value: object) -> IntOrPercent:
    if isinstance(value, IntOrPercent):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return IntOrPercent(value, percent=False)
    if isinstance(value, str):
        match = _PERCENT.fullmatch(value.strip())
        if match:
            return IntOrPercent(int(match.group(1)), percent=True)
    raise ValueError(
        messages.FOUND_ALLOWED.format(found=show_text(value), allowed=messages.INT_OR_PERCENT)
    )


DnsLabel = Annotated[str, BeforeValidator(check_dns_label)]
DnsSubdomain = Annotated[str, BeforeValidator(check_dns_subdomain)]
ChannelId = Annotated[str, BeforeValidator(check_channel)]
Approver = Annotated[str, BeforeValidator(check_approver)]
TimezoneName = Annotated[str, BeforeValidator(check_timezone)]
ImageRepository = Annotated[str, BeforeValidator(check_image_repository)]
IntOrPercentValue = Annotated[
    IntOrPercent,
    PlainValidator(parse_int_or_percent),
    PlainSerializer(IntOrPercent.to_kubernetes),
]
