"""Serve an ASGI app with uvicorn on a free 127.0.0.1 port, in a thread, for a ``with`` block.

The demo console and the tests reach the bot's HTTP app the way Slack does, over a real
socket, without a second process to manage.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

START_TIMEOUT_SECONDS = 5.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_asgi(app: Any) -> Iterator[str]:
    """Yields the base URL; stops the server (``should_exit``) and joins its thread after."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True, name="releasebot-http")
    thread.start()
    waited = threading.Event()
    for _ in range(int(START_TIMEOUT_SECONDS / 0.01)):
        if server.started or not thread.is_alive():
            break
        waited.wait(0.01)
    if not server.started:
        server.should_exit = True
        thread.join(timeout=10)
        raise RuntimeError(
            f"the HTTP server on 127.0.0.1:{port} did not start within "
            f"{START_TIMEOUT_SECONDS:g} s; see the log above for why"
        )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
