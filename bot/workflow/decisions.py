"""Deciding a release that waits: confirmation, votes, cancellation, expiry, lapsed approvals.

Each decision is one transaction that commits the new state with its audit event; events are
published after the commit, and a release that ends up approved is handed to ``start`` (the
runner) only then. The rule and its groups' members are read before a transaction opens, so
the write lock is never held while the group directory answers.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.clock import Clock
from bot.config import Approvals
from bot.workflow import audit
from bot.workflow.approvals import ResolvedGroups, counted_approvals, describe, is_eligible
from bot.workflow.database import Database
from bot.workflow.errors import Conflict, NotAllowed
from bot.workflow.events import ApprovalLapsed, EventSink, ReleaseDecided, VoteRecorded
from bot.workflow.model import Actor, ReleaseView
from bot.workflow.ports import GroupDirectory
from bot.workflow.views import approvals_for
from storage.models import Release, ReleaseState, VoteDecision
from storage.releases import releases_in_states
from storage.votes import active_votes, cast_vote, withdraw_vote

BEFORE_START = (ReleaseState.REQUESTED, ReleaseState.AWAITING_APPROVAL, ReleaseState.APPROVED)
WAITING = (ReleaseState.REQUESTED, ReleaseState.AWAITING_APPROVAL)


@dataclass(frozen=True, kw_only=True)
class Decisions:
    db: Database
    clock: Clock
    events: EventSink
    groups: GroupDirectory
    start: Callable[[uuid.UUID], None]
    """Hands an approved release to the runner, after its events are published."""

    def confirm(self, *, actor: Actor, release_id: uuid.UUID) -> ReleaseView:
        if self._expire_if_due(release_id) is not None:
            raise Conflict(
                f"release {release_id} expired before it was confirmed; request it again."
            )
        now = self.clock.now()
        with self.db.session() as session:
            release = self.db.release(session, release_id)
            _check_requester(release, actor, "confirm")
            if release.state is not ReleaseState.REQUESTED:
                raise Conflict(
                    f"release {release_id} is {release.state.value}; nothing to confirm."
                )
            view = self._decide(
                session, release, ReleaseState.APPROVED, action="confirmed", actor=actor, now=now
            )
        self.events.publish(ReleaseDecided(view, actor))
        self.start(release_id)
        return view

    def vote(self, *, actor: Actor, release_id: uuid.UUID, decision: VoteDecision) -> ReleaseView:
        """A vote is idempotent (the same voter's second vote is not counted again), so one
        whose connection died under it is simply cast again."""
        return self.db.again_if_lost(
            lambda: self._vote(actor=actor, release_id=release_id, decision=decision),
            f"recording a vote on release {release_id}",
        )

    def _vote(self, *, actor: Actor, release_id: uuid.UUID, decision: VoteDecision) -> ReleaseView:
        now = self.clock.now()
        approved = False
        expired = self._expire_if_due(release_id)
        if expired is not None:
            raise Conflict(
                f"release {release_id} expired at {expired.expires_at:%Y-%m-%d %H:%M %Z} before "
                "your vote, so it no longer counts; request the release again."
            )
        with self.db.session() as session:
            rule = approvals_for(self.db.config, self.db.release(session, release_id))
        groups = ResolvedGroups(rule, self.groups) if rule is not None else self.groups
        with self.db.session() as session:
            release = self.db.release(session, release_id)
            if release.state is not ReleaseState.AWAITING_APPROVAL:
                raise Conflict(
                    f"release {release_id} is {release.state.value}; it is not waiting for votes."
                )
            if rule is None:
                which = "break_glass" if release.break_glass else "approvals"
                raise Conflict(
                    f"release {release_id} waits for approvers that releasebot.yml no longer "
                    f"names ({release.environment} has no `{which}` now): restore it, or "
                    "cancel this release and request it again."
                )
            _check_voter(rule, groups, release, actor)
            cast = cast_vote(
                session=session,
                release_id=release_id,
                user_id=actor.user_id,
                team_id=actor.team_id,
                decision=decision,
                digest=release.digest,
                now=now,
            )
            if cast.created:
                audit.record(
                    session, action=f"vote_{decision.value}", release=release, actor=actor, now=now
                )
            decided: ReleaseState | None = None
            counted: list[str] = []
            if cast.created and decision is VoteDecision.REJECT:
                decided = ReleaseState.REJECTED
            elif cast.created:
                counted = _counted(session, rule, groups, release)
                if len(counted) >= release.required_approvals:
                    decided = ReleaseState.APPROVED
            if decided is not None:
                release = audit.transition(
                    session,
                    release_id,
                    expected=ReleaseState.AWAITING_APPROVAL,
                    new=decided,
                    action=decided.value,
                    actor=actor,
                    now=now,
                    approvers=counted,
                )
                approved = decided is ReleaseState.APPROVED
            view = self.db.view(session, release)
        self.events.publish(VoteRecorded(view, actor, cast.created))
        if decided is not None:
            self.events.publish(ReleaseDecided(view, actor))
        if approved:
            self.start(release_id)
        return view

    def withdraw_vote(self, *, actor: Actor, release_id: uuid.UUID) -> ReleaseView:
        now = self.clock.now()
        with self.db.session() as session:
            release = self.db.release(session, release_id)
            if release.state is not ReleaseState.AWAITING_APPROVAL:
                raise Conflict(
                    f"release {release_id} is {release.state.value}; votes can only be "
                    "withdrawn before the rollout starts."
                )
            withdrawn = withdraw_vote(
                session=session, release_id=release_id, user_id=actor.user_id, now=now
            )
            if withdrawn:
                audit.record(
                    session, action="vote_withdrawn", release=release, actor=actor, now=now
                )
            view = self.db.view(session, release)
        self.events.publish(VoteRecorded(view, actor, False))
        return view

    def cancel(self, *, actor: Actor, release_id: uuid.UUID) -> ReleaseView:
        now = self.clock.now()
        with self.db.session() as session:
            release = self.db.release(session, release_id)
            _check_requester(release, actor, "cancel")
            if release.state not in BEFORE_START:
                raise Conflict(
                    f"release {release_id} is {release.state.value}; it can only be cancelled "
                    "before the rollout starts (use /rollback after that)."
                )
            view = self._decide(
                session, release, ReleaseState.CANCELLED, action="cancelled", actor=actor, now=now
            )
        self.events.publish(ReleaseDecided(view, actor))
        return view

    def expire_due(self) -> list[ReleaseView]:
        """One transaction per release: one that a vote, a cancel or another replica's job
        changed first is skipped, never a reason to undo the others."""
        now = self.clock.now()
        with self.db.session() as session:
            waiting = releases_in_states(session=session, states=list(WAITING))
        expired: list[ReleaseView] = []
        for release in waiting:
            if release.expires_at is None or release.expires_at > now:
                continue
            try:
                view = self._expire_if_due(release.id)
            except Conflict:
                continue
            if view is not None:
                expired.append(view)
        return expired

    def _expire_if_due(self, release_id: uuid.UUID) -> ReleaseView | None:
        """Expire a waiting release whose deadline has passed, as the periodic job would:
        a vote landing between the deadline and the job's next run must not count."""
        now = self.clock.now()
        with self.db.session() as session:
            release = self.db.release(session, release_id)
            if (
                release.state not in WAITING
                or release.expires_at is None
                or release.expires_at > now
            ):
                return None
            view = self._decide(
                session, release, ReleaseState.EXPIRED, action="expired", actor=None, now=now
            )
        self.events.publish(ReleaseDecided(view, None))
        return view

    def _decide(
        self,
        session: Session,
        release: Release,
        new: ReleaseState,
        *,
        action: str,
        actor: Actor | None,
        now: datetime,
    ) -> ReleaseView:
        done = audit.transition(
            session,
            release.id,
            expected=release.state,
            new=new,
            action=action,
            actor=actor,
            now=now,
        )
        return self.db.view(session, done)


def lapse_if_short(
    session: Session,
    *,
    db: Database,
    clock: Clock,
    release: Release,
    groups: GroupDirectory,
) -> ApprovalLapsed | None:
    """Count the approvals of an approved release again (group membership may have changed
    since the vote); too few sends it back to ``awaiting_approval`` and says so."""
    rule = approvals_for(db.config, release)
    if not release.required_approvals:
        return None
    # A rule gone from the configuration (say break_glass removed) leaves nobody counted.
    counted = [] if rule is None else _counted(session, rule, groups, release)
    if len(counted) >= release.required_approvals:
        return None
    lapsed = audit.transition(
        session,
        release.id,
        expected=ReleaseState.APPROVED,
        new=ReleaseState.AWAITING_APPROVAL,
        action="approval_lapsed",
        actor=None,
        now=clock.now(),
        approvers=counted,
    )
    return ApprovalLapsed(db.view(session, lapsed), tuple(counted))


def _counted(
    session: Session, rule: Approvals, groups: GroupDirectory, release: Release
) -> list[str]:
    votes = active_votes(session=session, release_id=release.id, digest=release.digest)
    return counted_approvals(
        rule, groups, votes, requester=release.requester_user_id, digest=release.digest
    )


def _check_requester(release: Release, actor: Actor, verb: str) -> None:
    if actor.user_id != release.requester_user_id:
        raise NotAllowed(
            f"only <@{release.requester_user_id}>, who asked for this release, can {verb} it.",
            mentions=(release.requester_user_id,),
        )


def _check_voter(rule: Approvals, groups: GroupDirectory, release: Release, actor: Actor) -> None:
    """Refuse a vote from the requester or from someone the rule does not name."""
    if actor.user_id == release.requester_user_id:
        raise NotAllowed(
            "you requested this release, so you cannot approve or reject it"
            + (", not even as a break-glass co-signer" if release.break_glass else "")
            + f"; ask one of {describe(rule)}.",
            mentions=tuple(rule.approvers),
        )
    if not is_eligible(rule, groups, actor.user_id):
        if release.break_glass:
            raise NotAllowed(
                f"this is a break-glass deploy of {release.service} to "
                f"{release.environment}, and you are not one of its break-glass "
                f"approvers ({describe(rule)}); the normal approvers do not count for it.",
                mentions=tuple(rule.approvers),
            )
        raise NotAllowed(
            f"you are not an approver for {release.service} in {release.environment}; "
            f"approvers are {describe(rule)}.",
            mentions=tuple(rule.approvers),
        )
