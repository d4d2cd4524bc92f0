"""Read-only questions about releases, each answered from one short transaction.

Nothing here changes a row or publishes an event, so a presenter or a slash command can ask as
often as it likes; answers are snapshots built like the ones events carry.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session, col, select

from bot.workflow.database import Database
from bot.workflow.model import ReleaseView, Running
from bot.workflow.requests import lookup
from storage.models import ACTIVE_STATES, Release, ReleaseState
from storage.releases import recent_releases, releases_in_states


@dataclass(frozen=True)
class Queries:
    db: Database

    def release(self, release_id: uuid.UUID) -> ReleaseView:
        with self.db.session() as session:
            return self.db.view(session, self.db.release(session, release_id))

    def release_for_message(self, channel: str, ts: str) -> ReleaseView | None:
        with self.db.session() as session:
            release = session.exec(
                select(Release).where(
                    Release.slack_channel == channel, Release.slack_thread_ts == ts
                )
            ).first()
            return None if release is None else self.db.view(session, release)

    def running(self, service: str | None = None, environment: str | None = None) -> list[Running]:
        found: list[Running] = []
        with self.db.session() as session:
            for name, svc in self.db.config.services.items():
                if service is not None and name != service:
                    continue
                for env in svc.environments_allowed:
                    if environment is not None and env != environment:
                        continue
                    last = last_succeeded(session, name, env)
                    found.append(
                        Running(
                            service=name,
                            environment=env,
                            version=None if last is None else last.version,
                            image=None if last is None else last.image,
                            revision=None if last is None else last.revision_after,
                            since=None if last is None else last.finished_at,
                            by=None if last is None else last.requester_user_id,
                        )
                    )
        return found

    def pending(self) -> list[ReleaseView]:
        with self.db.session() as session:
            rows = releases_in_states(session=session, states=sorted(ACTIVE_STATES))
            return [self.db.view(session, r) for r in rows]

    def history(self, service: str, environment: str, limit: int = 10) -> list[ReleaseView]:
        lookup(self.db.config, service, environment)
        with self.db.session() as session:
            rows = recent_releases(
                session=session, service=service, environment=environment, limit=limit
            )
            return [self.db.view(session, r) for r in rows]


def last_succeeded(
    session: Session, service: str, environment: str, *, besides: uuid.UUID | None = None
) -> Release | None:
    """The release that runs here as far as releasebot knows; ``besides`` leaves one out."""
    statement = select(Release).where(
        Release.service == service,
        Release.environment == environment,
        Release.state == ReleaseState.SUCCEEDED,
    )
    if besides is not None:
        statement = statement.where(col(Release.id) != besides)
    return session.exec(statement.order_by(col(Release.finished_at).desc())).first()
