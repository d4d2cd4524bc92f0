"""verify_build_request end to end without HTTP: 413, 400, 422 naming the field, and success."""

from __future__ import annotations

from typing import Any

import pytest

from bot.clock import ManualClock
from bot.hooks import MAX_BODY_BYTES, HookRejected, verify_build_request
from tests.hooks.conftest import DIGEST, SECRET, encode, now_ts, signed_headers, valid_payload


def _verify(clock: ManualClock, body: bytes) -> Any:
    return verify_build_request(
        secret=SECRET, headers=signed_headers(body, now_ts(clock)), body=body, now=clock.now()
    )


def _refusal(clock: ManualClock, body: bytes) -> HookRejected:
    with pytest.raises(HookRejected) as caught:
        _verify(clock, body)
    return caught.value


def test_valid_payload_becomes_an_announcement(clock: ManualClock) -> None:
    payload = valid_payload()
    payload["commit"] = payload["commit"].upper()
    announcement = _verify(clock, encode(payload))
    assert announcement.service == "api"
    assert announcement.digest == DIGEST
    assert announcement.image_ref.repository_name == "registry.example.com/shop/api"
    assert announcement.commit == valid_payload()["commit"]
    assert announcement.changelog == ("Faster checkout", "Fix rounding of VAT")


def test_changelog_is_optional(clock: ManualClock) -> None:
    payload = valid_payload()
    del payload["changelog"]
    assert _verify(clock, encode(payload)).changelog == ()


def _with(**changes: Any) -> dict[str, Any]:
    payload = valid_payload()
    for key, value in changes.items():
        if value is _DROP:
            del payload[key]
        else:
            payload[key] = value
    return payload


_DROP = object()

INVALID = [
    ("service", _with(service="API")),
    ("service", _with(service="-api")),
    ("service", _with(service="a" * 64)),
    ("service", _with(service="api;rm")),
    ("version", _with(version="")),
    ("version", _with(version="v" * 129)),
    ("version", _with(version="1.4 2")),
    ("version", _with(version="-rc1")),
    ("image", _with(image="registry.example.com/shop/api:1.4.2")),
    ("image", _with(image="registry.example.com/shop/api@sha256:abc")),
    ("image", _with(image="Registry.example.com/Shop/API@" + DIGEST)),
    ("image", _with(image="$(reboot)@" + DIGEST)),
    ("commit", _with(commit="9fceb0")),
    ("commit", _with(commit="a" * 41)),
    ("commit", _with(commit="9fceb02z")),
    ("branch", _with(branch="")),
    ("branch", _with(branch="b" * 256)),
    ("branch", _with(branch="main\nInjected: yes")),
    ("branch", _with(branch="main\x1b[31m")),
    ("pipeline_url", _with(pipeline_url="ftp://ci.example.com/1")),
    ("pipeline_url", _with(pipeline_url="javascript:alert(1)")),
    ("pipeline_url", _with(pipeline_url="https://")),
    ("pipeline_url", _with(pipeline_url="https://ci.example.com/a b")),
    ("changelog", _with(changelog=["line"] * 51)),
    ("changelog.1", _with(changelog=["ok", "x" * 301])),
    ("changelog.0", _with(changelog=["two\nlines"])),
]


WRONG_SHAPE = [
    ("service", _with(service=_DROP)),
    ("service", _with(service=7)),
    ("service", _with(service=None)),
    ("service", _with(service=["api"])),
    ("version", _with(version=1.4)),
    ("version", _with(version={"major": 1})),
    ("changelog", _with(changelog="not a list")),
    ("changelog", _with(changelog={"0": "line"})),
    ("changelog.0", _with(changelog=[1])),
    ("unexpected", _with(unexpected="field")),
]


@pytest.mark.parametrize(("field", "payload"), WRONG_SHAPE)
def test_a_body_of_the_wrong_shape_is_400_naming_the_field(
    clock: ManualClock, field: str, payload: dict[str, Any]
) -> None:
    refusal = _refusal(clock, encode(payload))
    assert refusal.status_code == 400
    assert f"field '{field}'" in refusal.reason


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_is_400_not_a_crash(clock: ManualClock, depth: int) -> None:
    for body in (b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth):
        refusal = _refusal(clock, body)
        assert refusal.status_code == 400
        assert refusal.reason


@pytest.mark.parametrize(("field", "payload"), INVALID)
def test_invalid_payload_is_422_naming_the_field(
    clock: ManualClock, field: str, payload: dict[str, Any]
) -> None:
    refusal = _refusal(clock, encode(payload))
    assert refusal.status_code == 422
    assert f"field '{field}'" in refusal.reason


@pytest.mark.parametrize("body", [b"[]", b'"api"', b"null", b"7", b"true"])
def test_body_that_is_not_an_object_is_400(clock: ManualClock, body: bytes) -> None:
    refusal = _refusal(clock, body)
    assert refusal.status_code == 400
    assert "JSON object" in refusal.reason


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"service": "api",', "not valid JSON"),
        (b"", "not valid JSON"),
        (b'{"service": "api", "service": "web"}', "appears twice"),
        (b'{"version": NaN}', "NaN is not allowed"),
        (b'{"service": "\xff"}', "not UTF-8"),
    ],
)
def test_malformed_json_is_400_with_a_reason(clock: ManualClock, body: bytes, reason: str) -> None:
    refusal = _refusal(clock, body)
    assert refusal.status_code == 400
    assert reason in refusal.reason


def test_body_of_one_mebibyte_plus_one_is_413(clock: ManualClock) -> None:
    refusal = _refusal(clock, b" " * (MAX_BODY_BYTES + 1))
    assert refusal.status_code == 413


def test_body_of_exactly_one_mebibyte_is_not_refused_for_size(clock: ManualClock) -> None:
    body = encode(valid_payload())
    body = body + b" " * (MAX_BODY_BYTES - len(body))
    assert _verify(clock, body).service == "api"


def test_unsigned_garbage_is_401_before_it_is_parsed(clock: ManualClock) -> None:
    with pytest.raises(HookRejected) as caught:
        verify_build_request(secret=SECRET, headers={}, body=b"{not json", now=clock.now())
    assert caught.value.status_code == 401
