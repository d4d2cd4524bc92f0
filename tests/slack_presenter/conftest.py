"""Presenter tests run against the fake Slack Web API of tests/slack, on its ManualClock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.slack.presenter import SlackPresenter
from bot.slack.standin.webapi import FakeSlackWebAPI
from tests.slack.conftest import slack_api, slack_client
from tests.slack_presenter.factories import Memory

__all__ = ["slack_api", "slack_client"]


@pytest.fixture
def memory() -> Memory:
    return Memory()


@pytest.fixture
def presenter(
    slack_api: FakeSlackWebAPI, slack_client: WebClient, memory: Memory
) -> Iterator[SlackPresenter]:
    yield SlackPresenter(slack_client, memory, slack_api.clock)
    assert slack_api.block_errors == [], "Slack's Block Kit validation refused a payload"
