"""Workflow snapshots and events as ReleaseWorkflow publishes them, built by hand."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Any

from bot.workflow.model import Actor, BuildView, Progress, ReleaseView, VoteView
from storage.models import ReleaseKind, ReleaseState, VoteDecision

CHANNEL = "C0API"
TEAM = "T0FAKE"
REQUESTER = Actor("U0REQ", TEAM)
DIGEST = "sha256:" + "ab" * 32


class Memory:
    """Stands in for ReleaseWorkflow.remember_message, the presenter's only call back."""

    def __init__(self) -> None:
        self.remembered: dict[uuid.UUID, tuple[str, str]] = {}

    def remember_message(self, release_id: uuid.UUID, channel: str, ts: str) -> None:
        self.remembered[release_id] = (channel, ts)


def release(state: ReleaseState = ReleaseState.AWAITING_APPROVAL, **changes: Any) -> ReleaseView:
    base = ReleaseView(
        id=uuid.UUID(int=1),
        service="api",
        environment="production",
        version="1.4.2",
        image=f"registry.example.com/api@{DIGEST}",
        digest=DIGEST,
        kind=ReleaseKind.DEPLOY,
        state=state,
        policy="approval",
        requester=REQUESTER,
        reason="fix checkout",
        channel=CHANNEL,
        thread_ts=None,
        required_approvals=2,
        approvers=("@release-managers", "U0BOSS"),
    )
    return dataclasses.replace(base, **changes)


def progress(updated: int, desired: int = 10, **changes: Any) -> Progress:
    base = Progress(
        message=f'Waiting for deployment "api" rollout to finish: {updated} of {desired} '
        "updated replicas are available...",
        desired=desired,
        updated=updated,
        ready=updated,
        available=updated,
        old_pending_termination=0,
        max_surge=3,
        max_unavailable=2,
    )
    return dataclasses.replace(base, **changes)


def vote(user: str, at: datetime, decision: VoteDecision = VoteDecision.APPROVE) -> VoteView:
    return VoteView(user, decision, at)


def build(**changes: Any) -> BuildView:
    base = BuildView(
        service="api",
        version="1.4.2",
        image=f"registry.example.com/api@{DIGEST}",
        digest=DIGEST,
        commit="0123456789abcdef0123",
        branch="main",
        pipeline_url="https://ci.example.com/pipelines/42",
        changelog=("Faster checkout", "Fix currency rounding"),
        channel=CHANNEL,
        environments=("staging", "production"),
    )
    return dataclasses.replace(base, **changes)
