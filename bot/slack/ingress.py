"""The cross-cutting rules for every Slack request.

``WorkspaceCheck`` is a Bolt middleware: it runs after Bolt has checked the signature and
authorised the bot token (so the request's team and the bot's own identity are known) and
before any listener, so a request from another workspace reaches no listener at all.
``Idempotency`` runs later, after the ack, on the worker and before the work
(``bot.slack.listeners``), so that recording a request never delays its ack.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy
from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.clock import Clock
from bot.slack import replies
from storage.dedupe import RequestLog, action_key, command_key, event_key
from storage.engine import single_statements

log = logging.getLogger(__name__)

Next = Callable[[], BoltResponse]


class WorkspaceCheck(Middleware):
    """Requests from another workspace are refused: identity is the signed team ID, and the
    bot only serves the team its token belongs to (or the one configured)."""

    def __init__(self, team_id: str | None = None) -> None:
        self.team_id = team_id

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Next) -> BoltResponse:
        authorized = req.context.authorize_result
        expected = self.team_id or (authorized.team_id if authorized else None)
        if expected is None or req.context.team_id != expected:
            log.warning("refused a request from team %s", req.context.team_id)
            return _answer(req, replies.OTHER_WORKSPACE)
        return next()


class Idempotency:
    """A retried or replayed request does nothing twice.

    Each state-changing request has a UNIQUE key (``request_key``), recorded and committed on
    the worker after the ack and before the work: the ack never waits for the database, and
    a retry, or a replay racing the first delivery, finds the key and does nothing. The
    price is that a request whose effect then fails is not retried by Slack (it was acked);
    its author is told and can ask again (a new trigger).
    """

    def __init__(self, *, engine: sqlalchemy.Engine, clock: Clock) -> None:
        self.requests = RequestLog(single_statements(engine))
        self.clock = clock

    def first_delivery(self, key: str) -> bool:
        """True the first time ``key`` is seen; raises ``DatabaseUnavailable`` (or another
        SQLAlchemy error) when the database cannot say, and then nothing may be done."""
        first = self.requests.record(key, self.clock.now())
        if not first:
            log.info("ignored a repeat of %s", key)
        return first


def request_key(body: dict[str, Any], team_id: str | None, user_id: str | None) -> str | None:
    """The UNIQUE key of a request, or None for kinds releasebot does not act on."""
    if body.get("type") == "event_callback" and body.get("event_id"):
        return event_key(event_id=str(body["event_id"]))
    if body.get("command") and body.get("trigger_id"):
        return command_key(team_id=team_id or "", trigger_id=str(body["trigger_id"]))
    actions = body.get("actions")
    if body.get("type") == "block_actions" and isinstance(actions, list) and actions:
        first = actions[0]
        return action_key(
            team_id=team_id or "",
            user_id=user_id or "",
            action_ts=f"{first.get('action_ts', '')}:{first.get('action_id', '')}",
        )
    return None


def _answer(req: BoltRequest, text: str) -> BoltResponse:
    """Commands show the body to their author; events and actions just need a 200 so Slack
    does not retry."""
    if req.body.get("command"):
        return BoltResponse(status=200, body=text)
    return BoltResponse(status=200, body="")
