"""``releasebot serve`` picks its Slack mode from the environment and refuses what cannot work."""

from __future__ import annotations

import pytest

from bot.slack.standin.webapi import BOT_TOKEN as FAKE_BOT_TOKEN
from bot.slack.standin.webapi import FakeSlackWebAPI
from commands.cli import main
from commands.serve import make_client
from tests.slack.conftest import slack_api  # noqa: F401  (fixture)

BOT_TOKEN = "xoxb-1234-5678-abcdefghijkl"


@pytest.fixture
def slack_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for var in ("SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    return monkeypatch


def test_http_mode_without_a_signing_secret_does_not_start(
    slack_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve"]) == 1
    err = capsys.readouterr().err
    assert "did not start" in err
    assert "SLACK_SIGNING_SECRET for HTTP mode" in err


def test_socket_mode_without_a_bot_token_does_not_start(
    slack_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    slack_env.delenv("SLACK_BOT_TOKEN")
    slack_env.setenv("SLACK_APP_TOKEN", "xapp-1-A0RELEASE-1234-abcdef")
    assert main(["serve"]) == 1
    err = capsys.readouterr().err
    assert "did not start" in err
    assert "SLACK_BOT_TOKEN is not set" in err


def test_the_web_client_retries_429_and_connection_errors() -> None:
    kinds = {type(h).__name__ for h in make_client(BOT_TOKEN).retry_handlers}
    assert {"RateLimitErrorRetryHandler", "ConnectionErrorRetryHandler"} <= kinds


def test_the_web_client_rides_out_a_429(slack_api: FakeSlackWebAPI) -> None:  # noqa: F811
    client = make_client(FAKE_BOT_TOKEN)
    client.base_url = slack_api.base_url
    slack_api.throttle("chat.postMessage", count=2, retry_after=0)
    assert client.chat_postMessage(channel="C0456API", text="hello")["ok"] is True
    assert [c.status for c in slack_api.calls("chat.postMessage")] == [429, 429, 200]
