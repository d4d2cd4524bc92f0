"""The shape of a slash command as ``bot.app`` hands it to the ``commands`` package.

``commands/`` sits above ``bot/``, so the app cannot import the handlers; they are injected
as plain functions of this type and can be called without Slack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.config import ReleasebotConfig
from bot.slack.ports import Workflow
from bot.workflow.model import Actor


@dataclass(frozen=True)
class CommandRequest:
    command: str  # "/deploy"
    text: str
    actor: Actor
    channel_id: str


@dataclass(frozen=True)
class Reply:
    """What the person who typed the command reads; ephemeral unless the channel should see it.

    ``text`` is plain text, escaped when it is sent, unless it is ``bot.slack.mrkdwn.Mrkdwn``."""

    text: str
    ephemeral: bool = True


class CommandHandler(Protocol):
    def __call__(
        self, request: CommandRequest, *, workflow: Workflow, config: ReleasebotConfig
    ) -> Reply: ...
