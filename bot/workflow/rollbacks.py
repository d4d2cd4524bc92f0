"""Where a rollback goes, with kubectl undo's meaning of "the previous revision".

``to_version`` finds the release that ran that version here and the revision whose template
carries it (by the release id annotation, else by digest); ``to_revision`` passes through.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from sqlmodel import Session, col, select

from bot.config import Service
from bot.images import InvalidImageReference, parse_image
from bot.kube.models import HistoryEntry
from bot.workflow.errors import BadRequest, Unavailable
from bot.workflow.ports import RolloutDriver
from storage.models import Release


@dataclass(frozen=True)
class RollbackPlan:
    revision: int
    version: str
    image: str
    digest: str
    entries: tuple[HistoryEntry, ...]

    def to(self, revision: int) -> RollbackPlan:
        for entry in self.entries:
            if entry.revision == revision:
                return replace(
                    self,
                    revision=revision,
                    image=entry.image,
                    digest=_digest(entry.image),
                    version=f"revision {revision}",
                )
        return self


def _digest(image: str) -> str:
    try:
        return parse_image(image).digest or ""
    except InvalidImageReference:
        return ""


def plan_rollback(
    session: Session,
    service: Service,
    environment: str,
    driver: RolloutDriver,
    to_version: str | None,
    to_revision: int | None,
) -> RollbackPlan:
    try:
        current = driver.state(service.deployment, service.container_name).revision
        entries = driver.history(service.deployment, service.container_name).entries
    except Exception as err:
        raise Unavailable(
            f"cannot read {service.deployment} in {environment}: {err}; nothing was changed."
        ) from err
    if to_version is not None:
        entry = _entry_for_version(session, service.name, environment, to_version, entries)
    elif to_revision is not None:
        found = next((e for e in entries if e.revision == to_revision), None)
        if found is None:
            raise BadRequest(
                f"{service.deployment} has no revision {to_revision} in {environment}; "
                f"revisions: {', '.join(str(e.revision) for e in entries) or 'none'}."
            )
        entry = found
    else:
        older = [e for e in entries if current is None or e.revision < current]
        if not older:
            raise BadRequest(f"{service.name} has no earlier revision in {environment}.")
        entry = max(older, key=lambda e: e.revision)
    version = to_version or _version_of(session, service.name, environment, entry)
    return RollbackPlan(
        revision=entry.revision,
        version=version,
        image=entry.image,
        digest=_digest(entry.image),
        entries=tuple(entries),
    )


def _entry_for_version(
    session: Session,
    service: str,
    environment: str,
    version: str,
    entries: tuple[HistoryEntry, ...],
) -> HistoryEntry:
    ran = session.exec(
        select(Release)
        .where(
            Release.service == service,
            Release.environment == environment,
            Release.version == version,
            col(Release.revision_after).is_not(None),
        )
        .order_by(col(Release.created_at).desc())
    ).all()
    for release in ran:
        for entry in sorted(entries, key=lambda e: -e.revision):
            if entry.release_id == str(release.id) or (
                release.digest and _digest(entry.image) == release.digest
            ):
                return entry
    raise BadRequest(
        f"{service} {version} never ran in {environment} or is no longer in the Deployment's "
        "revision history; use `/releases history` to see what did."
    )


def _version_of(session: Session, service: str, environment: str, entry: HistoryEntry) -> str:
    if entry.release_id:
        try:
            release_id = uuid.UUID(entry.release_id)
        except ValueError:
            return f"revision {entry.revision}"
        release = session.get(Release, release_id)
        if release is not None:
            return release.version
    return f"revision {entry.revision}"
