"""How a rollout ends: one compare-and-set with its audit event, then ``RolloutFinished``.

A release that someone else moved first (a rollback stopped it, another runner ended it) is
left alone: whoever moved it owns its ending, so losing the compare-and-set is not an error.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from bot.clock import Clock
from bot.workflow import audit
from bot.workflow.database import Database
from bot.workflow.errors import WorkflowError
from bot.workflow.events import EventSink, RolloutFinished
from bot.workflow.model import ReleaseView
from storage.models import Release, ReleaseKind, ReleaseState
from storage.releases import transition_release


@dataclass(frozen=True, kw_only=True)
class Endings:
    db: Database
    clock: Clock
    events: EventSink
    then: Callable[[Release], None]
    """Told of each rollout this ended, once published (the runner's automatic rollback)."""

    def finish(
        self,
        release_id: uuid.UUID,
        state: ReleaseState,
        *,
        revision: int | None = None,
        error: str | None = None,
    ) -> None:
        """End a release the runner follows; a rollback that succeeded also marks the
        release it undid as rolled back."""
        release = self.end(
            release_id,
            expected=ReleaseState.ROLLING_OUT,
            new=state,
            revision=revision,
            error=error,
        )
        if release is None:
            return
        if (
            release.kind is ReleaseKind.ROLLBACK
            and state is ReleaseState.SUCCEEDED
            and release.rollback_of is not None
        ):
            self.end(
                release.rollback_of,
                expected=ReleaseState.FAILED,
                new=ReleaseState.ROLLED_BACK,
                revision=release.revision_after,
                action="rolled_back",
                by_release=str(release.id),
            )
        self.then(release)

    def end(
        self,
        release_id: uuid.UUID,
        *,
        expected: ReleaseState,
        new: ReleaseState,
        revision: int | None = None,
        error: str | None = None,
        action: str | None = None,
        by_release: str | None = None,
    ) -> Release | None:
        """Move ``expected`` to ``new`` (the audit action is ``rollout_<new>`` unless named)
        and publish it; ``None`` when the release had moved on."""

        def move() -> tuple[Release, ReleaseView]:
            with self.db.session() as session:
                release = transition_release(
                    session=session,
                    release_id=release_id,
                    expected=expected,
                    new=new,
                    now=self.clock.now(),
                    revision_after=revision,
                    error=error,
                )
                audit.record(
                    session,
                    action=action or f"rollout_{new.value}",
                    release=release,
                    actor=None,
                    now=self.clock.now(),
                    error=error,
                    by_release=by_release,
                )
                return release, self.db.view(session, release)

        try:
            release, view = self.db.again_if_lost(move, f"ending release {release_id}")
        except WorkflowError:
            return None
        self.events.publish(RolloutFinished(view))
        return release
