"""SLACK_API_URL: where the bot finds Slack's Web API (a proxy, a gateway, the stand-in)."""

from __future__ import annotations

import pytest

from bot.config.errors import ConfigError
from bot.config.settings import load_settings
from bot.slack.standin.webapi import BOT_TOKEN, running
from commands.serve import make_client


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for var in ("SLACK_API_URL", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_unset_means_slack_itself(env: pytest.MonkeyPatch) -> None:
    assert load_settings().slack_api_url is None
    assert make_client(BOT_TOKEN).base_url == "https://slack.com/api/"


def test_a_url_gets_the_trailing_slash_the_web_client_needs(env: pytest.MonkeyPatch) -> None:
    env.setenv("SLACK_API_URL", "https://slack-proxy.internal.example/api")
    assert load_settings().slack_api_url == "https://slack-proxy.internal.example/api/"


@pytest.mark.parametrize("bad", ["slack.com/api", "ftp://slack.com/api/", "https://"])
def test_anything_but_an_http_url_is_refused_by_name(env: pytest.MonkeyPatch, bad: str) -> None:
    env.setenv("SLACK_API_URL", bad)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert "SLACK_API_URL must be an http:// or https:// URL" in str(err.value)


def test_the_client_talks_to_the_configured_url(env: pytest.MonkeyPatch) -> None:
    with running() as slack:
        env.setenv("SLACK_API_URL", slack.base_url.rstrip("/"))
        settings = load_settings()
        client = make_client(BOT_TOKEN, settings.slack_api_url)
        assert client.auth_test()["ok"] is True
        assert [c.method for c in slack.calls()] == ["auth.test"]
