"""Builds announced by CI; a version names exactly one image digest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlmodel import Session, col, select

from storage.errors import BuildConflict
from storage.models import Build, BuildCreate, Release, ReleaseKind
from storage.savepoints import attempt


@dataclass(frozen=True)
class RecordedBuild:
    build: Build
    new: bool
    """False when the same artifact was announced before: ``build`` is the stored row, with
    the time it was first received."""


def record_build(*, session: Session, build_in: BuildCreate, now: datetime) -> RecordedBuild:
    """Store a build; a repeated announcement of the same artifact returns the stored row.

    CI retries its webhook, so the same (service, version, digest) must be harmless; the same
    version with another digest is refused, because approvals are bound to the digest.
    """
    build = Build.model_validate(build_in, update={"received_at": now})
    outcome = attempt(session, partial(_insert, session, build))
    if isinstance(outcome, Build):
        return RecordedBuild(outcome, new=True)
    known = get_build(session=session, service=build_in.service, version=build_in.version)
    if known is None:
        raise outcome
    if known.digest != build_in.digest:
        raise BuildConflict(
            service=build_in.service,
            version=build_in.version,
            known=known.digest,
            announced=build_in.digest,
        ) from outcome
    return RecordedBuild(known, new=False)


def _insert(session: Session, build: Build) -> Build:
    session.add(build)
    return build


def get_build(*, session: Session, service: str, version: str) -> Build | None:
    statement = select(Build).where(Build.service == service, Build.version == version)
    return session.exec(statement).first()


def latest_builds(*, session: Session, service: str, limit: int = 10) -> list[Build]:
    statement = (
        select(Build)
        .where(Build.service == service)
        .order_by(col(Build.received_at).desc(), col(Build.id).desc())
        .limit(limit)
    )
    return list(session.exec(statement).all())


def last_deployed_build(*, session: Session, service: str, environment: str) -> Build | None:
    """The build of the newest deploy requested in ``environment`` (whatever became of it):
    what an automatic deploy must not go back behind."""
    statement = (
        select(Build)
        .join(
            Release,
            (col(Release.service) == col(Build.service))
            & (col(Release.version) == col(Build.version)),
        )
        .where(
            Release.service == service,
            Release.environment == environment,
            Release.kind == ReleaseKind.DEPLOY,
        )
        .order_by(col(Release.created_at).desc())
        .limit(1)
    )
    return session.exec(statement).first()
