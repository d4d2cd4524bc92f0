"""The console: a line typed becomes what a person in Slack would do, and what the bot posts
is printed as it arrives (the stand-in tells the console of every message).

Slash commands, button clicks and reactions go to the bot signed, over HTTP (``Demo``); the
console itself only keeps what a Slack client shows: numbered messages, their latest version
and their buttons.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TextIO

import httpx

from bot.hooks import BuildAnnouncement
from bot.slack.standin.webapi import BOT_USER_ID, ChangeKind, Message
from commands import SLASH_COMMANDS
from commands.console import messages, sample
from commands.console.channel import BOT_NAME, INDENT, Channel, draw, message_number
from commands.console.render import Drawn, Names, Renderer, emoji_char, emoji_name
from commands.console.stack import ANSWER_TIMEOUT_SECONDS, Demo

DEFAULT_WAIT_SECONDS = 60.0


class Output:
    """One writer for the main thread and the stand-in's threads, a whole message at a time.

    In a terminal, a message that arrives while the prompt waits is printed above it and the
    prompt is drawn again, with what was typed so far (``typed``).
    """

    def __init__(self, stream: TextIO, *, typed: Callable[[], str] | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._typed = typed
        self._prompt: str | None = None

    def waiting_at(self, prompt: str | None) -> None:
        """The prompt now shown (or None once a line was entered)."""
        with self._lock:
            self._prompt = prompt

    def say(self, text: str) -> None:
        with self._lock:
            if self._prompt is None or self._typed is None:
                self._stream.write(text + "\n")
            else:
                self._stream.write(f"\r\x1b[K{text}\n{self._prompt}{self._typed()}")
            self._stream.flush()


class Console:
    def __init__(self, demo: Demo, out: Output) -> None:
        self.demo = demo
        self.out = out
        self.user = sample.FIRST_PERSON
        self.renderer = Renderer(
            Names(
                users={p.user_id: p.name for p in sample.PEOPLE} | {BOT_USER_ID: BOT_NAME},
                groups={sample.RELEASE_MANAGERS_ID: sample.RELEASE_MANAGERS},
                channels={sample.CHANNEL_ID: sample.CHANNEL_NAME},
            )
        )
        self._channel = Channel()
        self._lock = threading.RLock()
        self._bad_next: set[str] = set()
        self._commands: dict[str, Callable[[list[str], str], None]] = {
            "help": self._help,
            "people": self._people,
            "wait": self._wait,
            "click": self._click,
            "react": self._react,
            "break": self._break,
            "show": self._show,
            "home": self._home,
        }

    # -- what the bot posts ----------------------------------------------------------------

    def on_message(self, kind: ChangeKind, message: Message) -> None:
        """Called by the stand-in, on its request thread, for every message it accepts."""
        with self._lock:
            drawn = self.renderer.blocks(message.blocks, message.text)
            if kind == "ephemeral":
                self.out.say(self._ephemeral(message, drawn))
                return
            shown = self._channel.record(message, drawn)
            self.out.say(draw(shown, edited=kind == "edited"))

    def _ephemeral(self, message: Message, drawn: Drawn) -> str:
        to = next((p for p in sample.PEOPLE if p.user_id == message.visible_to), None)
        name = to.name if to is not None else str(message.visible_to)
        whom = f"you (@{name})" if to == self.user else f"@{name}"
        lines = [INDENT + line for line in drawn.lines]
        return "\n".join([f"{BOT_NAME} · only visible to {whom}", *lines])

    # -- what a person types ---------------------------------------------------------------

    def execute(self, line: str) -> None:
        text = line.strip()
        if not text or text.startswith("#"):
            return
        word, _, rest = text.partition(" ")
        rest = rest.strip()
        if word.startswith("/"):
            self._slash(word, rest)
            return
        handler = self._commands.get(word.lower())
        if handler is None:
            self.out.say(messages.UNKNOWN_COMMAND.format(word=word))
            return
        handler(rest.split(), rest)

    def prompt(self) -> str:
        return f"{self.user.name}> "

    def _slash(self, command: str, text: str) -> None:
        if command == "/as":
            self._act_as(text)
        elif command == "/build":
            self._build(text)
        elif command in SLASH_COMMANDS:
            self._answered(self.demo.command(self.user.user_id, command, text))
        else:
            known = ", ".join(sorted(SLASH_COMMANDS))
            self.out.say(messages.UNKNOWN_SLASH.format(command=command, commands=known))

    def _answered(self, response: httpx.Response) -> None:
        """Slack shows nothing for a plain ack; anything else is worth seeing."""
        if response.status_code != 200:
            body = response.text.strip() or "(no body)"
            self.out.say(messages.SLACK_REFUSED.format(status=response.status_code, body=body))

    def _act_as(self, text: str) -> None:
        names = ", ".join(p.name for p in sample.PEOPLE)
        if not text:
            self.out.say(messages.AS_NEEDS_NAME.format(people=names))
            return
        person = sample.person(text)
        if person is None:
            self.out.say(messages.NO_SUCH_PERSON.format(name=text, people=names))
        elif person == self.user:
            self.out.say(messages.ALREADY.format(name=person.name))
        else:
            self.user = person
            self.out.say(messages.NOW_ACTING_AS.format(name=person.name, role=person.role))

    def _build(self, text: str) -> None:
        words = text.split()
        if len(words) < 2:
            self.out.say(messages.BUILD_USAGE)
            return
        service, version, changes = words[0], words[1], " ".join(words[2:])
        if service not in sample.SERVICES:
            self.out.say(
                messages.BUILD_UNKNOWN_SERVICE.format(
                    service=service, services=", ".join(sample.SERVICES)
                )
            )
            return
        bad = service in self._bad_next
        try:
            build = BuildAnnouncement(
                service=service,
                version=version,
                image=sample.build_image(service, version),
                commit=sample.commit_of(service, version),
                branch="main",
                pipeline_url=f"https://ci.example.com/shop/{service}/pipelines/{version}",
                changelog=(changes,) if changes else (),
            )
        except ValueError as err:
            self.out.say(
                messages.BUILD_REFUSED.format(
                    service=service, version=version, status="not sent", reason=err
                )
            )
            return
        if bad:
            self.demo.make_bad(sample.deployed_image(service, version))
            self._bad_next.discard(service)
        response = self.demo.build_hook(build)
        if response.status_code >= 300:
            self.out.say(
                messages.BUILD_REFUSED.format(
                    service=service,
                    version=version,
                    status=response.status_code,
                    reason=response.text.strip(),
                )
            )
            return
        self.out.say(
            messages.BUILD_SENT.format(
                service=service,
                version=version,
                bad=messages.BUILD_BAD_SUFFIX if bad else "",
                status=response.status_code,
            )
        )

    def _help(self, words: list[str], rest: str) -> None:
        self.out.say(
            messages.HELP.format(
                you=self.user.name,
                people=", ".join(p.name for p in sample.PEOPLE),
                wait=DEFAULT_WAIT_SECONDS,
                answer=ANSWER_TIMEOUT_SECONDS,
            )
        )

    def _people(self, words: list[str], rest: str) -> None:
        lines = [messages.PEOPLE_HEADER.format(you=self.user.name)]
        for p in sample.PEOPLE:
            marker = "*" if p == self.user else " "
            lines.append(messages.PERSON.format(marker=marker, name=p.name, role=p.role))
        self.out.say("\n".join(lines))

    def _wait(self, words: list[str], rest: str) -> None:
        seconds = DEFAULT_WAIT_SECONDS
        if words:
            try:
                seconds = float(words[0])
            except ValueError:
                self.out.say(messages.WAIT_USAGE)
                return
            if seconds <= 0:
                self.out.say(messages.WAIT_USAGE)
                return
        if self.demo.settle(seconds):
            self.out.say(messages.IDLE)
        else:
            self.out.say(messages.STILL_BUSY.format(seconds=seconds))

    def _break(self, words: list[str], rest: str) -> None:
        services = ", ".join(sample.SERVICES)
        if len(words) != 1 or words[0] not in sample.SERVICES:
            self.out.say(messages.BREAK_USAGE.format(services=services))
            return
        self._bad_next.add(words[0])
        self.out.say(
            messages.BREAK_SET.format(service=words[0], deadline=self.demo.speed.progress_deadline)
        )

    def _show(self, words: list[str], rest: str) -> None:
        with self._lock:
            if not self._channel.order:
                self.out.say(messages.SHOW_EMPTY.format(channel=sample.CHANNEL_NAME))
                return
            drawn = [draw(s, edited=s.edits > 0) for s in self._channel.order]
        self.out.say("\n".join([messages.SHOW_HEADER.format(channel=sample.CHANNEL_NAME), *drawn]))

    def _home(self, words: list[str], rest: str) -> None:
        """The App Home tab as this user sees it: what the bot publishes with views.publish
        when Slack tells it the tab was opened."""
        before = self.demo.slack.views.get(self.user.user_id)
        self._answered(self.demo.open_home(self.user.user_id))
        view = self.demo.published_home(self.user.user_id, since=before)
        if view is None:
            self.out.say(messages.HOME_NOT_PUBLISHED.format(seconds=ANSWER_TIMEOUT_SECONDS))
            return
        drawn = self.renderer.blocks(view.get("blocks"), None)
        lines = [INDENT + line for line in drawn.lines]
        self.out.say("\n".join([messages.HOME_HEADER.format(you=self.user.name), *lines]))

    # -- clicks and reactions --------------------------------------------------------------

    def _click(self, words: list[str], rest: str) -> None:
        number, words = message_number(words)
        label = " ".join(words)
        if not label:
            self.out.say(messages.CLICK_USAGE)
            return
        self.demo.wait_answered()
        with self._lock:
            found = self._channel.find_button(label, number)
        if isinstance(found, str):
            self.out.say(found)
            return
        shown, button = found
        self.out.say(
            messages.CLICKED.format(user=self.user.name, label=button.label, number=shown.number)
        )
        self._answered(
            self.demo.click(
                self.user.user_id,
                channel=shown.message.channel,
                message_ts=shown.message.ts,
                action_id=button.action_id,
                value=button.value,
                block=button.block_id,
            )
        )

    def _react(self, words: list[str], rest: str) -> None:
        number, words = message_number(words)
        if len(words) != 1:
            self.out.say(messages.REACT_USAGE)
            return
        name = emoji_name(words[0])
        self.demo.wait_answered()
        with self._lock:
            target = (
                self._channel.numbered(number)
                if number is not None
                else self._channel.latest_request()
            )
        if isinstance(target, str):
            self.out.say(target)
            return
        self.out.say(
            messages.REACTED.format(
                user=self.user.name, emoji=emoji_char(name), number=target.number
            )
        )
        self._answered(
            self.demo.react(
                self.user.user_id, channel=target.message.channel, ts=target.message.ts, name=name
            )
        )
