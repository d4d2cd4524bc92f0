"""The simulated cluster's HTTP API server: authentication, routing and the wire format.

Plain stdlib HTTP/1.1 with one thread per connection. ``stop()`` ends every open watch, shuts
every open connection (idle keep-alive ones too) and joins every thread, so a test that used
the server leaves nothing running.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bot.kube.sim import discovery, openapi
from bot.kube.sim.apistatus import (
    ApiError,
    forbidden,
    method_not_allowed,
    path_not_found,
    status_body,
    unauthorized,
)
from bot.kube.sim.cluster import SimulatedCluster
from bot.kube.sim.endpoints import Call, Endpoints
from bot.kube.sim.faults import Faults
from bot.kube.sim.rbac import Identity, TokenRules, authenticate
from bot.kube.sim.routing import DiscoveryPath, ResourcePath, parse
from bot.kube.sim.store import Obj
from bot.kube.sim.watching import WatchRequest, WatchStreamer, is_watch

JSON = "application/json"
logger = logging.getLogger(__name__)


def verb_of(method: str, path: ResourcePath, query: dict[str, str]) -> str:
    """The RBAC verb of a request, as the API server's request-info resolver derives it."""
    if method == "GET":
        if path.watch_path or is_watch(query):
            return "watch"
        return "get" if path.name else "list"
    if method == "DELETE":
        return "delete" if path.name else "deletecollection"
    return {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(method, method.lower())


class SimApiServer:
    """Serves ``cluster`` on ``host:port`` (0 picks a free port) until :meth:`stop`."""

    def __init__(
        self,
        cluster: SimulatedCluster,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token_rules: TokenRules | None = None,
        latency: float = 0.0,
    ) -> None:
        self.cluster = cluster
        self.token_rules = token_rules
        self.latency = latency
        self.endpoints = Endpoints(cluster)
        self.watches = WatchStreamer(cluster)
        self.faults = Faults()
        self.stopping = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._sockets_lock = threading.Lock()
        self._peak = 0
        self._httpd = _HttpServer((host, port), _Handler)
        self._httpd.api = self
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"{host!s}:{port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="sim-api-server",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.watches.stop()
        self._httpd.shutdown()
        with self._sockets_lock:
            open_sockets = list(self._sockets)
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    @property
    def connections(self) -> int:
        """Client connections open now (watch streams and idle keep-alive ones included)."""
        with self._sockets_lock:
            return len(self._sockets)

    @property
    def peak_connections(self) -> int:
        with self._sockets_lock:
            return self._peak

    def track(self, sock: socket.socket, *, open_: bool) -> None:
        with self._sockets_lock:
            if open_:
                self._sockets.add(sock)
                self._peak = max(self._peak, len(self._sockets))
            else:
                self._sockets.discard(sock)

    def identify(self, authorization: str | None) -> Identity | None:
        """None when RBAC is off; raises 401 when it is on and the token is unknown."""
        if self.token_rules is None:
            return None
        identity = authenticate(self.token_rules, authorization)
        if identity is None:
            raise unauthorized()
        return identity

    def discovery_body(self, where: DiscoveryPath, accept: str) -> tuple[Obj, str]:
        aggregated = discovery.wants_aggregated(accept)
        if where.what == "version":
            return discovery.VERSION, JSON
        if where.what in ("api", "apis") and aggregated:
            return discovery.aggregated(where.what == "api"), discovery.AGGREGATED_CONTENT_TYPE
        if where.what == "api":
            return discovery.api_versions(self.address), JSON
        if where.what == "apis":
            return discovery.api_group_list(), JSON
        body: Obj | None = None
        if where.what == "openapi":
            body = openapi.document(where.version) if where.version else openapi.index()
        elif where.what == "group":
            body = discovery.api_group(where.group)
        elif where.what == "group-version":
            body = discovery.api_resource_list(where.group, where.version)
        if body is None:
            raise path_not_found()
        return body, JSON


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True
    api: SimApiServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out separately; no 40 ms stalls
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        self.server.api.track(self.connection, open_=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.api.track(self.connection, open_=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests' output is about the bot, not about every request."""

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        api = self.server.api
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if api.latency and api.stopping.wait(api.latency):
            self.close_connection = True
            return
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        accept = self.headers.get("Accept") or JSON
        fault = api.faults.take(method, is_watch(query) or "/watch/" in url.path)
        if fault.drop or (fault.stall and api.stopping.wait(fault.stall)):
            self.close_connection = True
            return
        try:
            identity = api.identify(self.headers.get("Authorization"))
            where = parse(url.path)
            if isinstance(where, DiscoveryPath):
                if method != "GET":
                    raise method_not_allowed()
                answer, content_type = api.discovery_body(where, accept)
                self._send(200, answer, content_type)
                return
            self._authorize(identity, method, where, query)
            if method == "GET" and (where.watch_path or is_watch(query)):
                if where.name:
                    query = {**query, "fieldSelector": _with_name(query, where.name)}
                self._stream_watch(WatchRequest(where.rtype, where.namespace, query, accept))
                return
            call = Call(method, where, query, accept, self.headers.get("Content-Type", ""), body)
            reply = api.endpoints.handle(call)
            self._send(reply.code, reply.body)
        except ApiError as err:
            self._send(err.code, err.body())
        except Exception as err:
            logger.exception("simulated API server failed on %s %s", method, self.path)
            self._send(500, status_body(500, "InternalError", f"an error on the server: {err}"))

    def _authorize(
        self, identity: Identity | None, method: str, where: ResourcePath, query: dict[str, str]
    ) -> None:
        if identity is None:
            return
        verb = verb_of(method, where, query)
        resource = where.rtype.plural + (f"/{where.subresource}" if where.subresource else "")
        if not identity.allows(verb, where.rtype.group, resource, where.namespace or None):
            raise forbidden(
                user=identity.user,
                verb=verb,
                rtype=where.rtype,
                subresource=where.subresource,
                namespace=where.namespace,
                name=where.name,
            )

    def _send(self, code: int, body: Obj, content_type: str = JSON) -> None:
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.write(data)

    def _stream_watch(self, request: WatchRequest) -> None:
        self.send_response(200)
        self.send_header("Content-Type", JSON)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        # The stream ends with the connection: say so, or the client's pool reuses a socket
        # this server is about to close and its next request fails for nothing.
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()

        def write(chunk: bytes) -> None:
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.flush()

        try:
            self.server.api.watches.run(request, write)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            pass
        self.close_connection = True


def _with_name(query: dict[str, str], name: str) -> str:
    """A watch on ``.../deployments/NAME`` is a watch with ``metadata.name=NAME``."""
    selector = f"metadata.name={name}"
    existing = query.get("fieldSelector")
    return f"{existing},{selector}" if existing else selector
