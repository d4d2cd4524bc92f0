"""What the Slack surface asks of the release workflow.

``bot.releases.ReleaseWorkflow`` satisfies it; the Slack tests use a small fake with the same
methods. Listeners and slash commands only translate a request into one of these calls.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Protocol

from bot.workflow.model import Actor, BuildOutcome, ReleaseView, Running
from storage.models import VoteDecision

if TYPE_CHECKING:
    from bot.hooks import BuildAnnouncement


class Workflow(Protocol):
    def announce_build(
        self, build: BuildAnnouncement, *, delivery: str | None = None
    ) -> BuildOutcome: ...

    def request_deploy(
        self,
        *,
        actor: Actor,
        service: str,
        environment: str,
        target: str,
        reason: str | None = None,
        break_glass: bool = False,
    ) -> ReleaseView: ...

    def confirm(self, *, actor: Actor, release_id: uuid.UUID) -> ReleaseView: ...

    def vote(
        self, *, actor: Actor, release_id: uuid.UUID, decision: VoteDecision
    ) -> ReleaseView: ...

    def withdraw_vote(self, *, actor: Actor, release_id: uuid.UUID) -> ReleaseView: ...

    def cancel(self, *, actor: Actor, release_id: uuid.UUID) -> ReleaseView: ...

    def request_rollback(
        self,
        *,
        actor: Actor,
        service: str,
        environment: str,
        to_version: str | None = None,
        to_revision: int | None = None,
    ) -> ReleaseView: ...

    def release_for_message(self, channel: str, ts: str) -> ReleaseView | None: ...

    def running(
        self, service: str | None = None, environment: str | None = None
    ) -> list[Running]: ...

    def pending(self) -> list[ReleaseView]: ...

    def history(self, service: str, environment: str, limit: int = 10) -> list[ReleaseView]: ...
