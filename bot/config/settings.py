"""Secrets and URLs from the environment. Values are `SecretStr` so no repr or log shows them.

Pydantic's own error text would echo the rejected value; `load_settings` reports problems by
variable name only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.config import messages
from bot.config.errors import ConfigError

SlackMode = Literal["socket", "http"]

_PLACEHOLDERS = frozenset(
    {
        "changeme",
        "change-me",
        "change_me",
        "replaceme",
        "replace-me",
        "secret",
        "password",
        "todo",
        "tbd",
        "xxx",
        "placeholder",
        "example",
        "dummy",
        "test",
        "none",
        "null",
    }
)
_PLACEHOLDER_MARKERS = ("your-", "your_", "changeme", "change-me", "<", ">", "xxxx", "...")
_PREFIXES = {"slack_bot_token": "xoxb-", "slack_app_token": "xapp-"}
_ENV_NAMES = {
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_app_token": "SLACK_APP_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "database_url": "RELEASEBOT_DATABASE_URL",
    "build_hook_secret": "RELEASEBOT_BUILD_HOOK_SECRET",
    "alert_hook_token": "RELEASEBOT_ALERT_HOOK_TOKEN",
    "config_path": "RELEASEBOT_CONFIG",
    "slack_api_url": "SLACK_API_URL",
}


def is_placeholder(value: str) -> bool:
    """Values copied from a README or a template, which must never reach Slack or a webhook."""
    lowered = value.strip().lower()
    if lowered in _PLACEHOLDERS or any(m in lowered for m in _PLACEHOLDER_MARKERS):
        return True
    body = lowered.split("-", 1)[1] if lowered.startswith(("xoxb-", "xapp-")) else lowered
    return body in _PLACEHOLDERS or len(set(body.replace("-", ""))) <= 1


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="", case_sensitive=True, extra="ignore", frozen=True, hide_input_in_errors=True
    )

    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET"
    )
    database_url: SecretStr = Field(
        default=SecretStr("sqlite:///releasebot.db"), validation_alias="RELEASEBOT_DATABASE_URL"
    )
    build_hook_secret: SecretStr | None = Field(
        default=None, validation_alias="RELEASEBOT_BUILD_HOOK_SECRET"
    )
    alert_hook_token: SecretStr | None = Field(
        default=None, validation_alias="RELEASEBOT_ALERT_HOOK_TOKEN"
    )
    config_path: Path = Field(default=Path("releasebot.yml"), validation_alias="RELEASEBOT_CONFIG")
    slack_api_url: str | None = Field(default=None, validation_alias="SLACK_API_URL")
    """Where the Web API lives when not at https://slack.com/api/ (a proxy, a gateway, a
    stand-in in tests); Socket Mode asks it for the socket's address too."""

    @field_validator(
        "slack_bot_token",
        "slack_app_token",
        "slack_signing_secret",
        "build_hook_secret",
        "alert_hook_token",
    )
    @classmethod
    def _real_secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None:
            return None
        field = info.field_name or ""
        var = _ENV_NAMES.get(field, field)
        raw = value.get_secret_value()
        if not raw.strip():
            raise ValueError(messages.SECRET_EMPTY.format(var=var))
        if is_placeholder(raw):
            raise ValueError(messages.SECRET_PLACEHOLDER.format(var=var))
        prefix = _PREFIXES.get(field)
        if prefix is not None and not raw.startswith(prefix):
            raise ValueError(messages.SECRET_PREFIX.format(var=var, prefix=prefix))
        return value

    @field_validator("database_url")
    @classmethod
    def _real_url(cls, value: SecretStr) -> SecretStr:
        if is_placeholder(value.get_secret_value()):
            raise ValueError(messages.SECRET_PLACEHOLDER.format(var="RELEASEBOT_DATABASE_URL"))
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError(messages.SLACK_API_URL_INVALID)
        return value.strip() if value.strip().endswith("/") else value.strip() + "/"

    def slack_problems(self, mode: SlackMode) -> list[str]:
        """What keeps the Slack app from starting in `mode`; empty when it can start."""
        problems = [] if self.slack_bot_token else [messages.BOT_TOKEN_MISSING]
        if mode == "socket" and self.slack_app_token is None:
            problems.append(messages.SOCKET_MODE_NEEDS_APP_TOKEN)
        if mode == "http" and self.slack_signing_secret is None:
            problems.append(messages.HTTP_MODE_NEEDS_SIGNING_SECRET)
        return problems


def load_settings() -> Settings:
    """Settings from the process environment, or `ConfigError` naming each bad variable."""
    try:
        return Settings()
    except ValidationError as err:
        problems = []
        for error in err.errors():
            ctx = error.get("ctx") or {}
            if error["type"] == "value_error" and "error" in ctx:
                problems.append(str(ctx["error"]))
            else:
                var = _ENV_NAMES.get(str(error["loc"][0]), str(error["loc"][0]))
                problems.append(f"{var}: {error['msg']} (the value is not shown)")
        raise ConfigError(problems) from None
