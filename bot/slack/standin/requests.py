"""What Slack sends to the bot's HTTP endpoint, built and signed the way Slack does it.

The demo console turns what a person types into these requests; the tests send the same
bytes. The signature is Slack's ``v0``: ``HMAC-SHA256(secret, "v0:" + timestamp + ":" + body)``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

RESPONSE_URL = "https://hooks.slack.invalid/commands/1"


def signature_headers(body: bytes, *, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """``X-Slack-Request-Timestamp`` and ``X-Slack-Signature`` for ``body``, signed now."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def content_type(body: bytes) -> str:
    """Events arrive as JSON; commands and interactions as a form."""
    return "application/json" if body.startswith(b"{") else "application/x-www-form-urlencoded"


def slack_encoded(text: str) -> str:
    """Typed text as Slack sends it in a slash command: ``&``, ``<`` and ``>`` as entities
    (mentions and links a client turned into ``<…>`` entities are sent already encoded)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def command_body(
    command: str,
    text: str,
    *,
    team: str,
    user: str,
    channel: str,
    trigger: str | None = None,
    encoded: bool = False,
) -> bytes:
    """A slash command as Slack posts it (form-encoded). ``text`` is what the person typed,
    encoded here as Slack does; ``encoded=True`` sends it as given (entities included)."""
    return urlencode(
        {
            "token": "legacy-unused",
            "team_id": team,
            "channel_id": channel,
            "user_id": user,
            "command": command,
            "text": text if encoded else slack_encoded(text),
            "response_url": RESPONSE_URL,
            "trigger_id": trigger or f"{uuid.uuid4().int % 10**12}.1.abc",
        }
    ).encode()


def action_body(
    action_id: str,
    value: str,
    *,
    team: str,
    user: str,
    channel: str,
    message_ts: str,
    action_ts: str,
    block_id: str = "b1",
) -> bytes:
    """A button click (``block_actions``) as Slack posts it: a form with one JSON ``payload``."""
    payload = {
        "type": "block_actions",
        "team": {"id": team},
        "user": {"id": user, "team_id": team},
        "channel": {"id": channel},
        "container": {"type": "message", "channel_id": channel, "message_ts": message_ts},
        "trigger_id": f"{uuid.uuid4().int % 10**12}.1.abc",
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "action_ts": action_ts,
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def event_body(event: dict[str, Any], *, team: str, event_id: str, bot_user: str) -> bytes:
    """An Events API callback wrapping ``event``, authorised for the bot user."""
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": team,
            "api_app_id": "A0RELEASE",
            "event": event,
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": team, "user_id": bot_user, "is_bot": True}],
        }
    ).encode()


def reaction_event(
    name: str,
    *,
    user: str,
    channel: str,
    ts: str,
    item_user: str,
    event_ts: str,
    added: bool = True,
) -> dict[str, Any]:
    """``reaction_added`` (or ``reaction_removed``) of ``name`` on the message ``ts``."""
    return {
        "type": "reaction_added" if added else "reaction_removed",
        "user": user,
        "reaction": name,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "item_user": item_user,
        "event_ts": event_ts,
    }
