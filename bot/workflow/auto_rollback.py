"""After a failed deploy: going back by itself, where the environment says ``on_failure:
rollback``.

The undo is a release of its own (kind ``rollback``, approved, requested by the bot) in the
failed release's thread, so it is audited, followed and reported like any other; the runner
that saw the failure runs it at once.
"""

from __future__ import annotations

import logging
import uuid

from bot.clock import Clock
from bot.config import ReleasebotConfig
from bot.images import parse_image
from bot.workflow import audit
from bot.workflow.database import Database
from bot.workflow.model import Actor
from bot.workflow.ports import ClusterProvider
from bot.workflow.queries import last_succeeded
from storage.models import Release, ReleaseCreate, ReleaseKind, ReleaseState
from storage.releases import create_release

log = logging.getLogger(__name__)


def wanted(config: ReleasebotConfig, ended: Release) -> bool:
    """Whether this ending calls for an automatic rollback: a deploy that failed, in an
    environment that rolls back on failure (a failed rollback is never undone again)."""
    return (
        ended.state is ReleaseState.FAILED
        and ended.kind is ReleaseKind.DEPLOY
        and config.environment(ended.environment).on_failure == "rollback"
    )


def open_rollback(
    *, db: Database, clusters: ClusterProvider, clock: Clock, bot: Actor, failed: Release
) -> uuid.UUID:
    """Record the rollback of ``failed`` to the revision before it, approved; returns its id."""
    version, image, digest = _undo_target(db=db, clusters=clusters, failed=failed)
    with db.session() as session:
        rollback = create_release(
            session=session,
            release_in=ReleaseCreate(
                service=failed.service,
                environment=failed.environment,
                version=version,
                image=image,
                digest=digest,
                kind=ReleaseKind.ROLLBACK,
                requester_user_id=bot.user_id,
                requester_team_id=bot.team_id,
                reason=f"automatic rollback of release {failed.id}: {failed.error}",
                slack_channel=failed.slack_channel,
                slack_thread_ts=failed.slack_thread_ts,
                state=ReleaseState.APPROVED,
                rollback_of=failed.id,
                rollback_to_revision=failed.revision_before,
            ),
            now=clock.now(),
        )
        audit.record(
            session,
            action="rollback_requested",
            release=rollback,
            actor=bot,
            now=clock.now(),
            rollback_of=str(failed.id),
        )
    return rollback.id


def _undo_target(
    *, db: Database, clusters: ClusterProvider, failed: Release
) -> tuple[str, str, str]:
    """What runs once the undo is done: the rollback row records that artifact, so
    ``running()`` and promotion never see the digest that just failed.

    The release that last succeeded here is it; without one (the first release failed),
    the Deployment's own history for ``revision_before`` says which image that was.
    """
    with db.session() as session:
        previous = last_succeeded(session, failed.service, failed.environment, besides=failed.id)
    if previous is not None:
        return previous.version, previous.image, previous.digest
    version = f"revision {failed.revision_before}"
    service = db.config.service(failed.service)
    try:
        entries = (
            clusters.driver(failed.environment)
            .history(service.deployment, service.container_name)
            .entries
        )
    except Exception:
        log.exception("cannot read the history of %s to name the undo", service.deployment)
        entries = ()
    for entry in entries:
        if entry.revision == failed.revision_before:
            return version, entry.image, parse_image(entry.image).digest or ""
    return version, "", ""
