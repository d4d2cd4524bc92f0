"""Block Kit to terminal text: what a Slack client would draw, as plain lines.

Sections, fields, context, dividers and buttons are drawn; Slack's mrkdwn is turned into text
(``<@U…>`` becomes ``@alice``, ``:rocket:`` becomes 🚀, ``*bold*`` loses its stars) so a
transcript reads like the channel. Buttons are numbered per message: ``[1 Approve]``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

EMOJI: Mapping[str, str] = {
    "white_check_mark": "✅",
    "heavy_check_mark": "✔️",
    "x": "❌",
    "raised_hand": "✋",
    "hourglass_flowing_sand": "⏳",
    "hourglass": "⌛",
    "rocket": "🚀",
    "stopwatch": "⏱️",
    "no_entry": "⛔",
    "heavy_multiplication_x": "✖️",
    "leftwards_arrow_with_hook": "↩️",
    "package": "📦",
    "robot_face": "🤖",
    "warning": "⚠️",
    "eyes": "👀",
    "rotating_light": "🚨",
    "+1": "👍",
    "-1": "👎",
    "tada": "🎉",
    "heart": "❤️",
    "fire": "🔥",
    "pray": "🙏",
    "thinking_face": "🤔",
}
"""The emoji releasebot's messages use (tests/console/test_render.py checks that every one is
here), and the reactions people commonly type as a character, so both read as a person sees
them in Slack."""

_ANGLE = re.compile(r"<([^<>]+)>")
_EMOJI = re.compile(r":([a-z0-9_+-]+):")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])")


@dataclass(frozen=True)
class Names:
    """Who and what the IDs in a message stand for."""

    users: Mapping[str, str]
    groups: Mapping[str, str]
    channels: Mapping[str, str]


@dataclass(frozen=True)
class Button:
    number: int
    label: str
    action_id: str
    value: str
    block_id: str


@dataclass(frozen=True)
class Drawn:
    lines: tuple[str, ...]
    buttons: tuple[Button, ...]


def emoji_name(typed: str) -> str:
    """``✅``, ``:white_check_mark:`` and ``white_check_mark`` all name the same reaction."""
    bare = typed.strip().strip(":")
    for name, char in EMOJI.items():
        if bare in {char, char.rstrip("\ufe0f")}:
            return name
    return bare


def emoji_char(name: str) -> str:
    """What a Slack client shows for the reaction ``name``; a character the console has no name
    for was typed as that character, so it is shown as it was typed."""
    if name in EMOJI:
        return EMOJI[name]
    return f":{name}:" if _EMOJI.fullmatch(f":{name}:") else name


class Renderer:
    def __init__(self, names: Names) -> None:
        self.names = names

    def mrkdwn(self, text: str) -> str:
        out = _ANGLE.sub(self._link, text)
        out = _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), out)
        out = _BOLD.sub(r"\1", out)
        out = _ITALIC.sub(r"\1", out)
        return html.unescape(out)

    def _link(self, match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            user = target[1:]
            return "@" + self.names.users.get(user, label or user)
        if target.startswith("#"):
            channel = target[1:]
            return "#" + self.names.channels.get(channel, label or channel)
        if target.startswith("!subteam^"):
            group = target.removeprefix("!subteam^")
            return "@" + self.names.groups.get(group, label.lstrip("@") or group)
        if target.startswith("!date^"):
            return label or target
        if target.startswith("!"):
            return "@" + (label or target[1:])
        return f"{label} ({target})" if label else target

    def blocks(self, blocks: list[dict[str, Any]] | None, fallback: str | None) -> Drawn:
        """The lines of a message and its buttons, numbered from 1 in the order shown."""
        if not blocks:
            return Drawn(tuple(self.mrkdwn(fallback or "").splitlines() or [""]), ())
        lines: list[str] = []
        buttons: list[Button] = []
        for block in blocks:
            lines.extend(self._block(block, buttons))
        return Drawn(tuple(lines), tuple(buttons))

    def _block(self, block: dict[str, Any], buttons: list[Button]) -> list[str]:
        kind = block.get("type")
        if kind == "section":
            lines = self._text(block.get("text")).splitlines()
            fields = [self._text(f).replace("\n", ": ", 1) for f in block.get("fields") or []]
            if fields:
                lines.append(" · ".join(f.replace("\n", " ") for f in fields))
            accessory = block.get("accessory")
            if isinstance(accessory, dict) and accessory.get("type") == "button":
                lines.append(self._buttons([accessory], str(block.get("block_id", "")), buttons))
            return lines
        if kind == "context":
            texts = [self._text(e) for e in block.get("elements") or [] if "text" in e]
            return " · ".join(texts).splitlines()
        if kind == "divider":
            return ["─" * 40]
        if kind == "header":
            return [self._text(block.get("text")).upper()]
        if kind == "actions":
            elements = [e for e in block.get("elements") or [] if e.get("type") == "button"]
            return [self._buttons(elements, str(block.get("block_id", "")), buttons)]
        return [f"[{kind} block]"]

    def _buttons(self, elements: list[dict[str, Any]], block_id: str, buttons: list[Button]) -> str:
        shown = []
        for element in elements:
            label = self._text(element.get("text"))
            number = len(buttons) + 1
            buttons.append(
                Button(
                    number=number,
                    label=label,
                    action_id=str(element.get("action_id", "")),
                    value=str(element.get("value", "")),
                    block_id=block_id,
                )
            )
            shown.append(f"[{number} {label}]")
        return "  ".join(shown)

    def _text(self, obj: Any) -> str:
        if not isinstance(obj, dict):
            return ""
        text = str(obj.get("text", ""))
        return self.mrkdwn(text) if obj.get("type") == "mrkdwn" else html.unescape(text)
