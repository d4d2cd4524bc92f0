"""A tiny Socket Mode server: what Slack's ``wss://`` end does, over plain ``ws://`` on
127.0.0.1, for one client at a time.

It does the RFC 6455 handshake, answers pings, sends envelopes as text frames and keeps the
client's text frames (the acks) for the test to read. slack_sdk's built-in client connects
without TLS to any port but 443, so ``apps.connections.open`` on the Web API stand-in hands
out ``ws://127.0.0.1:<port>/link``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import queue
import socket
import struct
import threading
from typing import Any

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


class SocketModeServer:
    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._client: socket.socket | None = None
        self._send_lock = threading.Lock()
        self.received: queue.Queue[dict[str, Any]] = queue.Queue()
        self.connected = threading.Event()
        self.closed_by_client = threading.Event()
        self.disconnected = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="socket-mode-server", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._listener.getsockname()[:2]
        return f"ws://{host}:{port}/link"

    def start(self) -> SocketModeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(5)
        if self._client is not None:
            self._client.close()
        self._listener.close()

    def send(self, message: dict[str, Any]) -> None:
        assert self._client is not None, "no client connected"
        with self._send_lock:
            self._client.sendall(_frame(TEXT, json.dumps(message).encode()))

    # -- the connection ----------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(0.2)
            try:
                self._serve(client)
            except (ConnectionError, OSError):
                pass
            finally:
                client.close()
                if self.connected.is_set():
                    self.disconnected.set()

    def _serve(self, client: socket.socket) -> None:
        reader = _Reader(client, self._stopping)
        request = reader.until(b"\r\n\r\n").decode()
        key = next(
            line.split(":", 1)[1].strip()
            for line in request.split("\r\n")
            if line.lower().startswith("sec-websocket-key:")
        )
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        client.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        self._client = client
        self.send({"type": "hello", "num_connections": 1, "debug_info": {"host": "local"}})
        self.connected.set()
        while not self._stopping.is_set():
            opcode, payload = reader.frame()
            if opcode == PING:
                with self._send_lock:
                    client.sendall(_frame(PONG, payload))
            elif opcode == TEXT:
                self.received.put(json.loads(payload))
            elif opcode == CLOSE:
                self.closed_by_client.set()
                return


class _Reader:
    def __init__(self, sock: socket.socket, stopping: threading.Event) -> None:
        self._sock = sock
        self._stopping = stopping
        self._buffer = b""

    def _fill(self) -> None:
        while not self._stopping.is_set():
            try:
                chunk = self._sock.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                raise ConnectionError("the client went away")
            self._buffer += chunk
            return
        raise ConnectionError("stopping")

    def exactly(self, n: int) -> bytes:
        while len(self._buffer) < n:
            self._fill()
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def until(self, marker: bytes) -> bytes:
        while marker not in self._buffer:
            self._fill()
        data, _, self._buffer = self._buffer.partition(marker)
        return data

    def frame(self) -> tuple[int, bytes]:
        first, second = self.exactly(2)
        opcode, masked, length = first & 0x0F, second & 0x80, second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self.exactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self.exactly(8))
        mask = self.exactly(4) if masked else b"\0\0\0\0"
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(self.exactly(length)))
        return opcode, payload


def _frame(opcode: int, payload: bytes) -> bytes:
    head = bytes([0x80 | opcode])
    if len(payload) < 126:
        head += bytes([len(payload)])
    elif len(payload) < 1 << 16:
        head += bytes([126]) + struct.pack("!H", len(payload))
    else:
        head += bytes([127]) + struct.pack("!Q", len(payload))
    return head + payload
