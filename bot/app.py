"""The one place that builds releasebot's Bolt ``App`` (sync), for Socket Mode and HTTP mode.

Slash commands come in as plain functions (``commands.SLASH_COMMANDS``) because ``commands/``
sits above ``bot/``; everything else a request goes through is wired here, in this order:
Bolt's signature check, token authorisation and own-events filter, then releasebot's
workspace check, then a listener that acks and hands the work on; the work records the
request's idempotency key before it does anything (``Listeners``).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Executor

import sqlalchemy
from slack_bolt import App
from slack_sdk import WebClient

from bot.clock import Clock
from bot.config import ReleasebotConfig
from bot.slack.ingress import Idempotency, WorkspaceCheck
from bot.slack.listeners import HomeOpened, Listeners
from bot.slack.ports import Workflow
from bot.slack.slash import CommandHandler
from bot.slack.workpool import WorkPool


def build_app(
    *,
    workflow: Workflow,
    client: WebClient,
    signing_secret: str | None,
    commands: Mapping[str, CommandHandler],
    team_id: str | None,
    config: ReleasebotConfig,
    engine: sqlalchemy.Engine,
    clock: Clock,
    home: HomeOpened | None = None,
    worker: Executor | None = None,
) -> App:
    """``signing_secret=None`` means Socket Mode (Slack's socket authenticates the requests);
    HTTP mode must pass one, and ``releasebot serve`` refuses to start without it.

    ``team_id=None`` serves the workspace the bot token belongs to (from ``auth.test``).
    ``worker`` runs the slow part of each request; by default a pool of its own.
    """
    app = App(
        client=client,
        signing_secret=signing_secret or "",
        request_verification_enabled=signing_secret is not None,
        # Listeners only ack and hand their work to ``worker``, so they return at once: running
        # them on the request's own thread answers Slack sooner than Bolt's default, which
        # runs them on another pool and polls every 10 ms for the ack.
        process_before_response=True,
        ignoring_self_events_enabled=True,
        raise_error_for_unhandled_request=False,
    )
    app.use(WorkspaceCheck(team_id))
    listeners = Listeners(
        workflow=workflow,
        config=config,
        client=client,
        worker=worker or listener_pool(),
        idempotency=Idempotency(engine=engine, clock=clock),
    )
    listeners.register(app, commands, home)
    return app


def listener_pool() -> WorkPool:
    """Where the listeners' work runs after the ack; whoever owns the app shuts it down (and
    waits for it) before closing the workflow, so no accepted request loses its reply."""
    return WorkPool()
