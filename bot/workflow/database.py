"""Short transactions that speak the workflow's errors, and snapshots built inside them.

On SQLite every transaction holds the write lock until it ends, so no session is ever held
across a cluster call; storage's errors become the refusals a person can act on.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from bot.config import ReleasebotConfig
from bot.workflow.errors import BadRequest, Conflict, Unavailable
from bot.workflow.model import Progress, ReleaseView
from bot.workflow.views import to_view
from storage.errors import ConnectionLost, DatabaseUnavailable, ReleaseLocked, StaleState
from storage.models import Release
from storage.releases import get_release
from storage.votes import active_votes

log = logging.getLogger(__name__)
T = TypeVar("T")

LOST_CONNECTION_ATTEMPTS = 3
"""How often a unit of work is run when its connection dies under it: a session the server
ended is replaced at the next checkout, so the second attempt normally succeeds."""


class Database:
    def __init__(self, engine: Engine, config: ReleasebotConfig) -> None:
        self.engine = engine
        self.config = config
        self._progress: dict[uuid.UUID, Progress] = {}
        self._lock = threading.Lock()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction, committed on success; nothing it did survives an error."""
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                yield session
                session.commit()
        except DatabaseUnavailable as err:
            raise Unavailable(
                "the release database cannot be reached, so nothing was changed or deployed; "
                "try again in a minute."
            ) from err
        except OperationalError as err:
            raise Unavailable(
                "the release database failed, so nothing was changed or deployed; try again."
            ) from err
        except ReleaseLocked as err:
            raise Conflict(
                f"{err.service} in {err.environment} is held by release {err.holder_id} "
                f"(requested by <@{err.holder_requester}>, {err.holder_state}); wait for it "
                "to finish or cancel it first.",
                mentions=(err.holder_requester,),
            ) from err
        except StaleState as err:
            raise Conflict(
                f"release {err.release_id} is {err.actual or 'gone'} now, not {err.expected}; "
                "someone acted on it first."
            ) from err

    def again_if_lost(self, work: Callable[[], T], what: str) -> T:
        """Run ``work`` (which opens its own sessions) again when a connection died under it.

        The server rolled the interrupted transaction back, so running the work again does
        nothing twice; without this, a rollout caught by a failover would sit until the
        leader's sweep found it. A database that stays down fails as before.
        """
        for attempt in range(1, LOST_CONNECTION_ATTEMPTS + 1):
            try:
                return work()
            except Unavailable as err:
                if attempt == LOST_CONNECTION_ATTEMPTS or not _lost(err):
                    raise
                log.info("the database connection was lost while %s; trying again", what)
        raise AssertionError("unreachable")

    def release(self, session: Session, release_id: uuid.UUID) -> Release:
        release = get_release(session=session, release_id=release_id)
        if release is None:
            raise BadRequest(f"there is no release {release_id}")
        return release

    def view(self, session: Session, release: Release) -> ReleaseView:
        session.flush()
        session.refresh(release)
        with self._lock:
            progress = self._progress.get(release.id)
        votes = active_votes(session=session, release_id=release.id)
        return to_view(
            self.config, release, votes, progress, in_thread_of=_thread_owner(session, release)
        )

    def set_progress(self, release_id: uuid.UUID, progress: Progress) -> None:
        with self._lock:
            self._progress[release_id] = progress


def _lost(err: BaseException) -> bool:
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, ConnectionLost):
            return True
        cause = cause.__cause__
    return False


def _thread_owner(session: Session, release: Release) -> uuid.UUID | None:
    """The release whose message a rollback's thread is, when it is not the rollback's own
    (an automatic rollback reports under the release that failed)."""
    if release.rollback_of is None or release.slack_thread_ts is None:
        return None
    failed = session.get(Release, release.rollback_of)
    if (
        failed is not None
        and failed.slack_thread_ts == release.slack_thread_ts
        and failed.slack_channel == release.slack_channel
    ):
        return failed.id
    return None
