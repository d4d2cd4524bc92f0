"""How a command turns a refusal or a workflow error into the reply its author reads."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.slack.mrkdwn import from_workflow
from bot.slack.slash import Reply
from bot.workflow.errors import WorkflowError
from commands import messages
from commands.inputs import InputError

log = logging.getLogger(__name__)


def refused(err: InputError, *, usage: str, example: str) -> Reply:
    return Reply(messages.WRONG_SHAPE.format(problem=err, usage=usage, example=example))


def run_guarded(command: str, call: Callable[[], Reply]) -> Reply:
    """The workflow's refusals are shown as they are; anything else is logged, and the person
    is told to look before retrying rather than shown a traceback."""
    try:
        return call()
    except WorkflowError as err:
        return Reply(from_workflow(err.message, err.mentions))
    except Exception:
        log.exception("%s failed", command)
        return Reply(messages.INTERNAL_ERROR.format(command=command))
