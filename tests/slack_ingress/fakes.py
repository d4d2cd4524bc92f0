"""A stand-in for ReleaseWorkflow with the methods the Slack surface calls.

It records each call and answers with a plausible ReleaseView; ``gate`` (when set) makes
every state-changing call wait for it, up to ``slow_seconds``, to play a slow cluster or
database. ``refuse`` makes the next calls raise that WorkflowError.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.hooks import BuildAnnouncement
from bot.workflow.errors import WorkflowError
from bot.workflow.model import Actor, BuildView, ReleaseView, Running
from storage.models import ReleaseKind, ReleaseState, VoteDecision

REQUEST_CHANNEL = "C0456API"
REQUEST_TS = "1700000000.000100"


@dataclass
class Call:
    method: str
    kwargs: dict[str, Any]


@dataclass
class FakeWorkflow:
    calls: list[Call] = field(default_factory=list)
    gate: threading.Event | None = None
    slow_seconds: float = 10.0
    refuse: WorkflowError | None = None
    release_id: uuid.UUID = field(default_factory=uuid.uuid4)
    done: threading.Condition = field(default_factory=threading.Condition)

    def wait_for_calls(self, count: int, timeout: float = 5.0) -> list[Call]:
        with self.done:
            self.done.wait_for(lambda: len(self.calls) >= count, timeout=timeout)
            return list(self.calls)

    def _record(self, method: str, **kwargs: Any) -> ReleaseView:
        if self.gate is not None:
            self.gate.wait(self.slow_seconds)
        with self.done:
            self.calls.append(Call(method, kwargs))
            self.done.notify_all()
        if self.refuse is not None:
            raise self.refuse
        return self.view(
            service=kwargs.get("service", "api"),
            environment=kwargs.get("environment", "production"),
        )

    def view(self, *, service: str = "api", environment: str = "production") -> ReleaseView:
        return ReleaseView(
            id=self.release_id,
            service=service,
            environment=environment,
            version="1.4.2",
            image="registry.example.com/shop/api:1.4.2",
            digest="sha256:" + "ab" * 32,
            kind=ReleaseKind.DEPLOY,
            state=ReleaseState.AWAITING_APPROVAL,
            policy="approval",
            requester=Actor("U0ALICE", "T0FAKE"),
            reason=None,
            channel=REQUEST_CHANNEL,
            thread_ts=REQUEST_TS,
            required_approvals=2,
            approvers=("U024BE7LH", "@release-managers"),
            created_at=datetime(2026, 11, 26, 12, 0, tzinfo=UTC),
        )

    def announce_build(self, build: BuildAnnouncement) -> BuildView:
        self._record("announce_build", build=build)
        return BuildView(
            service=build.service,
            version=build.version,
            image=build.image,
            digest="sha256:" + "ab" * 32,
            commit=None,
            branch=None,
            pipeline_url=None,
        )

    def request_deploy(
        self,
        *,
        actor: Actor,
        service: str,
        environment: str,
        target: str,
        reason: str | None = None,
        break_glass: bool = False,
    ) -> ReleaseView:
        return self._record(
            "request_deploy",
            actor=actor,
            service=service,
            environment=environment,
            target=target,
            reason=reason,
            break_glass=break_glass,
        )

    def confirm(self, *, actor: Actor, release_id: uuid.UUID) -> ReleaseView:
        return self._record("confirm", actor=actor, release_id=release_id)

    def vote(self, *, actor: Actor, release_id: uuid.UUID, decision: VoteDecision) -> ReleaseView:
        return self._record("vote", actor=actor, release_id=release_id, decision=decision)

    def withdraw_vote(self, *, actor: Actor, release_id: uuid.UUID) -> ReleaseView:
        return self._record("withdraw_vote", actor=actor, release_id=release_id)

    def cancel(self, *, actor: Actor, release_id: uuid.UUID) -> ReleaseView:
        return self._record("cancel", actor=actor, release_id=release_id)

    def request_rollback(
        self,
        *,
        actor: Actor,
        service: str,
        environment: str,
        to_version: str | None = None,
        to_revision: int | None = None,
    ) -> ReleaseView:
        return self._record(
            "request_rollback",
            actor=actor,
            service=service,
            environment=environment,
            to_version=to_version,
            to_revision=to_revision,
        )

    def release_for_message(self, channel: str, ts: str) -> ReleaseView | None:
        if (channel, ts) == (REQUEST_CHANNEL, REQUEST_TS):
            return self.view()
        return None

    def running(self, service: str | None = None, environment: str | None = None) -> list[Running]:
        return [
            Running(
                service="api",
                environment="production",
                version="1.4.1",
                image="registry.example.com/shop/api:1.4.1",
                revision=7,
                since=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
                by="U0ALICE",
            )
        ]

    def pending(self) -> list[ReleaseView]:
        return [self.view()]

    def history(self, service: str, environment: str, limit: int = 10) -> list[ReleaseView]:
        return [self.view(service=service, environment=environment)]
