"""What the workflow needs from outside, as protocols it is tested against with plain fakes."""

from __future__ import annotations

from typing import Protocol


class GroupDirectory(Protocol):
    """Members of a Slack user group (``usergroups.users.list``), asked at vote time and
    again before a rollout starts."""

    def members(self, group: str) -> frozenset[str]: ...
