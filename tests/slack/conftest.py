"""The ``slack_api`` fixture: a fresh fake Slack Web API per test, and a WebClient on it.

``slack_api`` is a :class:`~bot.slack.standin.webapi.FakeSlackWebAPI` on a ManualClock
(``slack_api.clock``), accepting the token ``BOT_TOKEN``; ``slack_client`` is a real
``slack_sdk.WebClient`` pointed at it. Rate limits are off unless a test sets
``slack_api.rate_limits`` or ``slack_api.post_message_limit``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.clock import ManualClock
from bot.slack.standin.webapi import BOT_TOKEN, FakeSlackWebAPI, running


@pytest.fixture
def slack_api() -> Iterator[FakeSlackWebAPI]:
    with running(clock=ManualClock()) as api:
        yield api


@pytest.fixture
def slack_client(slack_api: FakeSlackWebAPI) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=slack_api.base_url, timeout=5)
