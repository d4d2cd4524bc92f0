"""Slack's rate tiers, enforced by the Web API stand-in on its injected clock.

Kept apart from the method implementations so the rules a test leans on (a sliding window per
method, chat.postMessage's one-per-second-per-channel, and 429s forced on demand) read in one
place, and tests can exercise the bot's backoff without waiting a real minute.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Mapping
from datetime import datetime
from typing import Any

# Calls allowed per minute, after https://api.slack.com/apis/rate-limits.
TIER_1, TIER_2, TIER_3, TIER_4 = 1, 20, 50, 100
DEFAULT_TIERS: dict[str, int] = {
    "auth.test": TIER_4,
    "chat.update": TIER_3,
    "chat.postEphemeral": TIER_4,
    "reactions.add": TIER_3,
    "usergroups.users.list": TIER_2,
    "usergroups.list": TIER_2,
    "views.publish": TIER_4,
    "conversations.info": TIER_3,
}
# chat.postMessage is "special": about one message per second per channel.
POST_MESSAGE_PER_CHANNEL_SECONDS = 1.0


class RateLimiter:
    """Decides when a call gets HTTP 429 and which Retry-After goes with it.

    Not thread-safe on its own: the stand-in calls it under its lock, so a call's check and
    its record happen together.
    """

    def __init__(self, limits: dict[str, int] | None, *, post_message_limit: bool) -> None:
        self.limits = dict(limits or {})
        """Calls per minute by method; a method not listed is never limited."""
        self.post_message_limit = post_message_limit
        self._forced: dict[str, deque[int]] = defaultdict(deque)
        self._windows: dict[str, deque[datetime]] = defaultdict(deque)

    def force(self, method: str, count: int, retry_after: int) -> None:
        """Answer the next ``count`` calls of ``method`` with 429 and this Retry-After."""
        self._forced[method].extend([retry_after] * count)

    def forced(self, method: str) -> int | None:
        """The Retry-After of a forced 429 owed to this call, if any; uses it up."""
        queue = self._forced.get(method)
        return queue.popleft() if queue else None

    def wait(self, method: str, args: Mapping[str, Any], now: datetime) -> int | None:
        """Sliding-window counting; returns seconds to wait when over, else counts the call."""
        if method == "chat.postMessage" and self.post_message_limit:
            key, limit, window = (
                f"{method}#{args.get('channel')}",
                1,
                POST_MESSAGE_PER_CHANNEL_SECONDS,
            )
        elif method in self.limits:
            key, limit, window = method, self.limits[method], 60.0
        else:
            return None
        seen = self._windows[key]
        while seen and (now - seen[0]).total_seconds() >= window:
            seen.popleft()
        if len(seen) >= limit:
            return max(1, math.ceil(window - (now - seen[0]).total_seconds()))
        seen.append(now)
        return None
