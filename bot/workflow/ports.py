"""What the workflow needs from outside, as protocols it is tested against with plain fakes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from bot.kube.models import (
    DeploymentState,
    DeployResult,
    ExternalChange,
    History,
    RolloutEvent,
    UndoResult,
)


class GroupDirectory(Protocol):
    """Members of a Slack user group (``usergroups.users.list``), asked at vote time and
    again before a rollout starts."""

    def members(self, group: str) -> frozenset[str]: ...


class RolloutDriver(Protocol):
    """The part of :class:`bot.kube.driver.Cluster` (one namespace) the workflow drives.

    Declared here with kube's value types so the workflow never imports the kubernetes client;
    the sim-backed tests use the real driver through :mod:`bot.kube.clusters`.
    """

    def state(self, deployment: str, container: str | None = None) -> DeploymentState: ...

    def history(self, deployment: str, container: str | None = None) -> History: ...

    def deploy(
        self,
        deployment: str,
        *,
        image: str,
        change_cause: str,
        release_id: str,
        container: str | None = None,
    ) -> DeployResult: ...

    def undo(self, deployment: str, to_revision: int | None = None) -> UndoResult: ...

    def watch_rollout(
        self, deployment: str, *, timeout: float, container: str | None = None
    ) -> Iterator[RolloutEvent]: ...

    def external_changes(self, deployments: dict[str, str]) -> Iterator[ExternalChange]:
        """Changes to these Deployments (name → container) the bot did not make; subscribes
        before returning and runs until the cluster connection closes."""
        ...


class ClusterProvider(Protocol):
    """One driver per environment (its cluster and namespace from releasebot.yml)."""

    def driver(self, environment: str) -> RolloutDriver: ...

    def close(self) -> None: ...
