"""``releasebot demo``: the bot of ``releasebot serve``, driven from a terminal.

``stack`` starts what serve runs around local stand-ins, ``session`` turns typed lines into
Slack's requests and the bot's messages into text (``render``), ``sample`` is the demo's
configuration and people. ``run_demo`` reads lines from any stream, so a pipe works as well
as a terminal and a test can script a whole session.
"""

from commands.console.run import run_demo

__all__ = ["run_demo"]
