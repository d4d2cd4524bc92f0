"""What CI sends when a build is ready, and the one function that decides whether to trust it.

The announcement becomes Slack text and, later, a Deployment patch, so every field is
narrowed to what a build can legitimately carry; anything else is refused with the field's
name rather than passed on for someone downstream to escape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictStr,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from bot.hooks.errors import HookRejected
from bot.hooks.signing import verify_signature
from bot.images import ALLOWED, ImageRef, InvalidImageReference, parse_image

MAX_BODY_BYTES = 1024 * 1024
MAX_CHANGELOG_LINES = 50
MAX_CHANGELOG_LINE = 300
MAX_URL_LENGTH = 2048

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_COMMIT = re.compile(r"[0-9a-fA-F]{7,40}")


def _invalid(message: str) -> PydanticCustomError:
    return PydanticCustomError("releasebot_invalid", "{reason}", {"reason": message})


def _service(value: str) -> str:
    if not _DNS_LABEL.fullmatch(value):
        raise _invalid(
            "must be a DNS-1123 label: 1-63 lower-case letters, digits or '-', "
            "starting and ending with a letter or digit"
        )
    return value


def _version(value: str) -> str:
    if not _VERSION.fullmatch(value):
        raise _invalid(
            "must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return value


def _image(value: str) -> str:
    try:
        ref = parse_image(value)
    except InvalidImageReference as err:
        raise _invalid(f"is not a valid image reference: {err.problem}; {ALLOWED}") from err
    if ref.digest is None:
        raise _invalid("must be pinned by digest: <repository>[:tag]@sha256:<64 hex digits>")
    return str(ref)


def _commit(value: str) -> str:
    if not _COMMIT.fullmatch(value):
        raise _invalid("must be 7-40 hexadecimal digits (a git commit id)")
    return value.lower()


def _branch(value: str) -> str:
    if not 1 <= len(value) <= 255 or not value.isprintable():
        raise _invalid("must be 1-255 printable characters, without control characters")
    return value


def _pipeline_url(value: str) -> str:
    if len(value) > MAX_URL_LENGTH or not value.isprintable() or " " in value:
        raise _invalid(f"must be an http(s) URL of at most {MAX_URL_LENGTH} characters")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _invalid("must be an http:// or https:// URL with a host")
    return value


def _changelog_line(value: str) -> str:
    if len(value) > MAX_CHANGELOG_LINE or not value.isprintable():
        raise _invalid(f"must be at most {MAX_CHANGELOG_LINE} printable characters, one line each")
    return value


class BuildAnnouncement(BaseModel):
    """A build CI vouches for: the artifact is pinned by digest so approvals bind to it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    service: Annotated[StrictStr, AfterValidator(_service)]
    version: Annotated[StrictStr, AfterValidator(_version)]
    image: Annotated[StrictStr, AfterValidator(_image)]
    commit: Annotated[StrictStr, AfterValidator(_commit)]
    branch: Annotated[StrictStr, AfterValidator(_branch)]
    pipeline_url: Annotated[StrictStr, AfterValidator(_pipeline_url)]
    changelog: tuple[Annotated[StrictStr, AfterValidator(_changelog_line)], ...] = Field(
        default=(), max_length=MAX_CHANGELOG_LINES
    )

    @property
    def image_ref(self) -> ImageRef:
        return parse_image(self.image)

    @property
    def digest(self) -> str:
        digest = self.image_ref.digest
        assert digest is not None  # guaranteed by _image
        return digest


def verify_build_request(
    *, secret: bytes, headers: Mapping[str, str], body: bytes, now: datetime
) -> BuildAnnouncement:
    """Authenticate, then parse, ``body``; raise :class:`HookRejected` with the HTTP answer.

    The signature is checked before the JSON is parsed so unauthenticated senders cannot make
    the bot do more than hash their bytes.
    """
    if len(body) > MAX_BODY_BYTES:
        raise HookRejected(413, f"the body is larger than {MAX_BODY_BYTES} bytes (1 MiB)")
    verify_signature(secret=secret, headers=headers, body=body, now=now)
    data = _parse_json(body)
    if not isinstance(data, dict):
        raise HookRejected(400, "the body must be a JSON object with the build's fields")
    try:
        return BuildAnnouncement.model_validate(data)
    except ValidationError as err:
        raise HookRejected(_status(err), _describe(err)) from err


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(
            body.decode("utf-8"),
            object_pairs_hook=_refuse_duplicate_keys,
            parse_constant=_refuse_constant,
        )
    except UnicodeDecodeError as err:
        raise HookRejected(400, f"the body is not UTF-8 (byte {err.start})") from err
    except json.JSONDecodeError as err:
        raise HookRejected(
            400, f"the body is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}"
        ) from err
    except ValueError as err:
        raise HookRejected(400, f"the body is not valid JSON: {err}") from err
    except RecursionError as err:
        raise HookRejected(
            400, "the body is nested too deeply to be a build; send a flat JSON object"
        ) from err


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice")
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not an allowed field",
    "string_type": "must be a JSON string",
}


_VALUE_ERRORS = frozenset({"releasebot_invalid", "too_long"})


def _status(err: ValidationError) -> int:
    """400 when the body has the wrong shape (a field of the wrong JSON type, missing or
    unknown), 422 when every field is there but a value is not allowed."""
    values_only = all(e["type"] in _VALUE_ERRORS for e in err.errors())
    return 422 if values_only else 400


def _describe(err: ValidationError) -> str:
    problems = []
    for error in err.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in error["loc"]) or "body"
        message = _MESSAGES.get(error["type"], error["msg"])
        problems.append(f"field '{field}' {message[0].lower()}{message[1:]}")
    return "; ".join(problems)
