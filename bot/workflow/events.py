"""What the workflow publishes after each committed change; presenters subscribe.

Events are published only after the transition they describe is committed, so a presenter
that crashes loses a message, never the state; every event carries a fresh snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.workflow.model import Actor, BuildView, ReleaseView


@dataclass(frozen=True)
class BuildAnnounced:
    build: BuildView
    auto_environments: tuple[str, ...]  # where it deploys by itself (policy auto)


@dataclass(frozen=True)
class ReleaseRequested:
    """A new release: awaiting approval, awaiting the requester's confirmation, or approved."""

    release: ReleaseView


@dataclass(frozen=True)
class VoteRecorded:
    release: ReleaseView
    actor: Actor
    counted: bool  # False: a repeat (double click) or a withdrawn vote


@dataclass(frozen=True)
class ReleaseDecided:
    """approved, rejected, expired or cancelled (``release.state`` says which)."""

    release: ReleaseView
    by: Actor | None


@dataclass(frozen=True)
class RolloutStarted:
    release: ReleaseView


@dataclass(frozen=True)
class RolloutProgressed:
    """Frequent; the presenter decides how often to edit (at most every 2 s)."""

    release: ReleaseView


@dataclass(frozen=True)
class PodTrouble:
    release: ReleaseView
    pod: str
    reason: str  # ImagePullBackOff, CrashLoopBackOff, ...


@dataclass(frozen=True)
class RolloutFinished:
    """succeeded, failed or rolled_back (``release.state`` says which; ``error`` why)."""

    release: ReleaseView


@dataclass(frozen=True)
class ExternalChange:
    """The Deployment changed and releasebot did not do it (kubectl by hand)."""

    service: str
    environment: str
    channel: str
    old_image: str
    new_image: str
    old_revision: int | None
    new_revision: int | None


@dataclass(frozen=True)
class AutoDeployBlocked:
    """A build the policy would deploy by itself was not deployed (a release holds the
    environment, the build never passed ``promote_from``...); ``reason`` is the refusal's
    user-facing message, so the channel learns why nothing happened."""

    build: BuildView
    environment: str
    reason: str
    mentions: tuple[str, ...] = ()
    """The IDs ``reason`` mentions (``WorkflowError.mentions``)."""


@dataclass(frozen=True)
class ApprovalLapsed:
    """An approved release was sent back to ``awaiting_approval`` at the re-check just before
    its rollout: some approvals no longer count (an approver left the group)."""

    release: ReleaseView
    still_counted: tuple[str, ...]


@dataclass(frozen=True)
class AuditHeadReached:
    """The audit log's newest event, to be kept where the database cannot change it."""

    channel: str
    seq: int
    hash: str


Event = (
    BuildAnnounced
    | AutoDeployBlocked
    | ApprovalLapsed
    | ReleaseRequested
    | VoteRecorded
    | ReleaseDecided
    | RolloutStarted
    | RolloutProgressed
    | PodTrouble
    | RolloutFinished
    | ExternalChange
    | AuditHeadReached
)


class EventSink(Protocol):
    def publish(self, event: Event) -> None: ...
