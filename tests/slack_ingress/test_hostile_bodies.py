"""Bodies Slack never sends, signed and unsigned, at /slack/events over real HTTP.

Unsigned or badly signed: 401 whatever the body holds (the signature is checked on the raw
bytes first). Signed but not JSON or form data, or of the wrong shape: 400, nothing done,
one log line and no traceback.
"""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest

from tests.slack_ingress.conftest import Served, action_body, command_body, event_body, sign


def _payload(obj: object) -> bytes:
    return urlencode({"payload": json.dumps(obj)}).encode()


def _action(**changes: object) -> bytes:
    form = dict(parse_qsl(action_body("approve", "x").decode()))
    body = json.loads(form["payload"])
    body.update(changes)
    return _payload(body)


REACTION = {
    "type": "reaction_added",
    "user": "U0ALICE",
    "reaction": "x",
    "item": {"type": "message", "channel": "C1", "ts": "1.0"},
}


def _event(event: dict[str, object] | None = None, **changes: object) -> bytes:
    body = json.loads(event_body(REACTION))
    body["event"].update(event or {})
    body.update(changes)
    return json.dumps(body).encode()


def _callback(event: object) -> bytes:
    return json.dumps(
        {"type": "event_callback", "team_id": "T0TEAM", "event": event, "event_id": "Ev1"}
    ).encode()


MALFORMED: list[tuple[str, bytes]] = [
    ("not JSON", b"{not json"),
    ("JSON array", b"[1, 2]"),
    ("JSON string", b'"hello"'),
    ("payload is a list", urlencode({"payload": "[]"}).encode()),
    ("payload not JSON", urlencode({"payload": "{oops"}).encode()),
    ("payload a number", urlencode({"payload": "7"}).encode()),
    ("deeply nested", b'{"a":' * 100_000 + b"1" + b"}" * 100_000),
    ("not UTF-8", b'{"type": "\xff"}'),
    ("actions not a list", _action(actions={"action_id": "approve"})),
    ("action not an object", _action(actions=["approve"])),
    ("action_id a number", _action(actions=[{"action_id": 7, "value": "x"}])),
    ("action without action_id", _action(actions=[{"value": "x"}])),
    ("user a list", _action(user=["U0ALICE"])),
    ("team a string list", _action(team=[1])),
    ("team.id a number", _action(team={"id": 5})),
    ("channel a string", _action(channel="C1")),
    ("event not an object", _callback("reaction_added")),
    ("event a list", _callback([REACTION])),
    ("event without type", _callback({"user": "U1"})),
    ("item not an object", _event(event={"item": "message"})),
    ("item.ts a number", _event(event={"item": {"type": "message", "channel": "C1", "ts": 1.0}})),
    ("reaction a list", _event(event={"reaction": ["x"]})),
    ("authorizations of strings", _event(authorizations=["T0TEAM"])),
    ("empty body", b""),
    ("form of nothing Slack sends", b"a=1&b=2"),
    ("JSON without a type", b'{"event": {"type": "x"}}'),
]


@pytest.mark.parametrize(("what", "body"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_body_is_401_unsigned_and_400_signed_with_one_log_line(
    served: Served, caplog: pytest.LogCaptureFixture, what: str, body: bytes
) -> None:
    unsigned = httpx.post(
        f"{served.url}/slack/events",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert unsigned.status_code == 401, unsigned.text
    badly_signed = served.post(body, headers={"X-Slack-Signature": "v0=" + "0" * 64})
    assert badly_signed.status_code == 401, badly_signed.text
    caplog.clear()
    with caplog.at_level(logging.INFO):
        signed = served.post(body)
    assert signed.status_code == 400, (what, signed.status_code, signed.text)
    assert signed.json()["error"]
    refusals = [r for r in caplog.records if "refused a request" in r.getMessage()]
    assert len(refusals) == 1
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert served.workflow.wait_for_calls(1, timeout=0.3) == []


@pytest.mark.parametrize("timestamp", ["abc", "12.5", "-1", "", "1e9", "17 17", "0x10"])
def test_a_timestamp_that_is_not_unix_seconds_is_401(served: Served, timestamp: str) -> None:
    body = command_body("/deploy", "help")
    headers = sign(body) | {"X-Slack-Request-Timestamp": timestamp}
    response = served.post(body, headers=headers)
    assert response.status_code == 401


def test_a_stale_signature_is_401_before_the_body_is_read(served: Served) -> None:
    body = b"{not json"
    response = served.post(body, headers=sign(body, timestamp=int(time.time()) - 301))
    assert response.status_code == 401
    assert "5 minutes" in response.json()["error"]


def test_a_well_formed_signed_request_still_goes_through(served: Served) -> None:
    response = served.post(command_body("/deploy", "help"))
    assert response.status_code == 200
