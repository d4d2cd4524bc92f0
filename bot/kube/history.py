"""`kubectl rollout history` for a Deployment, with the image and release of each revision."""

from __future__ import annotations

from bot.kube.connection import Connection
from bot.kube.errors import Where
from bot.kube.fetching import get_deployment, owned_replicasets
from bot.kube.models import CHANGE_CAUSE, RELEASE_ID, History, HistoryEntry
from bot.kube.status import container_image, revision_of


def history(conn: Connection, where: Where, deployment: str, container: str) -> History:
    current = get_deployment(conn, where, deployment)
    by_revision: dict[int, HistoryEntry] = {}
    for rs in owned_replicasets(conn, where, current):
        revision = revision_of(rs)
        if revision is None:
            continue
        annotations = rs.get("metadata", {}).get("annotations") or {}
        by_revision[revision] = HistoryEntry(
            revision=revision,
            change_cause=annotations.get(CHANGE_CAUSE) or "<none>",
            image=container_image(rs, container) or "",
            release_id=annotations.get(RELEASE_ID),
        )
    entries = tuple(by_revision[r] for r in sorted(by_revision))
    return History(deployment=deployment, entries=entries)
