"""A local stand-in for Slack's Web API: the demo console and the tests run the real WebClient
against it, so the bot under them is the one a workspace gets.

The server speaks the same wire protocol as slack.com/api (POST form or JSON, GET query string,
bearer token, ``{"ok": false, "error": ...}`` answers, HTTP 429 + ``Retry-After``), keeps what a
test needs to assert on and the console needs to draw (every call, every message, told to
``watch`` callbacks as it happens), and refuses Block Kit that slack_sdk's own models reject,
so bad blocks fail here instead of in a real workspace.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from bot.clock import Clock, SystemClock
from bot.slack.standin.blockkit import attachment_problems, block_problems, decoded
from bot.slack.standin.ratelimits import (
    DEFAULT_TIERS,
    POST_MESSAGE_PER_CHANNEL_SECONDS,
    TIER_1,
    TIER_2,
    TIER_3,
    TIER_4,
    RateLimiter,
)
from bot.slack.standin.server import Json, LocalServer

__all__ = [
    "BOT_TOKEN",
    "BOT_USER_ID",
    "DEFAULT_TIERS",
    "POST_MESSAGE_PER_CHANNEL_SECONDS",
    "TEAM_ID",
    "TIER_1",
    "TIER_2",
    "TIER_3",
    "TIER_4",
    "Call",
    "ChangeKind",
    "FakeSlackWebAPI",
    "Json",
    "Message",
    "SlackError",
    "Watcher",
    "running",
]

BOT_TOKEN = "xoxb-fake-bot-token"  # noqa: S105  (the stand-in's own, not a secret)
BOT_USER_ID = "U0BOT"
TEAM_ID = "T0FAKE"


@dataclass(frozen=True)
class Call:
    method: str
    args: Json
    token: str | None
    at: datetime
    response: Json
    status: int = 200


@dataclass
class Message:
    channel: str
    ts: str
    user: str
    text: str | None
    blocks: list[Json] | None
    thread_ts: str | None
    edits: list[Json] = field(default_factory=list)
    reactions: dict[str, list[str]] = field(default_factory=dict)
    visible_to: str | None = None
    """Set on an ephemeral message: the only user who sees it."""


ChangeKind = Literal["posted", "edited", "ephemeral"]
Watcher = Callable[[ChangeKind, Message], None]
"""Told of every message as the stand-in accepts it, on the request's thread, in order."""


class SlackError(Exception):
    """An ``ok: false`` answer with Slack's error code."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class FakeSlackWebAPI:
    """The Web API on 127.0.0.1; point ``WebClient(base_url=api.base_url)`` at it."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        tokens: dict[str, str] | None = None,
        rate_limits: dict[str, int] | None = None,
        post_message_limit: bool = False,
        socket_mode_url: str | None = None,
        first_ts: int = 1700000000,
    ) -> None:
        """``first_ts`` is where message timestamps start; a stand-in restarted over the same
        database passes the current time, so its messages never reuse an earlier one's ts."""
        self.clock: Clock = clock or SystemClock()
        self.socket_mode_url = socket_mode_url
        """What ``apps.connections.open`` hands out (a local ``ws://`` server in tests)."""
        self.tokens = dict(tokens) if tokens is not None else {BOT_TOKEN: BOT_USER_ID}
        self.limiter = RateLimiter(rate_limits, post_message_limit=post_message_limit)
        self.usergroups: dict[str, list[str]] = {}
        self.usergroup_handles: dict[str, str] = {}
        self.channels: dict[str, str] = {}
        self.messages: list[Message] = []
        self.ephemeral: list[Json] = []
        self.views: dict[str, Json] = {}
        self.block_errors: list[str] = []
        self.ratelimited_count = 0
        self._calls: list[Call] = []
        self._watchers: list[Watcher] = []
        self._lock = threading.RLock()
        self._ts_counter = 0
        self._first_ts = first_ts
        self._server = LocalServer(self.handle, name="fake-slack-api")
        self._methods: dict[str, Callable[[Json, str], Json]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "reactions.add": self._reactions_add,
            "usergroups.users.list": self._usergroup_users,
            "usergroups.list": self._usergroups_list,
            "views.publish": self._views_publish,
            "conversations.info": self._conversations_info,
            "apps.connections.open": self._connections_open,
        }

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeSlackWebAPI:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    @property
    def base_url(self) -> str:
        """What WebClient wants: it appends the method name, so the trailing slash matters."""
        return self._server.base_url

    # -- configuration ---------------------------------------------------------------------

    @property
    def rate_limits(self) -> dict[str, int]:
        """Calls per minute by method (see ``DEFAULT_TIERS``); tests may edit it in place."""
        return self.limiter.limits

    @rate_limits.setter
    def rate_limits(self, limits: dict[str, int]) -> None:
        self.limiter.limits = limits

    @property
    def post_message_limit(self) -> bool:
        """Whether chat.postMessage is held to about one message per second per channel."""
        return self.limiter.post_message_limit

    @post_message_limit.setter
    def post_message_limit(self, on: bool) -> None:
        self.limiter.post_message_limit = on

    def set_usergroup(self, usergroup: str, users: list[str], handle: str | None = None) -> None:
        """A user group by subteam ID; ``handle`` (without the @) makes it findable by name."""
        with self._lock:
            self.usergroups[usergroup] = list(users)
            if handle is not None:
                self.usergroup_handles[usergroup] = handle

    def watch(self, watcher: Watcher) -> None:
        """Call ``watcher`` for each message posted, edited or sent ephemerally from now on."""
        with self._lock:
            self._watchers.append(watcher)

    def _tell(self, kind: ChangeKind, message: Message) -> None:
        for watcher in self._watchers:
            watcher(kind, message)

    def throttle(self, method: str, count: int = 1, retry_after: int = 0) -> None:
        """Answer the next ``count`` calls of ``method`` with 429 and this Retry-After."""
        with self._lock:
            self.limiter.force(method, count, retry_after)

    # -- queries ---------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def message(self, channel: str, ts: str) -> Message:
        with self._lock:
            for m in self.messages:
                if m.channel == channel and m.ts == ts:
                    return m
        raise KeyError((channel, ts))

    def thread(self, channel: str, thread_ts: str) -> list[Message]:
        with self._lock:
            return [m for m in self.messages if m.channel == channel and m.thread_ts == thread_ts]

    # -- dispatch --------------------------------------------------------------------------

    def handle(self, method: str, args: Json, token: str | None) -> tuple[int, Json, int | None]:
        """Answer one call: (HTTP status, body, Retry-After or None); records it either way."""
        with self._lock:
            status, body, retry_after = self._answer(method, args, token)
            if status == 429:
                self.ratelimited_count += 1
            self._calls.append(Call(method, args, token, self.clock.now(), body, status))
            return status, body, retry_after

    def _answer(self, method: str, args: Json, token: str | None) -> tuple[int, Json, int | None]:
        forced = self.limiter.forced(method)
        if forced is not None:
            return 429, {"ok": False, "error": "ratelimited"}, forced
        if method not in self._methods:
            return 404, {"ok": False, "error": "unknown_method"}, None
        if not token:
            return 200, {"ok": False, "error": "not_authed"}, None
        user = self.tokens.get(token)
        if user is None:
            return 200, {"ok": False, "error": "invalid_auth"}, None
        wait = self.limiter.wait(method, args, self.clock.now())
        if wait is not None:
            return 429, {"ok": False, "error": "ratelimited"}, wait
        try:
            return 200, {"ok": True, **self._methods[method](args, user)}, None
        except SlackError as e:
            return 200, {"ok": False, "error": e.error}, None

    # -- methods ---------------------------------------------------------------------------

    def _next_ts(self) -> str:
        self._ts_counter += 100
        seconds, micros = divmod(self._ts_counter, 1_000_000)
        return f"{self._first_ts + seconds}.{micros:06d}"

    def _check_content(self, args: Json, *, required: bool = True) -> list[Json] | None:
        blocks: list[Json] | None = decoded(args.get("blocks"))
        attachments = decoded(args.get("attachments"))
        problems = [*block_problems(blocks), *attachment_problems(attachments)]
        if problems:
            self.block_errors.extend(problems)
            raise SlackError("invalid_blocks")
        if required and not (args.get("text") or blocks or attachments):
            raise SlackError("no_text")
        return blocks

    def _auth_test(self, args: Json, user: str) -> Json:
        return {
            "url": "https://fake.slack.test/",
            "team": "Fake",
            "user": "releasebot",
            "team_id": TEAM_ID,
            "user_id": user,
            "bot_id": "B0BOT",
        }

    def _post_message(self, args: Json, user: str) -> Json:
        channel = _required(args, "channel", "channel_not_found")
        blocks = self._check_content(args)
        thread_ts = args.get("thread_ts")
        if thread_ts is not None and not self._has(channel, str(thread_ts)):
            raise SlackError("thread_not_found")  # stricter than Slack, to catch wrong parents
        msg = Message(channel, self._next_ts(), user, args.get("text"), blocks, thread_ts)
        self.messages.append(msg)
        self._tell("posted", msg)
        return {"channel": channel, "ts": msg.ts, "message": _as_json(msg)}

    def _has(self, channel: str, ts: str) -> bool:
        return any(m.channel == channel and m.ts == ts for m in self.messages)

    def _update(self, args: Json, user: str) -> Json:
        channel = _required(args, "channel", "channel_not_found")
        ts = _required(args, "ts", "message_not_found")
        if not self._has(channel, ts):
            raise SlackError("message_not_found")
        blocks = self._check_content(args)
        msg = self.message(channel, ts)
        msg.edits.append({"text": msg.text, "blocks": msg.blocks})
        msg.text, msg.blocks = args.get("text"), blocks
        self._tell("edited", msg)
        return {"channel": channel, "ts": ts, "text": msg.text, "message": _as_json(msg)}

    def _post_ephemeral(self, args: Json, user: str) -> Json:
        channel = _required(args, "channel", "channel_not_found")
        target = _required(args, "user", "user_not_in_channel")
        blocks = self._check_content(args)
        ts = self._next_ts()
        self.ephemeral.append(
            {"channel": channel, "user": target, "text": args.get("text"), "blocks": blocks}
        )
        thread_ts = args.get("thread_ts")
        self._tell(
            "ephemeral",
            Message(channel, ts, user, args.get("text"), blocks, thread_ts, visible_to=target),
        )
        return {"message_ts": ts}

    def _reactions_add(self, args: Json, user: str) -> Json:
        channel = _required(args, "channel", "channel_not_found")
        ts = _required(args, "timestamp", "message_not_found")
        name = _required(args, "name", "invalid_name")
        if not self._has(channel, ts):
            raise SlackError("message_not_found")
        users = self.message(channel, ts).reactions.setdefault(name, [])
        if user in users:
            raise SlackError("already_reacted")
        users.append(user)
        return {}

    def _usergroup_users(self, args: Json, user: str) -> Json:
        group = _required(args, "usergroup", "no_such_subteam")
        if group not in self.usergroups:
            raise SlackError("no_such_subteam")
        return {"users": list(self.usergroups[group])}

    def _usergroups_list(self, args: Json, user: str) -> Json:
        return {
            "usergroups": [
                {"id": group, "handle": self.usergroup_handles.get(group, group.lower())}
                for group in self.usergroups
            ]
        }

    def _views_publish(self, args: Json, user: str) -> Json:
        target = _required(args, "user_id", "user_not_found")
        view = decoded(args.get("view"))
        if not isinstance(view, dict) or view.get("type") != "home":
            raise SlackError("invalid_arguments")
        self._check_content({"blocks": view.get("blocks", [])}, required=False)
        published = {"id": f"V{len(self.views) + 1:08d}", "team_id": TEAM_ID, **view}
        self.views[target] = published
        return {"view": published}

    def _conversations_info(self, args: Json, user: str) -> Json:
        channel = _required(args, "channel", "channel_not_found")
        if self.channels and channel not in self.channels:
            raise SlackError("channel_not_found")
        name = self.channels.get(channel, channel.lower())
        return {"channel": {"id": channel, "name": name, "is_channel": True, "is_member": True}}

    def _connections_open(self, args: Json, user: str) -> Json:
        if self.socket_mode_url is None:
            raise SlackError("not_allowed_token_type")
        return {"url": self.socket_mode_url}


def _required(args: Json, key: str, error: str) -> str:
    value = args.get(key)
    if not value:
        raise SlackError(error)
    return str(value)


def _as_json(msg: Message) -> Json:
    out: Json = {"type": "message", "user": msg.user, "ts": msg.ts, "text": msg.text or ""}
    if msg.blocks:
        out["blocks"] = msg.blocks
    if msg.thread_ts:
        out["thread_ts"] = msg.thread_ts
    return out


@contextmanager
def running(**kwargs: Any) -> Iterator[FakeSlackWebAPI]:
    api = FakeSlackWebAPI(**kwargs).start()
    try:
        yield api
    finally:
        api.stop()
