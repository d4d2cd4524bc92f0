"""The curl + openssl recipe in docs/build-hook.md produces exactly the signature the bot checks."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bot.hooks import sign
from tests.hooks.conftest import SECRET, encode, valid_payload

DOC = Path(__file__).resolve().parents[2] / "docs" / "build-hook.md"
OPENSSL_LINE = "openssl dgst -sha256 -hmac \"$RELEASEBOT_BUILD_HOOK_SECRET\" -r | cut -d' ' -f1"
PREFIX_LINE = "printf 'v1:%s:' \"$ts\"; cat body.json;"


def test_doc_contains_the_recipe_this_test_runs() -> None:
    text = DOC.read_text()
    assert OPENSSL_LINE in text
    assert PREFIX_LINE in text
    assert "--data-binary @body.json" in text


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_openssl_command_matches_sign() -> None:
    body = encode(valid_payload()) + b"\n"
    timestamp = 1_767_603_600
    signed_input = f"v1:{timestamp}:".encode() + body  # what printf + cat feed to openssl
    result = subprocess.run(
        ["openssl", "dgst", "-sha256", "-hmac", SECRET.decode(), "-r"],
        input=signed_input,
        capture_output=True,
        check=True,
    )
    hex_digest = result.stdout.decode().split(" ")[0]  # what `cut -d' ' -f1` keeps
    assert f"v1={hex_digest}" == sign(SECRET, timestamp, body)
