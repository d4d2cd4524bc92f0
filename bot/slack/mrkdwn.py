"""Slack mrkdwn that no outside text can turn into a ping, a link or a hidden word.

Slack reads ``<…>`` as an entity (``<!channel>``, ``<@U…>``, ``<https://x|label>``) and ``&``
as the start of an escape, in blocks and in a message's top-level ``text`` alike. So the rule
is structural: every text is plain until proven otherwise. :class:`Mrkdwn` marks text that is
already safe markup; everything else is escaped where it meets Slack (:func:`safe`). Markup
is only made here: :func:`md` escapes its template and every value that is not ``Mrkdwn``,
and entities come only from :func:`user`, :func:`group`, :func:`channel`, :func:`link` and
:func:`date`, which check what they are given. Forgetting to mark a text therefore shows a
literal ``&lt;`` at worst; it can never ping anyone.

Text arriving from Slack is the mirror image: :func:`decode_incoming` undoes Slack's
encoding once, so the database keeps plain text and nothing is escaped twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

ELLIPSIS = "…"
_LOOKALIKE_BACKTICK = "\u02cb"

_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")
_GROUP_ID = re.compile(r"S[A-Z0-9]{2,30}")
_CHANNEL_ID = re.compile(r"[CDG][A-Z0-9]{2,30}")
_WORKFLOW_MENTION = re.compile(
    r"&lt;(@[UW][A-Z0-9]{2,30}|!subteam\^S[A-Z0-9]{2,30}|#[CDG][A-Z0-9]{2,30})&gt;"
)
_INCOMING_ENTITY = re.compile(r"<([^<>]*)>")


class Mrkdwn(str):
    """Text that is safe to hand to Slack as mrkdwn as it is.

    Adding plain text to it escapes that text, so ``Mrkdwn + str`` stays safe."""

    __slots__ = ()

    def __add__(self, other: str) -> Mrkdwn:
        return Mrkdwn(str.__add__(self, safe(other)))

    def __radd__(self, other: str) -> Mrkdwn:
        return Mrkdwn(str.__add__(safe(other), self))


def escape(text: str) -> Mrkdwn:
    """The three characters Slack asks senders to escape; nothing else is touched."""
    return Mrkdwn(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def safe(value: object) -> Mrkdwn:
    """``value`` as mrkdwn: markup stays as it is, anything else is escaped."""
    if isinstance(value, Mrkdwn):
        return value
    return escape(value if isinstance(value, str) else str(value))


def md(template: str, /, **values: object) -> Mrkdwn:
    """``template`` with ``{name}`` fields, both escaped unless already markup.

    The template is project text (``*bold*``, ``_italic_``, `` `code` `` pass through), but
    it is escaped too, so a placeholder like ``<service>`` in a usage line reaches Slack as
    written. Entities can only enter as values made by this module."""
    return Mrkdwn(escape(template).format(**{key: safe(v) for key, v in values.items()}))


def join(separator: str, parts: Iterable[object]) -> Mrkdwn:
    return Mrkdwn(safe(separator).join(safe(part) for part in parts))


def user(user_id: str) -> Mrkdwn:
    """A mention of a user ID the bot has (signed or configured); anything else is text."""
    return Mrkdwn(f"<@{user_id}>") if _USER_ID.fullmatch(user_id) else code(user_id)


def group(group_id: str) -> Mrkdwn:
    return Mrkdwn(f"<!subteam^{group_id}>") if _GROUP_ID.fullmatch(group_id) else code(group_id)


def channel(channel_id: str) -> Mrkdwn:
    return Mrkdwn(f"<#{channel_id}>") if _CHANNEL_ID.fullmatch(channel_id) else code(channel_id)


def approver(name: str) -> Mrkdwn:
    """A configured approver: a user ID, a user-group ID, or an ``@handle`` shown as code."""
    if _GROUP_ID.fullmatch(name):
        return group(name)
    if _USER_ID.fullmatch(name):
        return user(name)
    return code(name)


def code(text: str) -> Mrkdwn:
    """Inline code; a backtick inside would end it early, so it is replaced by a look-alike."""
    return Mrkdwn(f"`{escape(text.replace('`', _LOOKALIKE_BACKTICK))}`")


def link(url: str, label: str) -> Mrkdwn:
    """A link only to an http(s) URL with a host that cannot end the entity early (no ``|``,
    ``<``, ``>`` or whitespace); otherwise just the escaped label."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return escape(label)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c in url for c in "|<>")
        or any(c.isspace() or not c.isprintable() for c in url)
    ):
        return escape(label)
    return Mrkdwn(f"<{url.replace('&', '&amp;')}|{escape(label)}>")


def date(when: datetime, token: str, fallback: str) -> Mrkdwn:
    """Slack's ``<!date^…>``: shown in each reader's time zone, ``fallback`` elsewhere."""
    return Mrkdwn(f"<!date^{int(when.timestamp())}^{token}|{escape(fallback)}>")


def from_workflow(text: str, mentions: Iterable[str]) -> Mrkdwn:
    """A text the workflow wrote: plain, except the mentions of ``mentions`` (IDs it took from
    a signed request or the configuration). Everything is escaped, then exactly those
    mentions come back; a mention of anyone else inside the text stays text."""
    named = set(mentions)

    def restore(match: re.Match[str]) -> str:
        inner = match.group(1)
        return f"<{inner}>" if inner.lstrip("@#").removeprefix("!subteam^") in named else match[0]

    return Mrkdwn(_WORKFLOW_MENTION.sub(restore, escape(text)))


def truncate(text: Mrkdwn, limit: int) -> Mrkdwn:
    """At most ``limit`` characters, ending in ``…`` when cut, never inside ``&…;`` or
    ``<…>`` (a split entity would show raw markup or swallow the rest)."""
    if len(text) <= limit:
        return text
    cut = limit - len(ELLIPSIS)
    opened = text.rfind("<", 0, cut)
    if opened != -1 and text.find(">", opened) >= cut:
        cut = opened
    amp = text.rfind("&", 0, cut)
    if amp != -1 and ";" not in text[amp:cut]:
        cut = amp
    return Mrkdwn(text[:cut] + ELLIPSIS)


def decode_incoming(text: str) -> str:
    """Slash-command text as the person typed it: Slack sends ``&``, ``<`` and ``>`` as
    ``&amp;``, ``&lt;`` and ``&gt;``, and mentions and links as entities. Entities first (their
    brackets are real), then the three escapes, ``&amp;`` last."""

    def plain(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith(("@", "#")):
            return (target[0] + label.lstrip("@#")) if label else target
        if target.startswith("!"):
            if label:
                return label
            special = target[1:].split("^", 1)[0]
            return "@" + special
        return label or target

    decoded = _INCOMING_ENTITY.sub(plain, text)
    return decoded.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
