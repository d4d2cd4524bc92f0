"""Who belongs to a Slack user group, asked of Slack with a short cache.

Approvals check membership at vote time and again before a rollout, so one release may ask
several times within seconds; ``usergroups.users.list`` is Tier 2 (20 calls a minute), hence
a cache. It is short (default 30 s) because removing someone from a group must take effect
soon: a stale "yes" could let a former approver approve.

Groups are named by subteam ID (``S0123ABCD``) — what Slack sends and what never changes — or
by handle (``@release-managers``), resolved to its ID with ``usergroups.list`` (also cached).
A group that cannot be read has no members: approvals fail closed.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.clock import Clock

log = logging.getLogger(__name__)

DEFAULT_TTL = timedelta(seconds=30)


class SlackGroupDirectory:
    """Implements bot.workflow.ports.GroupDirectory over the Slack Web API."""

    def __init__(self, client: WebClient, clock: Clock, ttl: timedelta = DEFAULT_TTL) -> None:
        self._client = client
        self._clock = clock
        self._ttl = ttl
        self._lock = threading.Lock()
        self._members: dict[str, tuple[datetime, frozenset[str]]] = {}
        self._handles: tuple[datetime, dict[str, str]] | None = None

    def members(self, group: str) -> frozenset[str]:
        subteam = self._subteam_id(group)
        if subteam is None:
            return frozenset()
        now = self._clock.now()
        with self._lock:
            cached = self._members.get(subteam)
            if cached is not None and now - cached[0] < self._ttl:
                return cached[1]
        try:
            response = self._client.usergroups_users_list(usergroup=subteam)
        except SlackApiError as err:
            log.warning(
                "cannot read members of user group %s: %s", subteam, err.response.get("error")
            )
            return frozenset()
        users = frozenset(str(u) for u in response.get("users") or [])
        with self._lock:
            self._members[subteam] = (now, users)
        return users

    def invalidate(self) -> None:
        """Forget everything, e.g. on a ``subteam_members_changed`` event."""
        with self._lock:
            self._members.clear()
            self._handles = None

    def _subteam_id(self, group: str) -> str | None:
        if not group.startswith("@"):
            return group
        handle = group.removeprefix("@")
        now = self._clock.now()
        with self._lock:
            if self._handles is not None and now - self._handles[0] < self._ttl:
                return self._handles[1].get(handle)
        try:
            response = self._client.usergroups_list()
        except SlackApiError as err:
            log.warning("cannot resolve user group @%s: %s", handle, err.response.get("error"))
            return None
        table = {
            str(g.get("handle")): str(g.get("id"))
            for g in response.get("usergroups") or []
            if isinstance(g, dict)
        }
        with self._lock:
            self._handles = (now, table)
        if handle not in table:
            log.warning("no user group with handle @%s; approvals by it are refused", handle)
        return table.get(handle)
