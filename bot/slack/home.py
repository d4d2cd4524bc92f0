"""The App Home tab: what is rolling out, what waits for whom, what runs where."""

from __future__ import annotations

import logging
from typing import Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View

from bot.clock import Clock, SystemClock
from bot.slack import blocks as kit
from bot.workflow.model import ReleaseView, Running
from storage.models import ReleaseState

log = logging.getLogger(__name__)

MOVING = frozenset({ReleaseState.APPROVED, ReleaseState.ROLLING_OUT, ReleaseState.BAKING})


class HomeReads(Protocol):
    """The reads of ReleaseWorkflow that the Home tab shows."""

    def pending(self) -> list[ReleaseView]: ...

    def running(
        self, service: str | None = None, environment: str | None = None
    ) -> list[Running]: ...


def home_view(workflow: HomeReads, clock: Clock) -> View:
    pending = workflow.pending()
    rolling = [r for r in pending if r.state in MOVING]
    waiting = [r for r in pending if r.state not in MOVING]
    view = View(type="home", blocks=kit.home(rolling, waiting, workflow.running(), clock.now()))
    view.validate_json()
    return view


def publish_home(
    client: WebClient, workflow: HomeReads, user_id: str, clock: Clock | None = None
) -> bool:
    """Called from the ``app_home_opened`` listener; False when Slack refused the view."""
    view = home_view(workflow, clock or SystemClock())
    try:
        client.views_publish(user_id=user_id, view=view)
    except SlackApiError as err:
        log.warning("could not publish App Home for %s: %s", user_id, err.response.get("error"))
        return False
    return True
