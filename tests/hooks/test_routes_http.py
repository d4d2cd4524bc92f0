"""The build hook router served by a real uvicorn on 127.0.0.1, spoken to with httpx."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI

from bot.asgi import serve_asgi
from bot.clock import ManualClock
from bot.hooks import MAX_BODY_BYTES, BuildAnnouncement, build_hook_router
from bot.workflow.model import BuildOutcome, BuildStatus
from tests.hooks.conftest import SECRET, encode, now_ts, signed_headers, valid_payload


@dataclass
class Served:
    url: str
    clock: ManualClock
    received: list[BuildAnnouncement] = field(default_factory=list)
    deliveries: list[str] = field(default_factory=list)

    def on_build(self, build: BuildAnnouncement, delivery: str) -> BuildOutcome:
        self.received.append(build)
        self.deliveries.append(delivery)
        return BuildOutcome(view=None, status=BuildStatus.NEW)


@pytest.fixture
def served() -> Iterator[Served]:
    clock = ManualClock()
    result = Served(url="", clock=clock)
    app = FastAPI()
    app.include_router(build_hook_router(secret=SECRET, clock=clock, on_build=result.on_build))
    with serve_asgi(app) as url:
        result.url = f"{url}/hooks/build"
        yield result


def test_signed_build_is_accepted_and_handed_on(served: Served) -> None:
    body = encode(valid_payload())
    response = httpx.post(
        served.url, content=body, headers=signed_headers(body, now_ts(served.clock))
    )
    assert response.status_code == 202
    assert response.json()["accepted"] is True
    assert response.json()["service"] == "api"
    assert [a.version for a in served.received] == ["1.4.2"]


def test_stale_request_is_401_and_not_handed_on(served: Served) -> None:
    body = encode(valid_payload())
    headers = signed_headers(body, now_ts(served.clock))
    served.clock.advance(301)
    response = httpx.post(served.url, content=body, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"accepted": False, "error": response.json()["error"]}
    assert "old" in response.json()["error"]
    assert served.received == []


def test_bad_json_is_400(served: Served) -> None:
    body = b'{"service": '
    response = httpx.post(
        served.url, content=body, headers=signed_headers(body, now_ts(served.clock))
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]


def test_schema_error_is_422_naming_the_field(served: Served) -> None:
    body = encode({**valid_payload(), "commit": "nope"})
    response = httpx.post(
        served.url, content=body, headers=signed_headers(body, now_ts(served.clock))
    )
    assert response.status_code == 422
    assert "field 'commit'" in response.json()["error"]


@pytest.mark.parametrize("size", [MAX_BODY_BYTES + 1, 2 * MAX_BODY_BYTES])
def test_oversized_body_is_413(served: Served, size: int) -> None:
    body = b" " * size
    response = httpx.post(
        served.url, content=body, headers=signed_headers(body, now_ts(served.clock))
    )
    assert response.status_code == 413
    assert served.received == []


def test_oversized_chunked_body_is_413_while_reading(served: Served) -> None:
    """No Content-Length: the cap must hold while streaming, not only on the header."""

    def chunks() -> Iterator[bytes]:
        for _ in range(32):
            yield b" " * (64 * 1024)

    response = httpx.post(served.url, content=chunks(), headers={"X-Releasebot-Timestamp": "1"})
    assert response.status_code == 413


def test_chunked_signed_body_is_accepted(served: Served) -> None:
    body = encode(valid_payload())
    response = httpx.post(
        served.url,
        content=iter([body[:10], body[10:]]),
        headers=signed_headers(body, now_ts(served.clock)),
    )
    assert response.status_code == 202


def test_router_refuses_an_empty_secret() -> None:
    with pytest.raises(ValueError, match="RELEASEBOT_BUILD_HOOK_SECRET"):
        build_hook_router(
            secret=b"",
            clock=ManualClock(),
            on_build=lambda _build, _delivery: BuildOutcome(None, BuildStatus.NEW),
        )


def _raw_status(url: str, head: bytes, body: bytes) -> int:
    """Send a request that never finishes its body; only an early refusal gets an answer."""
    port = int(url.split(":")[2].split("/")[0])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head + body)
        status_line = sock.makefile("rb").readline()
    return int(status_line.split()[1])


def test_declared_oversize_is_413_before_the_body_arrives(served: Served) -> None:
    head = (
        b"POST /hooks/build HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + f"Content-Length: {2 * MAX_BODY_BYTES}\r\n\r\n".encode()
    )
    assert _raw_status(served.url, head, b"") == 413


def test_chunked_oversize_is_413_before_the_body_ends(served: Served) -> None:
    head = b"POST /hooks/build HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    size = MAX_BODY_BYTES + 1
    chunk = f"{size:x}\r\n".encode() + b" " * size + b"\r\n"
    assert _raw_status(served.url, head, chunk) == 413
