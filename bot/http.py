"""The HTTP face of releasebot (HTTP mode): Slack's requests, the CI build hook and probes.

Bolt's sync ``App.dispatch`` blocks, so it runs on the thread pool, never on the event loop;
the body is capped before Bolt sees it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import sqlalchemy
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.concurrency import run_in_threadpool

from bot.clock import Clock
from bot.hooks import MAX_BODY_BYTES, build_hook_router
from bot.hooks.routes import BuildHandler
from bot.slack.envelope import Refused, check_request

log = logging.getLogger(__name__)

SLACK_PATH = "/slack/events"

TOO_LARGE = f"The body is larger than {MAX_BODY_BYTES} bytes (1 MiB); Slack never sends that."
NOT_READY = "The database cannot be reached; releasebot refuses work until it can."
SOCKET_MODE = (
    "This releasebot runs in Socket Mode: Slack's events arrive over its socket, not here. "
    "For HTTP mode, unset SLACK_APP_TOKEN, set SLACK_SIGNING_SECRET and restart it."
)


class _TooLarge(Exception):
    pass


def create_http_app(
    *,
    slack_app: App,
    engine: sqlalchemy.Engine,
    clock: Clock,
    build_hook_secret: bytes | None = None,
    on_build: BuildHandler | None = None,
    serve_slack_events: bool = True,
    slack_signing_secret: str | None = None,
    wall_clock: Callable[[], float] = time.time,
) -> FastAPI:
    """``slack_signing_secret`` is the one ``slack_app`` was built with (``bot.app.build_app``):
    it is checked on the raw bytes before Bolt parses anything. Without ``serve_slack_events``
    (Socket Mode) ``/slack/events`` only answers 404 and why. Freshness of a signature is
    judged on ``wall_clock``, because Slack signs with its own clock, as Bolt does.
    Without ``build_hook_secret`` there is no ``/hooks/build``: a hook nobody can sign for
    is better absent than open."""
    api = FastAPI(title="releasebot", docs_url=None, redoc_url=None, openapi_url=None)
    if serve_slack_events and not slack_signing_secret:
        raise ValueError("/slack/events needs the signing secret; set SLACK_SIGNING_SECRET")

    @api.post(SLACK_PATH)
    async def slack_events(request: Request) -> Response:
        if not serve_slack_events:
            return JSONResponse({"error": SOCKET_MODE}, status_code=404)
        try:
            body = await _read_capped(request)
        except _TooLarge:
            return JSONResponse({"error": TOO_LARGE}, status_code=413)
        try:
            check_request(
                signing_secret=slack_signing_secret or "",
                headers=request.headers,
                body=body,
                now=wall_clock,
            )
        except Refused as refused:
            log.warning("refused a request to %s: %s", SLACK_PATH, refused.reason)
            return JSONResponse({"error": refused.reason}, status_code=refused.status)
        bolt_response = await run_in_threadpool(slack_app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(bolt_response)

    @api.get("/healthz")
    async def healthz() -> dict[str, bool]:
        return {"ok": True}

    @api.get("/readyz")
    async def readyz() -> JSONResponse:
        ready = await run_in_threadpool(_database_reachable, engine)
        if ready:
            return JSONResponse({"ready": True})
        return JSONResponse({"ready": False, "error": NOT_READY}, status_code=503)

    if build_hook_secret and on_build is not None:
        api.include_router(
            build_hook_router(secret=build_hook_secret, clock=clock, on_build=on_build)
        )
    return api


def _database_reachable(engine: sqlalchemy.Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("SELECT 1"))
    except sqlalchemy.exc.SQLAlchemyError:
        return False
    return True


async def _read_capped(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)
