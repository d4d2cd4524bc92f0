"""The demo's channel as a Slack client keeps it: numbered messages in their latest version,
their threads and their buttons, and how a person points at one (``#3``, ``approve``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.slack import actions
from bot.slack.standin.webapi import Message
from commands.console import messages, sample
from commands.console.render import Button, Drawn

BOT_NAME = "releasebot"
INDENT = "    "
LISTED = 5
"""How many of the latest messages a refusal names, so it stays one readable line."""


@dataclass
class Shown:
    number: int
    message: Message
    drawn: Drawn
    parent: int | None
    edits: int = 0


@dataclass
class Channel:
    """Not thread-safe on its own: the console calls it under its lock."""

    by_ts: dict[str, Shown] = field(default_factory=dict)
    order: list[Shown] = field(default_factory=list)

    def record(self, message: Message, drawn: Drawn) -> Shown:
        """A new message gets the next number; an edit replaces what the number shows."""
        shown = self.by_ts.get(message.ts)
        if shown is not None:
            shown.drawn, shown.edits = drawn, shown.edits + 1
            return shown
        parent = self.by_ts.get(message.thread_ts or "")
        shown = Shown(
            number=len(self.order) + 1,
            message=message,
            drawn=drawn,
            parent=parent.number if parent is not None else None,
        )
        self.by_ts[message.ts] = shown
        self.order.append(shown)
        return shown

    def numbered(self, number: int) -> Shown | str:
        """Message ``#number``, or why there is none."""
        if not self.order:
            return messages.NO_MESSAGES
        if not 1 <= number <= len(self.order):
            return messages.NO_SUCH_MESSAGE.format(number=number, last=len(self.order))
        return self.order[number - 1]

    def find_button(self, label: str, number: int | None) -> tuple[Shown, Button] | str:
        """The button called ``label`` (or numbered so) on ``#number``, else on the latest
        message that has one; or why there is none."""
        if number is not None:
            shown = self.numbered(number)
            if isinstance(shown, str):
                return shown
            if not shown.drawn.buttons:
                return messages.NO_BUTTONS_ON.format(number=number)
            button = match(label, shown.drawn.buttons)
            if button is None:
                return messages.NO_SUCH_BUTTON_ON.format(
                    number=number, label=label, buttons=labels(shown.drawn.buttons)
                )
            return shown, button
        with_buttons = [s for s in reversed(self.order) if s.drawn.buttons]
        if not with_buttons:
            return messages.NO_BUTTONS.format(messages=self.listing())
        candidates = with_buttons[:1] if label.strip().isdigit() else with_buttons
        for shown in candidates:
            button = match(label, shown.drawn.buttons)
            if button is not None:
                return shown, button
        everything = "; ".join(f"#{s.number} {labels(s.drawn.buttons)}" for s in with_buttons)
        return messages.NO_SUCH_BUTTON.format(label=label, buttons=everything)

    def latest_request(self) -> Shown | str:
        """Where a reaction counts: the latest request that still takes votes (it has an
        Approve button); or why there is none, naming the messages there are. A reaction on
        any other message would do nothing, and say nothing."""
        for shown in reversed(self.order):
            if any(b.action_id == actions.APPROVE for b in shown.drawn.buttons):
                return shown
        if not self.order:
            return messages.NO_MESSAGES
        return messages.NO_REQUEST.format(messages=self.listing())

    def listing(self) -> str:
        """The latest messages outside threads, each by number and first line."""
        if not self.order:
            return messages.NONE_YET
        top = [s for s in self.order if s.parent is None][-LISTED:]
        return "; ".join(f"#{s.number} {s.drawn.lines[0] if s.drawn.lines else ''}" for s in top)


def draw(shown: Shown, *, edited: bool) -> str:
    """A message with its number and place; thread replies indented under their parent."""
    reply = shown.parent is not None
    where = f"reply in the thread of #{shown.parent}" if reply else f"#{sample.CHANNEL_NAME}"
    head = f"{INDENT if reply else ''}#{shown.number} {BOT_NAME} · {where}"
    if edited:
        head += " · edited"
    indent = INDENT * (2 if reply else 1)
    body = [indent + line for line in shown.drawn.lines]
    if shown.drawn.buttons:
        first = shown.drawn.buttons[0]
        hint = messages.BUTTON_HINT.format(label=first.label.lower(), number=first.number)
        body.append(indent + hint)
    return "\n".join([head, *body])


def message_number(words: list[str]) -> tuple[int | None, list[str]]:
    """``click approve #3``: the ``#n`` word, wherever it is, and the other words."""
    for i, word in enumerate(words):
        if word.startswith("#") and word[1:].isdigit():
            return int(word[1:]), words[:i] + words[i + 1 :]
    return None, words


def match(label: str, buttons: tuple[Button, ...]) -> Button | None:
    """By number, by exact label, or by a part of the label that only one button has."""
    wanted = label.strip().lower()
    if wanted.isdigit():
        return next((b for b in buttons if b.number == int(wanted)), None)
    exact = [b for b in buttons if b.label.lower() == wanted]
    if exact:
        return exact[0]
    partial = [b for b in buttons if wanted in b.label.lower()]
    return partial[0] if len(partial) == 1 else None


def labels(buttons: tuple[Button, ...]) -> str:
    return " ".join(f"[{b.number} {b.label}]" for b in buttons)
