"""Slack's per-channel posting limit, kept without sleeping.

``chat.postMessage`` allows about one message per second per channel. Milestones come in
bursts (approved, then rollout started, in the same instant), and the workflow's thread must
not wait, so a post that is not yet due waits in a per-channel queue and goes out when
``drain`` finds it due on the injected clock. A queued post renders its arguments when it is
sent, so it shows the latest state and can name a parent posted just before it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

Render = Callable[[], dict[str, Any]]
Send = Callable[[dict[str, Any]], str | None]
Posted = Callable[[str | None], None]


@dataclass(frozen=True)
class QueuedPost:
    render: Render
    posted: Posted | None = None


class ChannelPacer:
    """Not thread-safe on its own: the presenter calls it under its lock."""

    def __init__(self, interval: timedelta) -> None:
        self._interval = interval
        self._queues: dict[str, deque[QueuedPost]] = {}
        self._last: dict[str, datetime] = {}

    def submit(self, channel: str, post: QueuedPost) -> None:
        self._queues.setdefault(channel, deque()).append(post)

    def waiting(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def drain(self, now: Callable[[], datetime], send: Send) -> int:
        """Send the posts that are due (at most one per channel per interval).

        The interval counts from when a post was answered, not from when it was sent: Slack
        sees the request later than we send it, and counting from our side would let the
        next post arrive early.
        """
        sent = 0
        for channel, queue in list(self._queues.items()):
            last = self._last.get(channel)
            if not queue or (last is not None and now() - last < self._interval):
                continue
            post = queue.popleft()
            ts = send({"channel": channel, **post.render()})
            self._last[channel] = now()
            sent += 1
            if post.posted is not None:
                post.posted(ts)
            if not queue:
                del self._queues[channel]
        return sent
