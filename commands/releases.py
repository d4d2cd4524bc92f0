"""``/releases [service] [environment]`` and ``/releases history <service> <environment>``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.config import ReleasebotConfig
from bot.slack.mrkdwn import Mrkdwn, approver, join, md, user
from bot.slack.ports import Workflow
from bot.slack.slash import CommandRequest, Reply
from bot.workflow.model import ReleaseView, Running
from commands import inputs, messages
from commands.replies import refused, run_guarded

HISTORY_LIMIT = 10


@dataclass(frozen=True)
class ReleasesArgs:
    service: str | None = None
    environment: str | None = None
    history: bool = False


def parse_releases(text: str, config: ReleasebotConfig) -> ReleasesArgs:
    words = text.split()
    history = bool(words) and words[0] == "history"
    if history:
        words = words[1:]
        if len(words) < 2:
            needed = " and ".join(("a service", "an environment")[len(words) :])
            raise inputs.InputError(
                messages.MISSING_PARTS.format(command="/releases history", needed=needed)
            )
    if len(words) > 2:
        raise inputs.InputError(
            messages.TOO_MANY_PARTS.format(command="/releases", extra=" ".join(words[2:]))
        )
    service = environment = None
    if words:
        service = inputs.known(
            inputs.name(words[0], what="service"),
            list(config.services),
            template=messages.UNKNOWN_SERVICE,
        )
    if len(words) == 2:
        environment = inputs.known(
            inputs.name(words[1], what="environment"),
            list(config.environments),
            template=messages.UNKNOWN_ENVIRONMENT,
        )
    return ReleasesArgs(service, environment, history)


def releases(request: CommandRequest, *, workflow: Workflow, config: ReleasebotConfig) -> Reply:
    try:
        args = parse_releases(request.text, config)
    except inputs.InputError as err:
        return refused(err, usage=messages.RELEASES_USAGE, example=messages.RELEASES_EXAMPLE)
    if args.history:
        assert args.service is not None and args.environment is not None
        service, environment = args.service, args.environment
        return run_guarded(
            request.command,
            lambda: Reply(
                history_text(
                    service, environment, workflow.history(service, environment, HISTORY_LIMIT)
                )
            ),
        )

    def overview() -> Reply:
        running = workflow.running(args.service, args.environment)
        pending = [
            r
            for r in workflow.pending()
            if args.service in {None, r.service} and args.environment in {None, r.environment}
        ]
        return Reply(overview_text(args, running, pending))

    return run_guarded(request.command, overview)


def overview_text(args: ReleasesArgs, running: list[Running], pending: list[ReleaseView]) -> Mrkdwn:
    scope = "".join(f" {part}" for part in (args.service, args.environment) if part)
    scope = f" for{scope}" if scope else ""
    if not running and not pending:
        return md(messages.RELEASES_NOTHING, scope=scope, example=messages.DEPLOY_EXAMPLE)
    lines = [md(messages.RELEASES_RUNNING_HEADER, scope=scope)]
    lines += [_running_line(r) for r in running]
    if pending:
        lines.append(md(messages.RELEASES_PENDING_HEADER))
        lines += [_pending_line(r) for r in pending]
    return join("\n", lines)


def history_text(service: str, environment: str, history: list[ReleaseView]) -> Mrkdwn:
    if not history:
        return md(messages.RELEASES_HISTORY_EMPTY, service=service, environment=environment)
    lines = [md(messages.RELEASES_HISTORY_HEADER, service=service, environment=environment)]
    for r in history:
        lines.append(
            md(
                messages.RELEASES_HISTORY_LINE,
                when=_when(r.finished_at or r.created_at),
                mark=messages.RELEASES_BREAK_GLASS if r.break_glass else "",
                kind=r.kind.value,
                version=r.version,
                state=r.state.value.replace("_", " "),
                user=user(r.requester.user_id),
                error=f" ({r.error})" if r.error else "",
            )
        )
    return join("\n", lines)


def _running_line(r: Running) -> Mrkdwn:
    return md(
        messages.RELEASES_RUNNING_LINE,
        service=r.service,
        environment=r.environment,
        version=r.version or r.image or messages.RELEASES_UNKNOWN_VERSION,
        revision=f", revision {r.revision}" if r.revision is not None else "",
        since=f", since {_when(r.since)}" if r.since else "",
        by=md(", by {who}", who=user(r.by)) if r.by else "",
    )


def _pending_line(r: ReleaseView) -> Mrkdwn:
    waiting: str = ""
    if r.state.value == "awaiting_approval":
        waiting = md(
            messages.RELEASES_WAITING,
            have=len(r.approvals),
            need=r.required_approvals,
            approvers=join(", ", (approver(a) for a in r.approvers)) if r.approvers else "nobody",
        )
    return md(
        messages.RELEASES_PENDING_LINE,
        mark=messages.RELEASES_BREAK_GLASS if r.break_glass else "",
        service=r.service,
        version=r.version,
        environment=r.environment,
        state=r.state.value.replace("_", " "),
        waiting=waiting,
        id=r.id,
    )


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "?"
