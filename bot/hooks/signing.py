"""The CI build hook's signature scheme, kept pure so CI scripts, docs and tests share it.

Scheme (version ``v1``)::

    X-Releasebot-Timestamp: <unix seconds>
    X-Releasebot-Signature: v1=<hex HMAC-SHA256(secret, "v1:" + timestamp + ":" + raw body)>

The timestamp is inside the MAC so a captured request cannot be replayed after the
tolerance window, and the raw bytes (not re-serialised JSON) are signed so sender and
receiver never disagree about formatting.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import datetime

from bot.hooks.errors import HookRejected

VERSION = "v1"
TIMESTAMP_HEADER = "X-Releasebot-Timestamp"
SIGNATURE_HEADER = "X-Releasebot-Signature"
TOLERANCE_SECONDS = 300

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(rf"{VERSION}=([0-9a-f]{{64}})")


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The ``X-Releasebot-Signature`` value for ``body`` sent at ``timestamp``."""
    message = f"{VERSION}:{timestamp}:".encode() + body
    return f"{VERSION}=" + hmac.new(secret, message, hashlib.sha256).hexdigest()


def verify_signature(
    *, secret: bytes, headers: Mapping[str, str], body: bytes, now: datetime
) -> None:
    """Raise :class:`HookRejected` (401) unless ``body`` was signed with ``secret`` recently."""
    if not secret:
        raise ValueError("the build hook secret is empty; set RELEASEBOT_BUILD_HOOK_SECRET")
    lowered = {key.lower(): value for key, value in headers.items()}
    raw_timestamp = lowered.get(TIMESTAMP_HEADER.lower())
    raw_signature = lowered.get(SIGNATURE_HEADER.lower())
    if raw_timestamp is None:
        raise HookRejected(401, f"the {TIMESTAMP_HEADER} header (unix seconds) is missing")
    if raw_signature is None:
        raise HookRejected(
            401, f"the {SIGNATURE_HEADER} header is missing; send {VERSION}=<hex HMAC-SHA256>"
        )
    if not _TIMESTAMP.fullmatch(raw_timestamp.strip()):
        raise HookRejected(401, f"the {TIMESTAMP_HEADER} header must be unix seconds (digits only)")
    timestamp = int(raw_timestamp.strip())
    skew = now.timestamp() - timestamp
    if abs(skew) > TOLERANCE_SECONDS:
        direction = "old" if skew > 0 else "far in the future"
        raise HookRejected(
            401,
            f"the timestamp is {abs(int(skew))} s {direction} (at most {TOLERANCE_SECONDS} s "
            "allowed); sign each request when sending it and check the sender's clock",
        )
    match = _SIGNATURE.fullmatch(raw_signature.strip())
    if match is None:
        raise HookRejected(
            401, f"the {SIGNATURE_HEADER} header must be {VERSION}=<64 lower-case hex digits>"
        )
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), raw_signature.strip().encode()):
        raise HookRejected(
            401,
            "the signature does not match the body; sign the exact bytes sent, "
            f'as "{VERSION}:" + timestamp + ":" + body, with the configured secret',
        )


def delivery_key(headers: Mapping[str, str]) -> str:
    """The UNIQUE key of one signed delivery: its signature, which covers the timestamp and
    every byte of the body. Call it after :func:`verify_signature` accepted ``headers``."""
    lowered = {key.lower(): value for key, value in headers.items()}
    return "build-hook:" + lowered[SIGNATURE_HEADER.lower()].strip()
