"""``POST /hooks/build`` over HTTP: cap the body, verify it, hand it on, answer 202.

A database that cannot be reached is 503 with ``Retry-After`` (CI retries); 422 means a
field is wrong and retrying the same body never helps.

The size cap is enforced twice: on ``Content-Length`` before reading (an honest sender is
told at once) and while streaming (a chunked or lying sender cannot make the bot buffer more
than 1 MiB).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bot.clock import Clock
from bot.hooks.build import MAX_BODY_BYTES, BuildAnnouncement, verify_build_request
from bot.hooks.errors import HookRejected
from bot.hooks.signing import delivery_key
from bot.workflow.errors import Conflict, Unavailable, WorkflowError
from bot.workflow.model import BuildOutcome, BuildStatus
from storage.errors import BuildConflict, DatabaseUnavailable

PATH = "/hooks/build"
RETRY_AFTER_SECONDS = 10
"""What a 503 asks CI to wait: long enough for a pooler restart or a failover to finish."""


BuildHandler = Callable[[BuildAnnouncement, str], BuildOutcome]
"""Takes a verified build and its delivery key (see ``signing.delivery_key``)."""


def build_hook_router(*, secret: bytes, clock: Clock, on_build: BuildHandler) -> APIRouter:
    """A router for the CI build hook; refuses to exist without a secret (fail closed)."""
    if not secret:
        raise ValueError("the build hook needs a signing secret; set RELEASEBOT_BUILD_HOOK_SECRET")
    router = APIRouter()

    @router.post(PATH, status_code=202)
    async def receive_build(request: Request) -> JSONResponse:
        try:
            body = await _read_capped(request)
            announcement = verify_build_request(
                secret=secret, headers=request.headers, body=body, now=clock.now()
            )
        except HookRejected as rejected:
            return JSONResponse(
                {"accepted": False, "error": rejected.reason},
                status_code=rejected.status_code,
            )
        try:
            outcome = await run_in_threadpool(on_build, announcement, delivery_key(request.headers))
        except (Unavailable, DatabaseUnavailable) as down:
            # Nothing was recorded; the same request will work once the database is back.
            return JSONResponse(
                {"accepted": False, "error": getattr(down, "message", str(down))},
                status_code=503,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        except (BuildConflict, Conflict) as refused:
            return JSONResponse({"accepted": False, "error": str(refused)}, status_code=409)
        except WorkflowError as refused:
            return JSONResponse({"accepted": False, "error": refused.message}, status_code=422)
        answer = {
            "accepted": True,
            "service": announcement.service,
            "version": announcement.version,
            "image": announcement.image,
        }
        if outcome.status is BuildStatus.NEW:
            return JSONResponse(answer, status_code=202)
        return JSONResponse(answer | {"note": _repeat_note(outcome)}, status_code=200)

    return router


def _repeat_note(outcome: BuildOutcome) -> str:
    if outcome.status is BuildStatus.REPLAYED:
        return "this exact request was delivered before; nothing was done again"
    when = outcome.first_received
    since = f" at {when:%Y-%m-%d %H:%M:%S} UTC" if when is not None else ""
    return f"this build was announced before{since}; nothing was announced or deployed again"


async def _read_capped(request: Request) -> bytes:
    too_large = HookRejected(413, f"the body is larger than {MAX_BODY_BYTES} bytes (1 MiB)")
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise HookRejected(400, "the Content-Length header is not a number")
        if int(declared) > MAX_BODY_BYTES:
            raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)
