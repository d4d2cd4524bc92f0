"""Every text the Slack surface shows, in one place so they read as a set.

Each says what happened and, where someone has to act, what to do next. Block builders and
the presenter take their words from here and never spell a sentence themselves.
"""

from __future__ import annotations

from bot.slack.mrkdwn import Mrkdwn, approver, code, date, join, md, user
from bot.workflow.model import Progress, ReleaseView
from storage.models import ReleaseKind, ReleaseState

STATE_LINES: dict[ReleaseState, str] = {
    ReleaseState.REQUESTED: ":hourglass_flowing_sand: Waiting for the requester to confirm",
    ReleaseState.AWAITING_APPROVAL: ":raised_hand: Waiting for approval",
    ReleaseState.APPROVED: ":white_check_mark: Approved, the rollout starts in a moment",
    ReleaseState.ROLLING_OUT: ":rocket: Rolling out",
    ReleaseState.BAKING: ":stopwatch: Rolled out, baking",
    ReleaseState.SUCCEEDED: ":white_check_mark: Succeeded",
    ReleaseState.REJECTED: ":no_entry: Rejected",
    ReleaseState.EXPIRED: ":hourglass: Expired without enough approvals",
    ReleaseState.CANCELLED: ":heavy_multiplication_x: Cancelled",
    ReleaseState.FAILED: ":x: Failed",
    ReleaseState.ROLLED_BACK: ":leftwards_arrow_with_hook: Rolled back",
}
"""The first line of a release message: the state must be clear at a glance."""

BAR_WIDTH = 10

BREAK_GLASS_MARK = ":rotating_light: *BREAK-GLASS*"
"""Leads every line about a break-glass release: an emergency deploy must not look routine."""


def who(user_id: str) -> Mrkdwn:
    return user(user_id)


def release_title(r: ReleaseView) -> Mrkdwn:
    verb = "Rollback of" if r.kind is ReleaseKind.ROLLBACK else "Release of"
    return md(
        "{verb} *{service}* {version} to *{environment}*",
        verb=verb,
        service=r.service,
        version=code(r.version),
        environment=r.environment,
    )


def state_line(r: ReleaseView) -> Mrkdwn:
    line = md("{state} — {title}", state=STATE_LINES[r.state], title=release_title(r))
    return md("{mark} {line}", mark=BREAK_GLASS_MARK, line=line) if r.break_glass else line


def fallback_text(r: ReleaseView) -> Mrkdwn:
    """Notification and screen-reader text: plain, no Block Kit needed to understand it."""
    kind = "rollback" if r.kind is ReleaseKind.ROLLBACK else "release"
    text = md(
        "{state}: {kind} of {service} {version} to {environment}",
        state=STATE_LINES[r.state].split(" ", 1)[1],
        kind=kind,
        service=r.service,
        version=r.version,
        environment=r.environment,
    )
    if r.break_glass:
        return md("🚨 BREAK-GLASS {text} (reason: {reason})", text=text, reason=r.reason)
    return text


def break_glass_banner(r: ReleaseView) -> Mrkdwn | None:
    """Said loudly in the channel: who broke the glass, why, and what it skips."""
    if not r.break_glass:
        return None
    return md(
        "{mark} deploy requested by {who}\n*Reason:* {reason}\n"
        "It skips freezes and `promote_from`, needs the break-glass approvers below instead of "
        "the usual ones, and every step is written to the audit log.",
        mark=BREAK_GLASS_MARK,
        who=who(r.requester.user_id),
        reason=r.reason,
    )


def request_details(r: ReleaseView) -> Mrkdwn:
    lines = [
        md("Requested by {who}", who=who(r.requester.user_id)),
        md("Image {image}", image=code(r.image)),
    ]
    if r.reason:
        label = "Break-glass reason" if r.break_glass else "Reason"
        lines.append(md("{label}: {reason}", label=label, reason=r.reason))
    return join("\n", lines)


def _approvers(names: tuple[str, ...], default: str) -> Mrkdwn:
    return join(", ", (approver(a) for a in names)) if names else md(default)


def policy_hint(r: ReleaseView) -> Mrkdwn | None:
    """What has to happen next, or None once nobody needs to act."""
    if r.state is ReleaseState.AWAITING_APPROVAL and r.break_glass:
        return md(
            "Needs {need} break-glass approval(s) from {approvers} "
            "({have} so far; the requester's own vote does not count, nor do the "
            "usual approvers unless they are break-glass approvers too). "
            "Press *Approve* or *Reject*, or react with :white_check_mark: / :x: on this message.",
            need=r.required_approvals,
            approvers=_approvers(r.approvers, "the break-glass approvers"),
            have=len(r.approvals),
        )
    if r.state is ReleaseState.AWAITING_APPROVAL:
        return md(
            "Needs {need} approval(s) from {approvers} "
            "({have} so far; the requester's own vote does not count). "
            "Press *Approve* or *Reject*, or react with :white_check_mark: / :x: on this message.",
            need=r.required_approvals,
            approvers=_approvers(r.approvers, "the designated approvers"),
            have=len(r.approvals),
        )
    if r.state is ReleaseState.REQUESTED and r.policy == "manual":
        return md(
            "{who}, press *Confirm* to start the rollout or *Cancel*.",
            who=who(r.requester.user_id),
        )
    if r.state is ReleaseState.APPROVED and r.policy == "auto":
        return md(
            "*{environment}* deploys by itself (policy auto): nobody needs to approve.",
            environment=r.environment,
        )
    return None


def expiry_hint(r: ReleaseView) -> Mrkdwn | None:
    if r.expires_at is None or not r.active or r.state is ReleaseState.ROLLING_OUT:
        return None
    at = date(r.expires_at, "{time}", f"{r.expires_at:%H:%M} UTC")
    return md("Expires {at}", at=at)


def progress_bar(p: Progress) -> Mrkdwn:
    done = 0 if p.desired <= 0 else min(BAR_WIDTH, round(BAR_WIDTH * p.updated / p.desired))
    return md(
        "`{bar}` {updated}/{desired} updated",
        bar="█" * done + "░" * (BAR_WIDTH - done),
        updated=p.updated,
        desired=p.desired,
    )


def progress_fields(p: Progress) -> list[Mrkdwn]:
    return [
        md("*Desired*\n{n}", n=p.desired),
        md("*Updated*\n{n}", n=p.updated),
        md("*Ready*\n{n}", n=p.ready),
        md("*Available*\n{n}", n=p.available),
        md("*Old pods terminating*\n{n}", n=p.old_pending_termination),
        md("*maxSurge / maxUnavailable*\n{s} / {u}", s=p.max_surge, u=p.max_unavailable),
    ]


def duration(seconds: float) -> str:
    s = max(0, round(seconds))
    minutes, s = divmod(s, 60)
    return f"{minutes} min {s} s" if minutes else f"{s} s"


def outcome_detail(r: ReleaseView) -> Mrkdwn | None:
    why = md("Why: {error}.", error=r.error or "the rollout did not complete")
    if r.state is ReleaseState.FAILED:
        if r.rolls_back_on_failure:
            return why + " Rolling back to the previous revision by itself (see the thread)."
        return md(
            "{why} Nothing was rolled back: {command} undoes it.",
            why=why,
            command=code(f"/rollback {r.service} {r.environment}"),
        )
    if r.state is ReleaseState.ROLLED_BACK:
        return why + (" The previous version runs again; check the pods' logs before trying again.")
    return None


# -- thread replies (milestones) --------------------------------------------------------------


def vote_counted(user_id: str, decision: str, r: ReleaseView) -> Mrkdwn:
    return md(
        "{who} voted *{decision}* ({have} of {need} approvals).",
        who=who(user_id),
        decision=decision,
        have=len(r.approvals),
        need=r.required_approvals,
    )


def vote_not_counted(user_id: str) -> Mrkdwn:
    return md("{who}'s vote was withdrawn or was already counted.", who=who(user_id))


def decided(r: ReleaseView, by: str | None) -> Mrkdwn:
    actor = md(" by {who}", who=who(by)) if by else md("")
    if r.state is ReleaseState.APPROVED:
        names = join(", ", (who(u) for u in r.approvals))
        listed = md(" (approvals: {names}).", names=names) if r.approvals else md(".")
        return md(":white_check_mark: Approved{actor}{listed}", actor=actor, listed=listed)
    if r.state is ReleaseState.REJECTED:
        return md(
            ":no_entry: Rejected{actor}. Nothing was deployed; ask again with `/deploy`.",
            actor=actor,
        )
    if r.state is ReleaseState.EXPIRED:
        return md(
            ":hourglass: Expired before it had enough approvals. Nothing was deployed; "
            "ask again with `/deploy` when approvers are around."
        )
    if r.state is ReleaseState.CANCELLED:
        return md(":heavy_multiplication_x: Cancelled{actor}. Nothing was deployed.", actor=actor)
    return md("{state}{actor}.", state=STATE_LINES[r.state], actor=actor)


def rollout_started(r: ReleaseView) -> Mrkdwn:
    rev = f" (revision {r.revision_before} before)" if r.revision_before is not None else ""
    if r.break_glass:
        return md(
            "{mark} rollout of *{service}* {version} to *{environment}* started{rev}, "
            "requested by {who} because: {reason}. Progress is kept up to date in this thread.",
            mark=BREAK_GLASS_MARK,
            service=r.service,
            version=code(r.version),
            environment=r.environment,
            rev=rev,
            who=who(r.requester.user_id),
            reason=r.reason,
        )
    if r.kind is ReleaseKind.ROLLBACK:
        where = "" if r.in_thread_of is not None else " Progress is kept up to date above."
        return md(
            ":leftwards_arrow_with_hook: Rollback of *{service}* in *{environment}* to "
            "{version} started{rev}.{where}",
            service=r.service,
            environment=r.environment,
            version=code(r.version),
            rev=rev,
            where=where,
        )
    return md(
        ":rocket: Rollout of {image} started{rev}. Progress is kept up to date above.",
        image=code(r.image),
        rev=rev,
    )


def pod_trouble(pod: str, reason: str) -> Mrkdwn:
    return md(
        ":warning: Pod {pod} is in trouble: *{reason}*. "
        "The rollout keeps waiting until its progress deadline.",
        pod=code(pod),
        reason=reason,
    )


def finished(r: ReleaseView) -> Mrkdwn:
    took = ""
    if r.started_at and r.finished_at:
        took = f" in {duration((r.finished_at - r.started_at).total_seconds())}"
    rev = f" Revision {r.revision_after}." if r.revision_after is not None else ""
    if r.state is ReleaseState.SUCCEEDED and r.kind is ReleaseKind.ROLLBACK:
        return md(
            ":white_check_mark: Rolled back{took}: {version} runs again in *{environment}*.{rev}",
            took=took,
            version=code(r.version),
            environment=r.environment,
            rev=rev,
        )
    if r.state is ReleaseState.SUCCEEDED:
        return md(
            ":white_check_mark: Finished{took}: {version} runs in *{environment}*.{rev}",
            took=took,
            version=code(r.version),
            environment=r.environment,
            rev=rev,
        )
    detail = outcome_detail(r)
    line = md("{state}{took}.", state=STATE_LINES[r.state], took=took)
    return md("{line} {detail}", line=line, detail=detail) if detail else line


def approval_lapsed(r: ReleaseView, still_counted: tuple[str, ...]) -> Mrkdwn:
    return md(
        ":hourglass: The rollout did not start: approvals were checked again and only "
        "{have} of {need} still count ({names}); an approver "
        "may have left the group. The release waits for approval again.",
        have=len(still_counted),
        need=r.required_approvals,
        names=join(", ", (who(u) for u in still_counted)) if still_counted else "none",
    )
