"""Every text the Slack surface shows, in one place so they read as a set.

Each says what happened and, where someone has to act, what to do next. Block builders and
the presenter take their words from here and never spell a sentence themselves.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.workflow.approvals import mention
from bot.workflow.model import BuildView, Progress, ReleaseView
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


def who(user_id: str) -> str:
    return f"<@{user_id}>"


def release_title(r: ReleaseView) -> str:
    verb = "Rollback of" if r.kind is ReleaseKind.ROLLBACK else "Release of"
    return f"{verb} *{r.service}* `{r.version}` to *{r.environment}*"


def state_line(r: ReleaseView) -> str:
    line = f"{STATE_LINES[r.state]} — {release_title(r)}"
    return f"{BREAK_GLASS_MARK} {line}" if r.break_glass else line


def fallback_text(r: ReleaseView) -> str:
    """Notification and screen-reader text: plain, no Block Kit needed to understand it."""
    kind = "rollback" if r.kind is ReleaseKind.ROLLBACK else "release"
    text = (
        f"{STATE_LINES[r.state].split(' ', 1)[1]}: {kind} of {r.service} {r.version} "
        f"to {r.environment}"
    )
    return f"🚨 BREAK-GLASS {text} (reason: {r.reason})" if r.break_glass else text


def break_glass_banner(r: ReleaseView) -> str | None:
    """Said loudly in the channel: who broke the glass, why, and what it skips."""
    if not r.break_glass:
        return None
    return (
        f"{BREAK_GLASS_MARK} deploy requested by {who(r.requester.user_id)}\n"
        f"*Reason:* {r.reason}\n"
        "It skips freezes and `promote_from`, needs the break-glass approvers below instead of "
        "the usual ones, and every step is written to the audit log."
    )


def request_details(r: ReleaseView) -> str:
    lines = [f"Requested by {who(r.requester.user_id)}", f"Image `{r.image}`"]
    if r.reason:
        lines.append(f"{'Break-glass reason' if r.break_glass else 'Reason'}: {r.reason}")
    return "\n".join(lines)


def policy_hint(r: ReleaseView) -> str | None:
    """What has to happen next, or None once nobody needs to act."""
    if r.state is ReleaseState.AWAITING_APPROVAL and r.break_glass:
        approvers = ", ".join(mention(a) for a in r.approvers) or "the break-glass approvers"
        return (
            f"Needs {r.required_approvals} break-glass approval(s) from {approvers} "
            f"({len(r.approvals)} so far; the requester's own vote does not count, nor do the "
            "usual approvers unless they are break-glass approvers too). "
            "Press *Approve* or *Reject*, or react with :white_check_mark: / :x: on this message."
        )
    if r.state is ReleaseState.AWAITING_APPROVAL:
        approvers = ", ".join(mention(a) for a in r.approvers) or "the designated approvers"
        have = len(r.approvals)
        return (
            f"Needs {r.required_approvals} approval(s) from {approvers} "
            f"({have} so far; the requester's own vote does not count). "
            "Press *Approve* or *Reject*, or react with :white_check_mark: / :x: on this message."
        )
    if r.state is ReleaseState.REQUESTED and r.policy == "manual":
        return f"{who(r.requester.user_id)}, press *Confirm* to start the rollout or *Cancel*."
    if r.state is ReleaseState.APPROVED and r.policy == "auto":
        return f"*{r.environment}* deploys by itself (policy auto): nobody needs to approve."
    return None


def expiry_hint(r: ReleaseView) -> str | None:
    if r.expires_at is None or not r.active or r.state is ReleaseState.ROLLING_OUT:
        return None
    return f"Expires <!date^{int(r.expires_at.timestamp())}^{{time}}|{r.expires_at:%H:%M} UTC>"


def progress_bar(p: Progress) -> str:
    done = 0 if p.desired <= 0 else min(BAR_WIDTH, round(BAR_WIDTH * p.updated / p.desired))
    return f"`{'█' * done}{'░' * (BAR_WIDTH - done)}` {p.updated}/{p.desired} updated"


def progress_fields(p: Progress) -> list[str]:
    return [
        f"*Desired*\n{p.desired}",
        f"*Updated*\n{p.updated}",
        f"*Ready*\n{p.ready}",
        f"*Available*\n{p.available}",
        f"*Old pods terminating*\n{p.old_pending_termination}",
        f"*maxSurge / maxUnavailable*\n{p.max_surge} / {p.max_unavailable}",
    ]


def duration(seconds: float) -> str:
    s = max(0, round(seconds))
    minutes, s = divmod(s, 60)
    return f"{minutes} min {s} s" if minutes else f"{s} s"


def outcome_detail(r: ReleaseView) -> str | None:
    if r.state is ReleaseState.FAILED:
        why = f"Why: {r.error or 'the rollout did not complete'}."
        if r.rolls_back_on_failure:
            return f"{why} Rolling back to the previous revision by itself (see the thread)."
        return f"{why} Nothing was rolled back: `/rollback {r.service} {r.environment}` undoes it."
    if r.state is ReleaseState.ROLLED_BACK:
        return (
            f"Why: {r.error or 'the rollout did not complete'}. "
            "The previous version runs again; check the pods' logs before trying again."
        )
    return None


# -- thread replies (milestones) --------------------------------------------------------------


def vote_counted(user_id: str, decision: str, r: ReleaseView) -> str:
    return (
        f"{who(user_id)} voted *{decision}* "
        f"({len(r.approvals)} of {r.required_approvals} approvals)."
    )


def vote_not_counted(user_id: str) -> str:
    return f"{who(user_id)}'s vote was withdrawn or was already counted."


def decided(r: ReleaseView, by: str | None) -> str:
    actor = f" by {who(by)}" if by else ""
    if r.state is ReleaseState.APPROVED:
        names = ", ".join(who(u) for u in r.approvals)
        return f":white_check_mark: Approved{actor}" + (f" (approvals: {names})." if names else ".")
    if r.state is ReleaseState.REJECTED:
        return f":no_entry: Rejected{actor}. Nothing was deployed; ask again with `/deploy`."
    if r.state is ReleaseState.EXPIRED:
        return (
            ":hourglass: Expired before it had enough approvals. Nothing was deployed; "
            "ask again with `/deploy` when approvers are around."
        )
    if r.state is ReleaseState.CANCELLED:
        return f":heavy_multiplication_x: Cancelled{actor}. Nothing was deployed."
    return f"{STATE_LINES[r.state]}{actor}."


def rollout_started(r: ReleaseView) -> str:
    rev = f" (revision {r.revision_before} before)" if r.revision_before is not None else ""
    if r.break_glass:
        return (
            f"{BREAK_GLASS_MARK} rollout of *{r.service}* `{r.version}` to *{r.environment}* "
            f"started{rev}, requested by {who(r.requester.user_id)} because: {r.reason}. "
            "Progress is kept up to date in this thread."
        )
    if r.kind is ReleaseKind.ROLLBACK:
        where = "" if r.in_thread_of is not None else " Progress is kept up to date above."
        return (
            f":leftwards_arrow_with_hook: Rollback of *{r.service}* in *{r.environment}* to "
            f"`{r.version}` started{rev}.{where}"
        )
    return f":rocket: Rollout of `{r.image}` started{rev}. Progress is kept up to date above."


def pod_trouble(pod: str, reason: str) -> str:
    return (
        f":warning: Pod `{pod}` is in trouble: *{reason}*. "
        "The rollout keeps waiting until its progress deadline."
    )


def finished(r: ReleaseView) -> str:
    took = ""
    if r.started_at and r.finished_at:
        took = f" in {duration((r.finished_at - r.started_at).total_seconds())}"
    rev = f" Revision {r.revision_after}." if r.revision_after is not None else ""
    if r.state is ReleaseState.SUCCEEDED and r.kind is ReleaseKind.ROLLBACK:
        return (
            f":white_check_mark: Rolled back{took}: `{r.version}` runs again in "
            f"*{r.environment}*.{rev}"
        )
    if r.state is ReleaseState.SUCCEEDED:
        return f":white_check_mark: Finished{took}: `{r.version}` runs in *{r.environment}*.{rev}"
    return f"{STATE_LINES[r.state]}{took}. {outcome_detail(r) or ''}".rstrip()


# -- builds, external changes, home -----------------------------------------------------------


def build_title(b: BuildView) -> str:
    return f":package: New build of *{b.service}*: `{b.version}`"


def build_details(b: BuildView) -> str:
    parts = []
    if b.commit:
        parts.append(f"commit `{b.commit[:12]}`")
    if b.branch:
        parts.append(f"branch `{b.branch}`")
    if b.pipeline_url:
        parts.append(f"<{b.pipeline_url}|pipeline>")
    return " · ".join(parts) or "No commit information from CI."


def changelog(b: BuildView) -> str:
    return "*Changes*\n" + "\n".join(f"• {line}" for line in b.changelog)


def auto_deploys(envs: tuple[str, ...]) -> str:
    names = ", ".join(f"*{e}*" for e in envs)
    return f":robot_face: Deploys by itself to {names} (policy auto); watch for its thread."


def deploy_button(environment: str) -> str:
    return f"Deploy to {environment}"


def build_fallback(b: BuildView) -> str:
    return f"New build of {b.service}: {b.version}"


def external_change(
    service: str,
    environment: str,
    old_image: str,
    new_image: str,
    old_rev: int | None,
    new_rev: int | None,
) -> str:
    revs = f"revision {old_rev or '?'} → {new_rev or '?'}"
    return (
        f":eyes: *{service}* in *{environment}* was changed outside releasebot "
        f"(releasebot did not do it; someone ran kubectl or another tool).\n"
        f"Image `{old_image}` → `{new_image}`, {revs}.\n"
        "If it was not meant to happen, roll back with "
        f"`/rollback {service} {environment}`."
    )


def auto_deploy_blocked(b: BuildView, environment: str, reason: str) -> str:
    return (
        f":no_entry: `{b.version}` of *{b.service}* was *not* deployed to *{environment}* "
        f"by itself: {reason}\nDeploy it by hand with "
        f"`/deploy {b.service} {b.version} to {environment}` once that is resolved."
    )


def approval_lapsed(r: ReleaseView, still_counted: tuple[str, ...]) -> str:
    names = ", ".join(who(u) for u in still_counted) or "none"
    return (
        f":hourglass: The rollout did not start: approvals were checked again and only "
        f"{len(still_counted)} of {r.required_approvals} still count ({names}); an approver "
        "may have left the group. The release waits for approval again."
    )


def since(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "unknown"
    return (
        f"{duration((now - when).total_seconds())} ago"
        if now - when < timedelta(days=1)
        else (f"{when:%Y-%m-%d %H:%M} UTC")
    )


HOME_ROLLING_OUT = "*Rolling out*"
HOME_WAITING = "*Waiting*"
HOME_RUNNING = "*What runs where*"
HOME_NOTHING_ROLLING = "Nothing is rolling out right now."
HOME_NOTHING_WAITING = "No release waits for anyone."
HOME_NOTHING_RUNNING = "releasebot has not seen anything running yet; deploy with `/deploy`."
HOME_FOOTER = "`/deploy help` lists services and environments · `/releases` shows this in a channel"
