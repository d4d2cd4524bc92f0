"""A Slack request checked on its raw bytes before Bolt, or anything else, parses it.

Bolt verifies the signature too, but only after it has parsed the body, and it reads nested
fields (``team.id``, ``actions[0]``, ``event.item``) assuming Slack's shapes: a signed body of
the wrong shape would reach a listener as a ``TypeError`` and a 500. So the order here is
the order of trust: the signature on the bytes (401, whatever the body holds), then the
syntax (400), then the shape of every field Bolt and the listeners read (400). A refusal is
one log line, never a traceback.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

log = logging.getLogger(__name__)

TOLERANCE_SECONDS = 300


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status}: {reason}")
        self.status = status
        self.reason = reason


def check_request(
    *, signing_secret: str, headers: Mapping[str, str], body: bytes, now: Callable[[], float]
) -> None:
    """Raise :class:`Refused` unless Slack signed ``body`` recently and it has Slack's shape."""
    _check_signature(signing_secret, headers, body, now)
    payload = _parse(body, headers.get("content-type"))
    problem = _shape_problem(payload)
    if problem is not None:
        raise Refused(400, f"the request does not have the shape Slack sends: {problem}")


def _check_signature(
    secret: str, headers: Mapping[str, str], body: bytes, now: Callable[[], float]
) -> None:
    timestamp = headers.get("x-slack-request-timestamp")
    signature = headers.get("x-slack-signature")
    if not timestamp or not signature:
        raise Refused(401, "the request is not signed (X-Slack-Signature and timestamp)")
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        raise Refused(401, "X-Slack-Request-Timestamp must be unix seconds")
    if abs(now() - int(timestamp)) > TOLERANCE_SECONDS:
        raise Refused(401, "the request's timestamp is more than 5 minutes away")
    # On the bytes as they came: slack_sdk's verifier decodes the body as UTF-8 first, and
    # would fail with an exception, not a refusal, on a body that is not.
    mac = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    if not hmac.compare_digest(f"v0={mac.hexdigest()}".encode(), signature.encode()):
        raise Refused(401, "the signature does not match the request")


def _parse(body: bytes, content_type: str | None) -> Any:
    """The same rules as Bolt's ``parse_body``, with every failure a 400."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise Refused(400, f"the body is not UTF-8 (byte {err.start})") from err
    if not text:
        raise Refused(400, "the body is empty")
    try:
        if (content_type or "").startswith("application/json") or text.startswith("{"):
            return _json(text)
        form = dict(parse_qsl(text, keep_blank_values=True))
        if "payload" in form:
            return json.loads(form["payload"])
    except (ValueError, RecursionError) as err:
        kind = type(err).__name__
        raise Refused(400, f"the body is not valid JSON or form data ({kind})") from err
    if not form.keys() & _FORM_KINDS:
        raise Refused(400, "a form body must be a slash command or carry a payload")
    return form


_FORM_KINDS = frozenset({"command", "payload", "ssl_check"})


def _json(text: str) -> Any:
    payload = json.loads(text)
    if isinstance(payload, dict) and not isinstance(payload.get("type"), str):
        raise Refused(400, "a JSON body from Slack names its 'type'")
    return payload


_OBJECT = (dict, type(None))
_TEXT = (str, type(None))
_ID_OR_OBJECT = (str, dict, type(None))

_TOP: dict[str, tuple[type, ...]] = {
    "type": _TEXT,
    "token": _TEXT,
    "team_id": _TEXT,
    "api_app_id": _TEXT,
    "event_id": _TEXT,
    "trigger_id": _TEXT,
    "command": _TEXT,
    "text": _TEXT,
    "user_id": _TEXT,
    "channel_id": _TEXT,
    "response_url": _TEXT,
    "challenge": _TEXT,
    "team": _OBJECT,
    "user": _ID_OR_OBJECT,
    "channel": _OBJECT,
    "enterprise": (dict, str, type(None)),
    "container": _OBJECT,
    "message": _OBJECT,
    "view": _OBJECT,
    "state": _OBJECT,
    "event": _OBJECT,
    "actions": (list, type(None)),
    "authorizations": (list, type(None)),
}
_NESTED_ID = ("team", "user", "channel", "enterprise")
_ACTION: dict[str, tuple[type, ...]] = {
    "action_id": (str,),
    "block_id": _TEXT,
    "value": _TEXT,
    "action_ts": _TEXT,
    "type": _TEXT,
}
_EVENT: dict[str, tuple[type, ...]] = {
    "type": (str,),
    "user": _ID_OR_OBJECT,
    "reaction": _TEXT,
    "item": _OBJECT,
    "item_user": _TEXT,
    "channel": _ID_OR_OBJECT,
    "event_ts": _TEXT,
    "ts": _TEXT,
    "team": _ID_OR_OBJECT,
    "bot_id": _TEXT,
    "subtype": _TEXT,
}
_ITEM: dict[str, tuple[type, ...]] = {"type": _TEXT, "channel": _TEXT, "ts": _TEXT}


def _shape_problem(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return f"the payload is a JSON {type(payload).__name__}, not an object"
    problem = _fields(payload, _TOP, "")
    if problem:
        return problem
    for key in _NESTED_ID:
        value = payload.get(key)
        if isinstance(value, dict) and not isinstance(value.get("id"), _TEXT):
            return f"'{key}.id' must be a string"
    actions = payload.get("actions")
    if actions is not None:
        for n, action in enumerate(actions):
            if not isinstance(action, dict):
                return f"'actions[{n}]' must be an object"
            problem = _fields(action, _ACTION, f"actions[{n}].", required=("action_id",))
            if problem:
                return problem
    authorizations = payload.get("authorizations")
    if authorizations is not None and not all(isinstance(a, dict) for a in authorizations):
        return "'authorizations' must be a list of objects"
    event = payload.get("event")
    if event is not None:
        problem = _fields(event, _EVENT, "event.", required=("type",))
        if problem:
            return problem
        item = event.get("item")
        if item is not None:
            return _fields(item, _ITEM, "event.item.")
    return None


def _fields(
    obj: dict[str, Any],
    allowed: dict[str, tuple[type, ...]],
    prefix: str,
    required: tuple[str, ...] = (),
) -> str | None:
    for key in required:
        if key not in obj:
            return f"'{prefix}{key}' is missing"
    for key, types in allowed.items():
        if key in obj and not isinstance(obj[key], types):
            wanted = " or ".join(sorted({_NAMES[t] for t in types}))
            found = _NAMES.get(type(obj[key]), "value")
            return f"'{prefix}{key}' must be {wanted}, not a JSON {found}"
    return None


_NAMES: dict[type, str] = {
    dict: "object",
    list: "list",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}
