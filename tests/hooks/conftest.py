"""Shared pieces for the build hook tests: a secret, a clock, a valid payload, signed headers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.hooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

SECRET = b"ci-build-hook-test-secret"
DIGEST = "sha256:" + "ab" * 32


def valid_payload() -> dict[str, Any]:
    return {
        "service": "api",
        "version": "1.4.2",
        "image": f"registry.example.com/shop/api:1.4.2@{DIGEST}",
        "commit": "9fceb02d0ae598e95dc970b74767f19372d61af8",
        "branch": "main",
        "pipeline_url": "https://ci.example.com/shop/api/-/pipelines/4711",
        "changelog": ["Faster checkout", "Fix rounding of VAT"],
    }


def encode(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def signed_headers(body: bytes, timestamp: int, secret: bytes = SECRET) -> dict[str, str]:
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, timestamp, body)}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def now_ts(clock: ManualClock) -> int:
    return int(clock.now().timestamp())
