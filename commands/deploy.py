"""``/deploy <service> <version | image> [to] <environment> [break-glass] [because <reason>]``.

``break-glass`` right after the environment asks for an emergency deploy; its reason is
mandatory (bot.workflow.breakglass says what it needs and skips).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import ReleasebotConfig
from bot.slack.mrkdwn import channel, md
from bot.slack.ports import Workflow
from bot.slack.slash import CommandRequest, Reply
from commands import inputs, messages
from commands.replies import refused, run_guarded


@dataclass(frozen=True)
class DeployArgs:
    service: str
    target: str
    environment: str
    reason: str | None = None
    break_glass: bool = False


BREAK_GLASS = "break-glass"


def parse_deploy(text: str, config: ReleasebotConfig) -> DeployArgs:
    """The command's words, checked for shape and against the configured names."""
    words = text.split()
    reason: str | None = None
    if "because" in words[2:]:
        at = words.index("because", 2)
        reason = inputs.reason(" ".join(words[at + 1 :]))
        words = words[:at]
    break_glass = (
        len(words) > 2 and words[-1] == BREAK_GLASS and BREAK_GLASS not in config.environments
    )
    if break_glass:
        words = words[:-1]
        if reason is None:
            raise inputs.InputError(messages.BREAK_GLASS_NEEDS_REASON)
    if len(words) in {3, 4} and words[2] == "to":
        words = [words[0], words[1], *words[3:]]
    if len(words) < 3:
        raise inputs.InputError(
            messages.MISSING_PARTS.format(
                command="/deploy", needed=" and ".join(_PARTS[len(words) :])
            )
        )
    if len(words) > 3:
        raise inputs.InputError(
            messages.TOO_MANY_PARTS.format(command="/deploy", extra=" ".join(words[3:]))
        )
    service, target, environment = words
    return DeployArgs(
        service=inputs.known(
            inputs.name(service, what="service"),
            list(config.services),
            template=messages.UNKNOWN_SERVICE,
        ),
        target=inputs.target(target),
        environment=inputs.known(
            inputs.name(environment, what="environment"),
            list(config.environments),
            template=messages.UNKNOWN_ENVIRONMENT,
        ),
        reason=reason,
        break_glass=break_glass,
    )


_PARTS = ("a service", "a version or image", "an environment")


def deploy_help(config: ReleasebotConfig) -> str:
    glass = [name for name, env in config.environments.items() if env.break_glass is not None]
    return messages.DEPLOY_HELP.format(
        usage=messages.DEPLOY_USAGE,
        example=messages.DEPLOY_EXAMPLE,
        services=", ".join(f"`{s}`" for s in config.services),
        environments=", ".join(
            f"`{name}` ({env.policy})" for name, env in config.environments.items()
        ),
        break_glass=messages.DEPLOY_HELP_BREAK_GLASS.format(
            example=messages.BREAK_GLASS_EXAMPLE,
            environments=", ".join(f"`{name}`" for name in glass) or messages.NONE_CONFIGURED,
        ),
    )


def deploy(request: CommandRequest, *, workflow: Workflow, config: ReleasebotConfig) -> Reply:
    if request.text.strip() in {"", "help"}:
        return Reply(deploy_help(config))
    try:
        args = parse_deploy(request.text, config)
    except inputs.InputError as err:
        glass = BREAK_GLASS in request.text.split()
        return refused(
            err,
            usage=messages.DEPLOY_USAGE,
            example=messages.BREAK_GLASS_EXAMPLE if glass else messages.DEPLOY_EXAMPLE,
        )

    def call() -> Reply:
        release = workflow.request_deploy(
            actor=request.actor,
            service=args.service,
            environment=args.environment,
            target=args.target,
            reason=args.reason,
            break_glass=args.break_glass,
        )
        template = (
            messages.BREAK_GLASS_REQUESTED if release.break_glass else messages.DEPLOY_REQUESTED
        )
        return Reply(
            md(
                template,
                service=release.service,
                version=release.version,
                environment=release.environment,
                state=release.state.value.replace("_", " "),
                channel=channel(release.channel),
                id=release.id,
            )
        )

    return run_guarded(request.command, call)
