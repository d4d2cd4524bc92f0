"""Whether a new Deployment revision is releasebot's own, decided from the database.

Every replica follows the rollouts it starts, but only the leader watches for changes made
outside releasebot; a record of the bot's writes kept in one process's memory would make the
leader report every deploy another replica made, and forget its own after a restart. What
every replica can see instead: the Deployment's ``releasebot/release-id`` annotation, its
new revision and image, and the release rows.

A revision is the bot's own when it is the work of the release that last started in that
service and environment: a deploy names that release in its annotation and runs its digest;
a rollback (an undo restores an older ReplicaSet's annotations, so it names none of its own)
runs the digest the rollback recorded. Once that release has ended, its revision is known
too, so a later revision (a person rolling back by hand to a template the bot once wrote)
is not. Rows move to ``rolling_out`` before the patch, so the check never races the watch.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.images import InvalidImageReference, parse_image
from bot.kube.models import ExternalChange
from storage.models import ReleaseKind
from storage.releases import latest_started


def is_own_change(
    session: Session, *, service: str, environment: str, change: ExternalChange
) -> bool:
    latest = latest_started(session=session, service=service, environment=environment)
    if latest is None:
        return False
    if (
        latest.revision_after is not None
        and change.new_revision is not None
        and latest.revision_after != change.new_revision
    ):
        return False
    digest = _digest(change.new_image)
    if latest.kind is ReleaseKind.ROLLBACK:
        return not latest.digest or digest == latest.digest
    return change.release_id == str(latest.id) and digest == latest.digest


def _digest(image: str) -> str | None:
    try:
        return parse_image(image).digest
    except InvalidImageReference:
        return None
