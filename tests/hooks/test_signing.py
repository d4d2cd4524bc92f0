"""The v1 signature: what is accepted, and that every kind of forgery gets a 401 with a reason."""

from __future__ import annotations

import pytest

from bot.clock import ManualClock
from bot.hooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, HookRejected, sign
from bot.hooks.signing import verify_signature
from tests.hooks.conftest import SECRET, encode, now_ts, signed_headers, valid_payload


def _verify(clock: ManualClock, headers: dict[str, str], body: bytes) -> None:
    verify_signature(secret=SECRET, headers=headers, body=body, now=clock.now())


def test_sign_is_hmac_sha256_over_version_timestamp_and_body() -> None:
    # Known answer computed independently: printf 'v1:1700000000:{}' | openssl dgst -sha256 -hmac k
    assert sign(b"k", 1_700_000_000, b"{}") == (
        "v1=" + "b7a618d594a8d858f87fe5764824cae5951987d832716b2d945d937926ab7b30"
    )


def test_good_signature_is_accepted(clock: ManualClock) -> None:
    body = encode(valid_payload())
    _verify(clock, signed_headers(body, now_ts(clock)), body)


def test_header_names_are_case_insensitive(clock: ManualClock) -> None:
    body = encode(valid_payload())
    headers = {k.lower(): v for k, v in signed_headers(body, now_ts(clock)).items()}
    _verify(clock, headers, body)


def test_timestamp_at_the_edge_of_the_window_is_accepted(clock: ManualClock) -> None:
    body = b"{}"
    _verify(clock, signed_headers(body, now_ts(clock) - 300), body)
    _verify(clock, signed_headers(body, now_ts(clock) + 300), body)


def _rejected(clock: ManualClock, headers: dict[str, str], body: bytes) -> str:
    with pytest.raises(HookRejected) as caught:
        _verify(clock, headers, body)
    assert caught.value.status_code == 401
    assert caught.value.reason
    assert SECRET.decode() not in caught.value.reason
    return caught.value.reason


def test_tampered_body_is_refused(clock: ManualClock) -> None:
    body = encode(valid_payload())
    headers = signed_headers(body, now_ts(clock))
    reason = _rejected(clock, headers, body.replace(b"1.4.2", b"1.4.3"))
    assert "does not match" in reason


def test_wrong_secret_is_refused(clock: ManualClock) -> None:
    body = encode(valid_payload())
    reason = _rejected(clock, signed_headers(body, now_ts(clock), secret=b"other"), body)
    assert "does not match" in reason


def test_signature_for_another_timestamp_is_refused(clock: ManualClock) -> None:
    body = b"{}"
    headers = signed_headers(body, now_ts(clock))
    headers[TIMESTAMP_HEADER] = str(now_ts(clock) + 1)
    assert "does not match" in _rejected(clock, headers, body)


@pytest.mark.parametrize("missing", [TIMESTAMP_HEADER, SIGNATURE_HEADER])
def test_missing_header_is_refused(clock: ManualClock, missing: str) -> None:
    body = b"{}"
    headers = signed_headers(body, now_ts(clock))
    del headers[missing]
    assert missing in _rejected(clock, headers, body)


def test_stale_timestamp_is_refused(clock: ManualClock) -> None:
    body = b"{}"
    headers = signed_headers(body, now_ts(clock))
    clock.advance(301)
    assert "301 s old" in _rejected(clock, headers, body)


def test_future_timestamp_is_refused(clock: ManualClock) -> None:
    body = b"{}"
    reason = _rejected(clock, signed_headers(body, now_ts(clock) + 301), body)
    assert "future" in reason


@pytest.mark.parametrize("timestamp", ["", "abc", "1.7e9", "-5", "0x10", "1700000000x", "٣"])
def test_non_numeric_timestamp_is_refused(clock: ManualClock, timestamp: str) -> None:
    body = b"{}"
    headers = {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(SECRET, now_ts(clock), body)}
    assert "unix seconds" in _rejected(clock, headers, body)


@pytest.mark.parametrize(
    "signature", ["", "v0=" + "0" * 64, "v1=" + "0" * 63, "v1=" + "G" * 64, "sha256=abc"]
)
def test_malformed_signature_is_refused(clock: ManualClock, signature: str) -> None:
    body = b"{}"
    headers = {TIMESTAMP_HEADER: str(now_ts(clock)), SIGNATURE_HEADER: signature}
    _rejected(clock, headers, body)


def test_empty_secret_is_a_configuration_error(clock: ManualClock) -> None:
    with pytest.raises(ValueError, match="RELEASEBOT_BUILD_HOOK_SECRET"):
        verify_signature(secret=b"", headers={}, body=b"", now=clock.now())
