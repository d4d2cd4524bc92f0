"""The tables, one family of classes per entity: ``…Create`` is what callers hand in,
the ``table=True`` class is the row.

Constraints that keep several replicas honest (the one-active-release index, the one-active-
vote index, the audit chain's unique links) are declared here and mirrored by the migration;
``storage.migrate.drift`` proves the two agree.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from storage.columns import UTCDateTime


class ReleaseKind(StrEnum):
    DEPLOY = "deploy"
    ROLLBACK = "rollback"


class ReleaseState(StrEnum):
    REQUESTED = "requested"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    ROLLING_OUT = "rolling_out"
    BAKING = "baking"
    SUCCEEDED = "succeeded"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"


ACTIVE_STATES: frozenset[ReleaseState] = frozenset(
    {
        ReleaseState.REQUESTED,
        ReleaseState.AWAITING_APPROVAL,
        ReleaseState.APPROVED,
        ReleaseState.ROLLING_OUT,
        ReleaseState.BAKING,
    }
)
"""States that hold the (service, environment) slot. ``failed`` does not: a failed release
that must be rolled back does so through a ``rollback`` release, which takes the slot itself."""

TERMINAL_STATES: frozenset[ReleaseState] = frozenset(set(ReleaseState) - ACTIVE_STATES)

ACTIVE_STATES_SQL = "state IN ({})".format(
    ", ".join(f"'{state.value}'" for state in sorted(ACTIVE_STATES))
)

BREAK_GLASS_HAS_REASON_SQL = (
    "NOT break_glass OR (break_glass_reason IS NOT NULL AND length(trim(break_glass_reason)) > 0)"
)


class VoteDecision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Named constraints, so a later migration can drop or alter them on every database."""


def _enum(enum: type[StrEnum], name: str) -> sa.Enum:
    """A VARCHAR with a CHECK constraint: portable, and adding a value needs no ALTER TYPE."""
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def _utc(*, nullable: bool = False, index: bool = False) -> Any:
    column: Column[datetime] = Column(UTCDateTime(), nullable=nullable, index=index)
    if nullable:
        return Field(default=None, sa_column=column)
    return Field(sa_column=column)


# builds


class BuildBase(SQLModel):
    service: str = Field(max_length=100)
    version: str = Field(max_length=128)
    image: str = Field(max_length=512)
    digest: str = Field(max_length=100)
    commit: str | None = Field(default=None, max_length=64)
    branch: str | None = Field(default=None, max_length=255)
    pipeline_url: str | None = Field(default=None, max_length=2048)
    changelog: str | None = Field(default=None, sa_type=sa.Text)


class BuildCreate(BuildBase):
    pass


class Build(BuildBase, table=True):
    __tablename__ = "builds"
    __table_args__ = (sa.UniqueConstraint("service", "version", name="uq_builds_service_version"),)

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = _utc(index=True)


# releases


class ReleaseBase(SQLModel):
    service: str = Field(max_length=100)
    environment: str = Field(max_length=100)
    version: str = Field(max_length=128)
    image: str = Field(max_length=512)
    digest: str = Field(max_length=100)
    kind: ReleaseKind = Field(sa_column=Column(_enum(ReleaseKind, "release_kind"), nullable=False))
    requester_user_id: str = Field(max_length=64)
    requester_team_id: str = Field(max_length=64)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    break_glass: bool = Field(
        default=False,
        sa_column=Column(sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    """An emergency deploy: answers to the environment's break-glass approvers and skips
    freezes and ``promote_from``; ``break_glass_reason`` is then required (a CHECK says so)."""
    break_glass_reason: str | None = Field(default=None, sa_type=sa.Text)
    required_approvals: int = Field(default=0, ge=0)
    revision_before: int | None = None
    rollback_of: uuid.UUID | None = Field(default=None, foreign_key="releases.id")
    """For a rollback: the release it undoes (stopped or failed), moved to ``rolled_back``
    when the rollback succeeds; kept in the row so a restart still knows."""
    rollback_to_revision: int | None = None
    """For a rollback: the Deployment revision to return to, fixed when it was requested."""
    slack_channel: str | None = Field(default=None, max_length=64)
    slack_thread_ts: str | None = Field(default=None, max_length=64)
    expires_at: datetime | None = _utc(nullable=True)


class ReleaseCreate(ReleaseBase):
    state: ReleaseState = ReleaseState.REQUESTED


class Release(ReleaseBase, table=True):
    __tablename__ = "releases"
    __table_args__ = (
        sa.Index(
            "uq_releases_one_active",
            "service",
            "environment",
            unique=True,
            sqlite_where=sa.text(ACTIVE_STATES_SQL),
            postgresql_where=sa.text(ACTIVE_STATES_SQL),
        ),
        sa.Index("ix_releases_service_environment_created", "service", "environment", "created_at"),
        sa.CheckConstraint(BREAK_GLASS_HAS_REASON_SQL, name="break_glass_has_reason"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    state: ReleaseState = Field(
        sa_column=Column(_enum(ReleaseState, "release_state"), nullable=False, index=True)
    )
    revision_after: int | None = None
    error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = _utc()
    updated_at: datetime = _utc()
    started_at: datetime | None = _utc(nullable=True)
    finished_at: datetime | None = _utc(nullable=True)


# votes


class Vote(SQLModel, table=True):
    __tablename__ = "votes"
    __table_args__ = (
        sa.Index(
            "uq_votes_one_active_per_user",
            "release_id",
            "user_id",
            unique=True,
            sqlite_where=sa.text("withdrawn_at IS NULL"),
            postgresql_where=sa.text("withdrawn_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    release_id: uuid.UUID = Field(foreign_key="releases.id", index=True)
    user_id: str = Field(max_length=64)
    team_id: str = Field(max_length=64)
    decision: VoteDecision = Field(
        sa_column=Column(_enum(VoteDecision, "vote_decision"), nullable=False)
    )
    digest: str = Field(max_length=100)
    cast_at: datetime = _utc()
    withdrawn_at: datetime | None = _utc(nullable=True)


# audit events


class AuditEventBase(SQLModel):
    actor_user_id: str | None = Field(default=None, max_length=64)
    actor_team_id: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=64)
    release_id: uuid.UUID | None = Field(default=None, index=True)
    service: str | None = Field(default=None, max_length=100)
    environment: str | None = Field(default=None, max_length=100)
    image: str | None = Field(default=None, max_length=512)
    digest: str | None = Field(default=None, max_length=100)
    revision_before: int | None = None
    revision_after: int | None = None
    approvers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    freeze_decision: str | None = Field(default=None, sa_type=sa.Text)
    break_glass_reason: str | None = Field(default=None, sa_type=sa.Text)
    outcome: str | None = Field(default=None, max_length=64)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class AuditEventCreate(AuditEventBase):
    pass


class AuditEvent(AuditEventBase, table=True):
    """One link of the chain; ``seq`` and ``prev_hash`` are unique so two writers cannot fork it."""

    __tablename__ = "audit_events"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = _utc(index=True)
    prev_hash: str = Field(max_length=64, unique=True)
    hash: str = Field(max_length=64, unique=True)


# processed requests


class ProcessedRequest(SQLModel, table=True):
    """A state-changing request seen once; its primary key makes retries and replays no-ops."""

    __tablename__ = "processed_requests"

    key: str = Field(primary_key=True, max_length=255)
    first_seen_at: datetime = _utc(index=True)
