"""What ``releasebot serve`` checks before it says what it serves: the secrets, the
configuration file and that Slack answers with the bot token. Each refusal is one sentence
that names what is missing and where to set it; nothing has been started or written yet."""

from __future__ import annotations

from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.config import Settings
from commands import messages


def secret_problems(settings: Settings) -> list[str]:
    """Every missing secret, each said once; empty when ``serve`` can start in the mode the
    tokens choose (an app token means Socket Mode, else the signing secret means HTTP)."""
    problems: list[str] = []
    if settings.slack_bot_token is None:
        problems.append(messages.SERVE_NO_BOT_USER)
    if settings.slack_app_token is None and settings.slack_signing_secret is None:
        problems.append(messages.SERVE_NO_MODE)
    if settings.build_hook_secret is None:
        problems.append(messages.SERVE_NO_BUILD_HOOK)
    return problems


def slack_problem(client: WebClient) -> str | None:
    """``auth.test`` with the bot token: why Slack did not answer it, or None when it did."""
    url = client.base_url
    try:
        client.auth_test()
    except SlackApiError as err:
        error = str(err.response.get("error", "an error"))
        return messages.SERVE_SLACK_REFUSED_BOT.format(url=url, error=error)
    except (SlackClientError, URLError, OSError) as err:
        reason = getattr(err, "reason", None) or err
        return messages.SERVE_SLACK_UNREACHABLE.format(url=url, reason=reason)
    return None
