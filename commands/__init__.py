"""The top layer: the ``releasebot`` command line and the slash commands.

``SLASH_COMMANDS`` is what ``bot.app.build_app`` registers; each handler is a plain function
that parses the text, calls the workflow and returns the reply.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.slack.slash import CommandHandler
from commands.deploy import deploy
from commands.releases import releases
from commands.rollback import rollback

SLASH_COMMANDS: Mapping[str, CommandHandler] = {
    "/deploy": deploy,
    "/rollback": rollback,
    "/releases": releases,
}

__all__ = ["SLASH_COMMANDS"]
