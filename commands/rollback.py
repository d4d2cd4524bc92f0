"""``/rollback <service> <environment> [to <version> | revision <n>]`` (kubectl undo semantics)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import ReleasebotConfig
from bot.slack.mrkdwn import channel, md
from bot.slack.ports import Workflow
from bot.slack.slash import CommandRequest, Reply
from commands import inputs, messages
from commands.replies import refused, run_guarded

MAX_REVISION_DIGITS = 10


@dataclass(frozen=True)
class RollbackArgs:
    service: str
    environment: str
    to_version: str | None = None
    to_revision: int | None = None


def parse_rollback(text: str, config: ReleasebotConfig) -> RollbackArgs:
    words = text.split()
    if len(words) < 2:
        needed = " and ".join(("a service", "an environment")[len(words) :])
        raise inputs.InputError(messages.MISSING_PARTS.format(command="/rollback", needed=needed))
    service = inputs.known(
        inputs.name(words[0], what="service"),
        list(config.services),
        template=messages.UNKNOWN_SERVICE,
    )
    environment = inputs.known(
        inputs.name(words[1], what="environment"),
        list(config.environments),
        template=messages.UNKNOWN_ENVIRONMENT,
    )
    rest = words[2:]
    if not rest:
        return RollbackArgs(service, environment)
    if len(rest) == 2 and rest[0] == "to":
        return RollbackArgs(service, environment, to_version=inputs.target(rest[1], what="version"))
    if len(rest) == 2 and rest[0] == "revision":
        return RollbackArgs(service, environment, to_revision=_revision(rest[1]))
    raise inputs.InputError(
        messages.TOO_MANY_PARTS.format(command="/rollback", extra=" ".join(rest))
    )


def _revision(word: str) -> int:
    shown = word if len(word) <= 20 else word[:17] + "..."
    if not (word.isascii() and word.isdigit()) or len(word) > MAX_REVISION_DIGITS:
        raise inputs.InputError(messages.BAD_REVISION.format(shown=shown))
    value = int(word)
    if value < 1:
        raise inputs.InputError(messages.BAD_REVISION.format(shown=shown))
    return value


def rollback(request: CommandRequest, *, workflow: Workflow, config: ReleasebotConfig) -> Reply:
    try:
        args = parse_rollback(request.text, config)
    except inputs.InputError as err:
        return refused(err, usage=messages.ROLLBACK_USAGE, example=messages.ROLLBACK_EXAMPLE)

    def call() -> Reply:
        release = workflow.request_rollback(
            actor=request.actor,
            service=args.service,
            environment=args.environment,
            to_version=args.to_version,
            to_revision=args.to_revision,
        )
        return Reply(
            md(
                messages.ROLLBACK_REQUESTED,
                service=release.service,
                environment=release.environment,
                version=release.version,
                state=release.state.value.replace("_", " "),
                channel=channel(release.channel),
                id=release.id,
            )
        )

    return run_guarded(request.command, call)
