"""``releasebot serve`` in Socket Mode, as a real process: Slack's events come over the socket
(a local ws:// server stands in for Slack's), and the HTTP endpoints that are not Slack's
(/hooks/build, /healthz, /readyz) are served all the same; SIGTERM closes both."""

from __future__ import annotations

import queue
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

from bot.slack.standin.requests import command_body
from bot.slack.standin.webapi import TEAM_ID
from storage.models import ReleaseState
from tests.e2e.serve_process import world
from tests.e2e.socket_server import SocketModeServer

APP_TOKEN = "xapp-1-A0RELEASE-1-5f2c9d7e"
USER = "U0REQUEST"


def ack_for(server: SocketModeServer, envelope_id: str, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            message = server.received.get(timeout=0.2)
        except queue.Empty:
            continue
        if message.get("envelope_id") == envelope_id:
            return message
    raise AssertionError(f"no ack for envelope {envelope_id}")


def test_socket_mode_serves_the_hooks_and_probes_and_slack_over_the_socket(
    tmp_path: Path,
) -> None:
    server = SocketModeServer().start()
    try:
        with world(tmp_path, app_token=APP_TOKEN, socket_mode_url=server.url) as w:
            bot = w.serve()
            assert "Socket Mode" in bot.tail()
            assert server.connected.wait(30), bot.tail()
            assert w.slack.calls("apps.connections.open")

            assert httpx.get(f"{bot.url}/healthz", timeout=5).json() == {"ok": True}
            assert httpx.get(f"{bot.url}/readyz", timeout=5).json() == {"ready": True}
            refused = httpx.post(f"{bot.url}/slack/events", content=b"{}", timeout=5)
            assert refused.status_code == 404
            assert "Socket Mode" in refused.json()["error"]

            # CI's build hook is served in Socket Mode too, and deploys to the auto environment
            assert w.build_hook(bot, "1.0.3", 3).status_code < 300
            w.wait_for(
                lambda: any(
                    r.version == "1.0.3" and r.state is ReleaseState.SUCCEEDED for r in w.releases()
                ),
                what="the hook's build to reach staging",
                serve=bot,
                timeout=90,
            )

            # a slash command arrives over the socket and is acked over it
            payload = dict(
                parse_qsl(
                    command_body(
                        "/deploy", "help", team=TEAM_ID, user=USER, channel="C0APICHAN"
                    ).decode()
                )
            )
            server.send(
                {
                    "envelope_id": "env-deploy-help",
                    "type": "slash_commands",
                    "accepts_response_payload": True,
                    "payload": payload,
                }
            )
            ack_for(server, "env-deploy-help")
            help_text = w.wait_for(
                lambda: [str(e.get("text")) for e in w.slack.ephemeral if e.get("user") == USER],
                what="the /deploy help reply",
                serve=bot,
            )
            assert "staging" in help_text[0] and "api" in help_text[0]

            assert bot.terminate() == 0, bot.tail()
            assert "stopped" in bot.tail()
            assert server.disconnected.wait(10), "the socket stayed open after SIGTERM"
    finally:
        server.stop()


def test_an_app_token_slack_refuses_stops_serve_with_what_to_fix(tmp_path: Path) -> None:
    server = SocketModeServer().start()
    try:
        with world(tmp_path, app_token=APP_TOKEN, socket_mode_url=server.url) as w:
            refused = w.launch(extra_env={"SLACK_APP_TOKEN": "xapp-1-A0OTHER-1-0a1b2c3d"})
            assert refused.process.wait(90) == 1, refused.tail()
            assert "did not start in Socket Mode" in refused.tail()
            assert "'invalid_auth'" in refused.tail()
            assert "SLACK_APP_TOKEN" in refused.tail()
            assert "Traceback" not in refused.tail(200)
            assert not server.connected.is_set()
    finally:
        server.stop()
