"""Values that leave bot.kube: frozen, typed, free of kubernetes client objects.

The release workflow and the Slack layer consume these without importing kubernetes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

CHANGE_CAUSE = "kubernetes.io/change-cause"
RELEASE_ID = "releasebot/release-id"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
POD_TEMPLATE_HASH = "pod-template-hash"


@dataclass(frozen=True)
class DeploymentState:
    name: str
    namespace: str
    container: str
    revision: int | None
    image: str
    release_id: str | None
    change_cause: str | None
    paused: bool
    generation: int
    observed_generation: int


@dataclass(frozen=True)
class DeployResult:
    """``changed`` is False when the same release was already there (nothing was patched)."""

    changed: bool
    deployment: str
    image: str
    previous_image: str
    previous_revision: int | None
    generation: int


class UndoOutcome(Enum):
    ROLLED_BACK = "rolled back"
    SKIPPED = "skipped rollback"


@dataclass(frozen=True)
class UndoResult:
    outcome: UndoOutcome
    deployment: str
    to_revision: int
    """The revision whose template is now (or already was) the Deployment's."""
    message: str
    """kubectl's words: ``rolled back`` or ``skipped rollback (current template ...)``."""


@dataclass(frozen=True)
class HistoryEntry:
    revision: int
    change_cause: str
    """``<none>`` when the ReplicaSet has no change-cause, as kubectl prints it."""
    image: str
    release_id: str | None


@dataclass(frozen=True)
class History:
    deployment: str
    entries: tuple[HistoryEntry, ...]

    def render(self) -> str:
        """kubectl's table, or its message when there is nothing."""
        if not self.entries:
            return "No rollout history found."
        lines = ["REVISION  CHANGE-CAUSE"]
        lines += [f"{e.revision:<9} {e.change_cause}" for e in self.entries]
        return "\n".join(lines)


@dataclass(frozen=True)
class Strategy:
    """The rolling-update numbers in force, resolved from percentages against spec.replicas."""

    type: str
    max_surge: int
    max_unavailable: int
    min_ready_seconds: int
    progress_deadline_seconds: int | None


@dataclass(frozen=True)
class ReplicaCounts:
    desired: int
    updated: int
    ready: int
    available: int
    total: int
    old_pending_termination: int


class Verdict(Enum):
    WAITING = "waiting"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class RolloutStatus:
    """kubectl rollout status's reading of one Deployment: its exact message and the verdict."""

    verdict: Verdict
    message: str

    @property
    def done(self) -> bool:
        return self.verdict is not Verdict.WAITING


# -- events a rollout watch yields -------------------------------------------------------


@dataclass(frozen=True)
class RolloutProgress:
    deployment: str
    message: str
    verdict: Verdict
    revision: int | None
    counts: ReplicaCounts
    strategy: Strategy


@dataclass(frozen=True)
class ReplicaSetChanged:
    deployment: str
    name: str
    change: str  # ADDED | MODIFIED | DELETED
    revision: int | None
    image: str
    replicas: int
    ready: int
    available: int


@dataclass(frozen=True)
class PodChanged:
    deployment: str
    name: str
    replica_set: str
    change: str  # ADDED | MODIFIED | DELETED
    phase: str
    ready: bool
    waiting_reason: str | None
    restarts: int


@dataclass(frozen=True)
class RolloutSucceeded:
    deployment: str
    message: str
    revision: int | None


@dataclass(frozen=True)
class RolloutFailed:
    deployment: str
    message: str
    revision: int | None


@dataclass(frozen=True)
class RolloutTimedOut:
    deployment: str
    message: str
    last_status: str


@dataclass(frozen=True)
class ExternalChange:
    """The Deployment's template moved and the bot did not do it (kubectl by hand, CI...)."""

    deployment: str
    old_revision: int | None
    new_revision: int | None
    old_image: str
    new_image: str
    release_id: str | None


RolloutEvent = (
    RolloutProgress
    | ReplicaSetChanged
    | PodChanged
    | RolloutSucceeded
    | RolloutFailed
    | RolloutTimedOut
)


class WatchStopped(Exception):
    """Following a rollout ended because the bot closed its watches; the rollout itself goes
    on in the cluster and is followed again after a restart. Not a cluster error, so it is
    defined here, where callers that must not import the client can catch it."""
