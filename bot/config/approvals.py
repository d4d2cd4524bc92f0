"""Who must say yes before a release (or a rollback, or a break-glass deploy) may start."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import Field, StrictInt, model_validator

from bot.config import messages
from bot.config.base import ConfigModel, problem_at
from bot.config.durations import Duration
from bot.config.fields import Approver, is_individual

PositiveInt = Annotated[StrictInt, Field(ge=1)]


class _Approvers(ConfigModel):
    required: PositiveInt
    approvers: Annotated[list[Approver], Field(min_length=1)]

    @property
    def individuals(self) -> tuple[str, ...]:
        return tuple(a for a in self.approvers if is_individual(a))

    @property
    def groups(self) -> tuple[str, ...]:
        """User-group handles and IDs: membership is resolved in Slack when a vote is cast."""
        return tuple(a for a in self.approvers if not is_individual(a))

    @model_validator(mode="after")
    def _reachable(self) -> _Approvers:
        seen: set[str] = set()
        for approver in self.approvers:
            if approver in seen:
                raise problem_at("approvers", messages.DUPLICATE_APPROVER.format(approver=approver))
            seen.add(approver)
        if not self.groups and self.required > len(self.individuals):
            raise problem_at(
                "required",
                messages.TOO_FEW_APPROVERS.format(
                    required=self.required, count=len(self.individuals)
                ),
            )
        return self


class Approvals(_Approvers):
    """N distinct designated approvers; a pending request expires after `expire_after`."""

    expire_after: Duration = timedelta(hours=2)


class BreakGlass(Approvals):
    """Co-signers of an emergency deploy, which skips freezes and ``promote_from``.

    Kept apart from the normal approvers on purpose: being able to approve a routine release
    is not being trusted to bypass the guards. An emergency that waits hours is over, so a
    request expires sooner by default.
    """

    expire_after: Duration = timedelta(minutes=30)
