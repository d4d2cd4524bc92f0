"""Secrets come from the environment, placeholders are refused, and no value is ever echoed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

BOT = "xoxb-1111-2222-realisticBotToken"
APP = "xapp-1-A0B1C2-3333-realisticAppToken"
VARS = (
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "RELEASEBOT_DATABASE_URL",
    "RELEASEBOT_BUILD_HOOK_SECRET",
    "RELEASEBOT_ALERT_HOOK_TOKEN",
    "RELEASEBOT_CONFIG",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in VARS:
        monkeypatch.delenv(var, raising=False)


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.database_url.get_secret_value() == "sqlite:///releasebot.db"
    assert settings.config_path == Path("releasebot.yml")
    assert settings.slack_bot_token is None


def test_values_from_the_environment_are_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT)
    monkeypatch.setenv("SLACK_APP_TOKEN", APP)
    monkeypatch.setenv("RELEASEBOT_DATABASE_URL", "postgresql://bot:hunter2@db/releasebot")
    monkeypatch.setenv("RELEASEBOT_CONFIG", "/etc/releasebot/releasebot.yml")
    settings = load_settings()
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == BOT
    assert settings.config_path == Path("/etc/releasebot/releasebot.yml")
    for text in (str(settings), repr(settings), str(settings.model_dump())):
        assert BOT not in text and APP not in text and "hunter2" not in text


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("SLACK_BOT_TOKEN", "xoxb-your-token"),
        ("SLACK_BOT_TOKEN", "xoxb-changeme"),
        ("SLACK_APP_TOKEN", "xapp-your-app-token"),
        ("SLACK_SIGNING_SECRET", "changeme"),
        ("SLACK_SIGNING_SECRET", "<signing secret>"),
        ("RELEASEBOT_BUILD_HOOK_SECRET", "CHANGEME"),
        ("RELEASEBOT_ALERT_HOOK_TOKEN", "xxxxxxxxxxxx"),
        ("RELEASEBOT_DATABASE_URL", "postgresql://user:changeme@db/releasebot"),
    ],
)
def test_placeholder_secret_refused(monkeypatch: pytest.MonkeyPatch, var: str, value: str) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.problems == [
        f"{var} holds a placeholder value; set the real secret (the value is not shown)"
    ]
    assert value not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is not None


@pytest.mark.parametrize(
    ("var", "value", "prefix"),
    [("SLACK_BOT_TOKEN", APP, "xapp-"), ("SLACK_APP_TOKEN", BOT, "xoxb-")],
)
def test_token_in_the_wrong_variable(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, prefix: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    (problem,) = caught.value.problems
    assert problem.startswith(f"{var} must start with")
    assert value not in problem


def test_every_bad_variable_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-your-token")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "  ")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.problems == [
        "SLACK_BOT_TOKEN holds a placeholder value; set the real secret (the value is not shown)",
        "SLACK_SIGNING_SECRET is set but empty; set the real secret or unset it",
    ]


def test_slack_mode_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().slack_problems("socket") == [
        "SLACK_BOT_TOKEN is not set; set the bot token (xoxb-…) from the app's OAuth page",
        "Socket Mode needs SLACK_APP_TOKEN (an app-level token, xapp-…)",
    ]
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT)
    monkeypatch.setenv("SLACK_APP_TOKEN", APP)
    settings = load_settings()
    assert settings.slack_problems("socket") == []
    assert settings.slack_problems("http") == [
        "HTTP mode needs SLACK_SIGNING_SECRET to verify that requests come from Slack"
    ]
