"""The HTTP side of the Slack stand-in: a local server that speaks slack.com/api's wire format.

Kept apart from the Web API methods so those stay plain Python (arguments in, JSON out) and
the wire details live in one place: POST form or JSON bodies and GET query strings, the token
from a bearer header or a ``token`` argument, and ``Retry-After`` on a 429.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

Json = dict[str, Any]
Answer = Callable[[str, Json, str | None], tuple[int, Json, int | None]]
"""(method, args, token) -> (HTTP status, body, Retry-After or None)."""


class LocalServer:
    """Serves ``answer`` on 127.0.0.1 at a free port, on its own thread."""

    def __init__(self, answer: Answer, *, name: str) -> None:
        self._answer = answer
        self._name = name
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self._answer))
        server.daemon_threads = False  # server_close() then joins every request thread
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=self._name
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        assert self._thread is not None
        self._thread.join()
        self._server = None

    @property
    def base_url(self) -> str:
        """What WebClient wants: it appends the method name, so the trailing slash matters."""
        assert self._server is not None, "start() the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"


def _handler_for(answer: Answer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8")
            ctype = self.headers.get("Content-Type") or ""
            args: Json = json.loads(raw or "{}") if "json" in ctype else dict(parse_qsl(raw))
            self._dispatch({**dict(parse_qsl(urlsplit(self.path).query)), **args})

        def do_GET(self) -> None:
            self._dispatch(dict(parse_qsl(urlsplit(self.path).query)))

        def _dispatch(self, args: Json) -> None:
            method = urlsplit(self.path).path.strip("/").removeprefix("api/")
            auth = self.headers.get("Authorization") or ""
            token = auth.removeprefix("Bearer ").strip() or args.pop("token", None)
            args.pop("token", None)
            status, body, retry_after = answer(method, args, token)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            if retry_after is not None:
                self.send_header("Retry-After", str(retry_after))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
