"""Values that cross the workflow's boundary: who acts, and snapshots of releases and builds.

Presenters (Slack, the console) render these; they never read the database themselves, so
what a person sees is exactly what the workflow decided.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from storage.models import ReleaseKind, ReleaseState, VoteDecision


@dataclass(frozen=True)
class Actor:
    """Who asked: the signed Slack user and team IDs, never a display name."""

    user_id: str
    team_id: str


@dataclass(frozen=True)
class VoteView:
    user_id: str
    decision: VoteDecision
    cast_at: datetime


@dataclass(frozen=True)
class Progress:
    """The rollout as the driver last read it (kubectl's message and the replica counts)."""

    message: str
    desired: int
    updated: int
    ready: int
    available: int
    old_pending_termination: int
    max_surge: int
    max_unavailable: int


@dataclass(frozen=True)
class ReleaseView:
    id: uuid.UUID
    service: str
    environment: str
    version: str
    image: str
    digest: str
    kind: ReleaseKind
    state: ReleaseState
    policy: str  # auto | manual | approval
    requester: Actor
    reason: str | None
    channel: str
    thread_ts: str | None
    required_approvals: int
    approvers: tuple[str, ...]  # as configured: user IDs and "@group" handles / S… IDs
    break_glass: bool = False
    """An emergency deploy: ``reason`` is then its mandatory break-glass reason and
    ``approvers`` are the environment's break-glass approvers."""
    votes: tuple[VoteView, ...] = ()
    revision_before: int | None = None
    revision_after: int | None = None
    rollback_of: uuid.UUID | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    expires_at: datetime | None = None
    error: str | None = None
    progress: Progress | None = None
    rolls_back_on_failure: bool = False
    """A deploy to an environment with ``on_failure: rollback``: a failure undoes itself."""
    in_thread_of: uuid.UUID | None = None
    """The release whose message ``thread_ts`` is, when that is another release's (an
    automatic rollback's replies go under the release that failed); None: its own."""

    @property
    def approvals(self) -> tuple[str, ...]:
        return tuple(v.user_id for v in self.votes if v.decision is VoteDecision.APPROVE)

    @property
    def active(self) -> bool:
        return self.state in {
            ReleaseState.REQUESTED,
            ReleaseState.AWAITING_APPROVAL,
            ReleaseState.APPROVED,
            ReleaseState.ROLLING_OUT,
            ReleaseState.BAKING,
        }


@dataclass(frozen=True)
class BuildView:
    service: str
    version: str
    image: str
    digest: str
    commit: str | None
    branch: str | None
    pipeline_url: str | None
    changelog: tuple[str, ...] = ()
    channel: str = ""
    environments: tuple[str, ...] = field(default_factory=tuple)
    """Environments this build may be deployed to (one button each)."""


class BuildStatus(enum.Enum):
    NEW = "new"
    """First announced now: recorded, announced, deployed where the policy is auto."""
    KNOWN = "known"
    """The same artifact was announced before: nothing is announced or deployed again."""
    REPLAYED = "replayed"
    """The very same signed request came again: nothing was looked at."""


@dataclass(frozen=True)
class BuildOutcome:
    view: BuildView | None
    status: BuildStatus
    first_received: datetime | None = None


@dataclass(frozen=True)
class Running:
    """What runs in one environment, for /releases."""

    service: str
    environment: str
    version: str | None
    image: str | None
    revision: int | None
    since: datetime | None
    by: str | None
