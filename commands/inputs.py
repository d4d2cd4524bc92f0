"""The input rules for words typed into a slash command (SECURITY.md, "Input").

A value that reaches the workflow has no leading ``-``, no whitespace or control character,
no shell metacharacter and a bounded length; a refusal says what is allowed. The workflow
checks meaning (known service, image in the repository); this checks shape.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from commands import messages

MAX_NAME = 63
MAX_TARGET = 512
MAX_REASON = 300

_NAME = re.compile(r"[a-z0-9-]")
_TARGET = re.compile(r"[A-Za-z0-9._:/@-]")
_CHAR_NAMES = {"`": "a backtick (`` ` ``)"}


class InputError(ValueError):
    """Words that cannot be a command; ``str()`` is the text for the person who typed them."""


def name(value: str, *, what: str) -> str:
    return _checked(value, what=what, limit=MAX_NAME, allowed=_NAME, says=messages.ALLOWED_NAME)


def target(value: str, *, what: str = "version or image") -> str:
    return _checked(
        value, what=what, limit=MAX_TARGET, allowed=_TARGET, says=messages.ALLOWED_TARGET
    )


def reason(value: str) -> str:
    text = " ".join(value.split())
    if not text:
        raise InputError(messages.EMPTY_REASON)
    if len(text) > MAX_REASON:
        raise InputError(
            messages.VALUE_TOO_LONG.format(what="reason", length=len(text), limit=MAX_REASON)
        )
    if any(_is_control(c) for c in text):
        raise InputError(messages.VALUE_CONTROL.format(what="reason"))
    return text


def known(value: str, choices: Sequence[str], *, template: str) -> str:
    if value not in choices:
        listed = ", ".join(f"`{c}`" for c in choices) or "none configured"
        raise InputError(template.format(name=value, known=listed))
    return value


def _checked(value: str, *, what: str, limit: int, allowed: re.Pattern[str], says: str) -> str:
    shown = (value if len(value) <= 40 else value[:37] + "...").replace("`", "'")
    if len(value) > limit:
        raise InputError(messages.VALUE_TOO_LONG.format(what=what, length=len(value), limit=limit))
    if any(_is_control(c) for c in value):
        raise InputError(messages.VALUE_CONTROL.format(what=what))
    if value.startswith("-"):
        raise InputError(messages.VALUE_LEADING_DASH.format(what=what, shown=shown))
    for char in value:
        if not allowed.fullmatch(char):
            shown_char = _CHAR_NAMES.get(char, "a space" if char.isspace() else f"`{char}`")
            raise InputError(
                messages.VALUE_BAD_CHARACTER.format(
                    what=what, shown=shown, char=shown_char, allowed=says
                )
            )
    return value


def _is_control(char: str) -> bool:
    return unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn"}
