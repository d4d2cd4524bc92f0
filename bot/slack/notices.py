"""The texts the bot posts in a channel outside a release's thread: build announcements,
changes made outside releasebot, refused automatic deploys, the audit head, and the App
Home. The release messages and their threads are in ``bot.slack.messages``."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.slack.messages import duration, who
from bot.slack.mrkdwn import Mrkdwn, code, from_workflow, join, link, md
from bot.workflow.model import BuildView


def build_title(b: BuildView) -> Mrkdwn:
    return md(
        ":package: New build of *{service}*: {version}",
        service=b.service,
        version=code(b.version),
    )


def build_details(b: BuildView) -> Mrkdwn:
    parts: list[Mrkdwn] = []
    if b.commit:
        parts.append(md("commit {commit}", commit=code(b.commit[:12])))
    if b.branch:
        parts.append(md("branch {branch}", branch=code(b.branch)))
    if b.pipeline_url:
        parts.append(link(b.pipeline_url, "pipeline"))
    return join(" · ", parts) if parts else md("No commit information from CI.")


def changelog(b: BuildView) -> Mrkdwn:
    return md("*Changes*\n{lines}", lines=join("\n", (md("• {line}", line=x) for x in b.changelog)))


def auto_deploys(envs: tuple[str, ...]) -> Mrkdwn:
    return md(
        ":robot_face: Deploys by itself to {names} (policy auto); watch for its thread.",
        names=join(", ", (md("*{e}*", e=e) for e in envs)),
    )


def deploy_button(environment: str) -> str:
    """Button labels are plain_text: Slack shows them as they are, so nothing is escaped."""
    return f"Deploy to {environment}"


def build_fallback(b: BuildView) -> Mrkdwn:
    return md("New build of {service}: {version}", service=b.service, version=b.version)


def external_change(
    service: str,
    environment: str,
    old_image: str,
    new_image: str,
    old_rev: int | None,
    new_rev: int | None,
) -> Mrkdwn:
    return md(
        ":eyes: *{service}* in *{environment}* was changed outside releasebot "
        "(releasebot did not do it; someone ran kubectl or another tool).\n"
        "Image {old} → {new}, revision {old_rev} → {new_rev}.\n"
        "If it was not meant to happen, roll back with {command}.",
        service=service,
        environment=environment,
        old=code(old_image),
        new=code(new_image),
        old_rev=old_rev or "?",
        new_rev=new_rev or "?",
        command=code(f"/rollback {service} {environment}"),
    )


def auto_deploy_blocked(
    b: BuildView, environment: str, reason: str, mentions: tuple[str, ...]
) -> Mrkdwn:
    return md(
        ":no_entry: {version} of *{service}* was *not* deployed to *{environment}* "
        "by itself: {reason}\nDeploy it by hand with {command} once that is resolved.",
        version=code(b.version),
        service=b.service,
        environment=environment,
        reason=from_workflow(reason, mentions),
        command=code(f"/deploy {b.service} {b.version} to {environment}"),
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


def running_field(
    service: str,
    environment: str,
    version: str,
    revision: int | None,
    since_text: str,
    by: str | None,
) -> Mrkdwn:
    return md(
        "*{service}* · {environment}\n{version}{rev}\nsince {since}{by}",
        service=service,
        environment=environment,
        version=code(version),
        rev=f" rev {revision}" if revision is not None else "",
        since=since_text,
        by=md(" by {who}", who=who(by)) if by else "",
    )


def audit_head(seq: int, digest: str) -> Mrkdwn:
    return md(
        ":lock: Audit log head: {head}. Kept here, outside the database: "
        "{command} proves later that no event up to it was changed or deleted.",
        head=code(f"{seq}:{digest}"),
        command=code(f"releasebot audit verify --expect {seq}:{digest}"),
    )
