"""Listeners: ``ack()`` first, then hand the work to the workflow on a worker thread.

The listener runs on the request's thread and returns at once; the work goes to a separate
executor, so neither a slow cluster nor the database can hold up an ack. There, each request's
idempotency key is recorded before anything else (``_once``): the one seam that makes a
retried or replayed request do nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.config import ReleasebotConfig
from bot.slack import actions, replies
from bot.slack.ingress import Idempotency, request_key
from bot.slack.mrkdwn import decode_incoming, from_workflow, safe
from bot.slack.ports import Workflow
from bot.slack.slash import CommandHandler, CommandRequest, Reply
from bot.workflow.errors import WorkflowError
from bot.workflow.model import Actor
from storage.errors import StorageError
from storage.models import VoteDecision

log = logging.getLogger(__name__)

APPROVE_REACTIONS = frozenset({"white_check_mark", "heavy_check_mark"})
REJECT_REACTIONS = frozenset({"x"})

HomeOpened = Callable[[str], object]
"""Publishes the App Home of one user (``app_home_opened``)."""


class Listeners:
    def __init__(
        self,
        *,
        workflow: Workflow,
        config: ReleasebotConfig,
        client: WebClient,
        worker: Executor,
        idempotency: Idempotency,
    ) -> None:
        self.workflow = workflow
        self.config = config
        self.client = client
        self.worker = worker
        self.idempotency = idempotency

    def register(
        self, app: App, commands: Mapping[str, CommandHandler], home: HomeOpened | None
    ) -> None:
        for name, handler in commands.items():
            app.command(name)(self._command_listener(handler))
        for action_id in actions.RELEASE_ACTIONS:
            app.action(action_id)(self.on_release_button)
        app.action(actions.DEPLOY_BUILD)(self.on_deploy_button)
        app.event("reaction_added")(self.on_reaction_added)
        app.event("reaction_removed")(self.on_reaction_removed)
        if home is not None:
            publish = home

            def on_home_opened(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
                ack()
                user = context.user_id
                if user:
                    self._later(body, context, lambda: publish(user), None)

            app.event("app_home_opened")(on_home_opened)

    # -- slash commands ---------------------------------------------------------------------

    def _command_listener(self, handler: CommandHandler) -> Callable[..., None]:
        def on_command(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
            ack()
            request = CommandRequest(
                command=str(body.get("command", "")),
                text=decode_incoming(str(body.get("text", ""))),
                actor=_actor(context),
                channel_id=str(body.get("channel_id", "")),
            )
            where = _Where(request.channel_id, request.actor.user_id)
            self._later(
                body,
                context,
                lambda: self._send(
                    where, handler(request, workflow=self.workflow, config=self.config)
                ),
                where,
            )

        return on_command

    # -- buttons ----------------------------------------------------------------------------

    def on_release_button(
        self, ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext
    ) -> None:
        ack()
        where = _where(body, context)
        actor = _actor(context)
        action_id = str(action.get("action_id"))
        try:
            release_id = actions.parse_release_value(action.get("value"))
        except actions.BadActionValue:
            self._later(body, context, lambda: self._send(where, Reply(replies.BAD_BUTTON)), where)
            return

        def act() -> None:
            if action_id == actions.APPROVE:
                self.workflow.vote(
                    actor=actor, release_id=release_id, decision=VoteDecision.APPROVE
                )
            elif action_id == actions.REJECT:
                self.workflow.vote(actor=actor, release_id=release_id, decision=VoteDecision.REJECT)
            elif action_id == actions.CONFIRM:
                self.workflow.confirm(actor=actor, release_id=release_id)
            elif action_id == actions.CANCEL:
                self.workflow.cancel(actor=actor, release_id=release_id)

        self._later(body, context, act, where)

    def on_deploy_button(
        self, ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext
    ) -> None:
        ack()
        where = _where(body, context)
        actor = _actor(context)
        try:
            build = actions.parse_deploy_value(action.get("value"))
        except actions.BadActionValue:
            self._later(body, context, lambda: self._send(where, Reply(replies.BAD_BUTTON)), where)
            return

        def deploy() -> None:
            self.workflow.request_deploy(
                actor=actor,
                service=build.service,
                environment=build.environment,
                target=build.version,
            )

        self._later(body, context, deploy, where)

    # -- reactions on the request message ---------------------------------------------------

    def on_reaction_added(
        self, ack: Ack, body: dict[str, Any], event: dict[str, Any], context: BoltContext
    ) -> None:
        ack()
        name = str(event.get("reaction", ""))
        if name in APPROVE_REACTIONS:
            decision = VoteDecision.APPROVE
        elif name in REJECT_REACTIONS:
            decision = VoteDecision.REJECT
        else:
            return
        self._on_reaction(body, event, context, decision)

    def on_reaction_removed(
        self, ack: Ack, body: dict[str, Any], event: dict[str, Any], context: BoltContext
    ) -> None:
        ack()
        if str(event.get("reaction", "")) in APPROVE_REACTIONS | REJECT_REACTIONS:
            self._on_reaction(body, event, context, None)

    def _on_reaction(
        self,
        body: dict[str, Any],
        event: dict[str, Any],
        context: BoltContext,
        decision: VoteDecision | None,
    ) -> None:
        item = event.get("item") or {}
        if item.get("type") != "message":
            return
        channel, ts = str(item.get("channel", "")), str(item.get("ts", ""))
        actor = _actor(context)
        where = _Where(channel, actor.user_id)

        def vote() -> None:
            release = self.workflow.release_for_message(channel, ts)
            if release is None:
                return
            if decision is None:
                self.workflow.withdraw_vote(actor=actor, release_id=release.id)
            else:
                self.workflow.vote(actor=actor, release_id=release.id, decision=decision)

        self._later(body, context, vote, where)

    # -- after the ack -----------------------------------------------------------------------

    def _later(
        self,
        body: dict[str, Any],
        context: BoltContext,
        work: Callable[[], object],
        where: _Where | None,
    ) -> None:
        """Hands ``work`` to the worker; it runs there once per request, however often Slack
        delivers it."""
        key = request_key(body, context.team_id, context.user_id)
        self.worker.submit(self._once, key, work, where)

    def _once(self, key: str | None, work: Callable[[], object], where: _Where | None) -> None:
        """Runs on the worker: the request's key first (a repeat stops here), then the work."""
        if key is not None:
            try:
                if not self.idempotency.first_delivery(key):
                    return
            except (StorageError, SQLAlchemyError):
                log.exception("could not record Slack request %s", key)
                if where is not None:
                    self._send(where, Reply(replies.STORE_UNAVAILABLE))
                return
        self._guarded(work, where)

    # -- replies ----------------------------------------------------------------------------

    def _guarded(self, work: Callable[[], object], where: _Where | None) -> None:
        """Runs on the worker: a refusal goes to the actor, privately; nothing is re-raised
        because nobody waits for the future."""
        try:
            work()
        except WorkflowError as err:
            if where is not None:
                self._send(where, Reply(from_workflow(err.message, err.mentions)))
        except Exception:
            log.exception("a Slack request failed after its ack")
            if where is not None:
                self._send(where, Reply(replies.INTERNAL_ERROR))

    def _send(self, where: _Where, reply: Reply) -> None:
        try:
            if reply.ephemeral:
                self.client.chat_postEphemeral(
                    channel=where.channel, user=where.user, text=safe(reply.text)
                )
            else:
                self.client.chat_postMessage(channel=where.channel, text=safe(reply.text))
        except SlackApiError as err:
            log.warning("could not reply in %s: %s", where.channel, err.response.get("error"))
        except OSError as err:
            # Slack unreachable even after slack_sdk's retries: the reply is lost, the worker
            # must not be.
            log.warning("could not reply in %s: Slack unreachable (%s)", where.channel, err)


@dataclass(frozen=True)
class _Where:
    """Where a private reply goes: the channel of the request, to its author."""

    channel: str
    user: str


def _actor(context: BoltContext) -> Actor:
    return Actor(user_id=context.user_id or "", team_id=context.team_id or "")


def _where(body: dict[str, Any], context: BoltContext) -> _Where:
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id", ""
    )
    return _Where(str(channel), context.user_id or "")
