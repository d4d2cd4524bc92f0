"""Scripted console sessions: what a person types goes to the bot as Slack's signed requests,
and what the bot posts comes back as text. The bot is the one `serve` assembles, the cluster
is the simulator in real time (the demo's fast speed), Slack is the stand-in."""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Iterator

import pytest

from bot.kube.sim.resources import DEPLOYMENTS
from commands.console import sample
from commands.console.session import Console, Output
from commands.console.stack import Demo, running_demo
from storage.models import ReleaseState
from tests.waiting import wait_until


class Session:
    def __init__(self, demo: Demo) -> None:
        self.demo = demo
        self.buffer = io.StringIO()
        self.console = Console(demo, Output(self.buffer))
        demo.slack.watch(self.console.on_message)
        self._read = 0

    def type(self, *lines: str) -> str:
        """Run the lines; returns what was printed meanwhile (and anything before it)."""
        for line in lines:
            self.console.execute(line)
        text = self.buffer.getvalue()
        new, self._read = text[self._read :], len(text)
        return new

    def running_image(self, environment: str, service: str = "api") -> str:
        deployment = self.demo.sim.cluster.store.get(
            DEPLOYMENTS, sample.NAMESPACES[environment], service
        )
        return str(deployment["spec"]["template"]["spec"]["containers"][0]["image"])


@pytest.fixture
def session() -> Iterator[Session]:
    with running_demo(db=None, speed=sample.FAST) as demo:
        yield Session(demo)


def test_build_staging_production_with_two_approvals(session: Session) -> None:
    started = time.monotonic()

    out = session.type("/build api 1.4.3 fix the checkout", "wait")
    assert "CI announces api 1.4.3 (POST /hooks/build answered 202)." in out
    assert "📦 New build of api: `1.4.3`" in out
    assert "[1 Deploy to production]" in out
    assert "✅ Finished in" in out and "`1.4.3` runs in staging" in out
    assert "changed outside releasebot" not in out  # the bot's own deploy is not drift
    assert "(the bot is idle)" in out
    assert session.running_image("staging") == sample.deployed_image("api", "1.4.3")

    out = session.type("/deploy api 1.4.3 to production because spring sale", "wait")
    request = re.search(r"^#(\d+) releasebot · #releases\n    ✋ Waiting for approval", out, re.M)
    assert request is not None, out
    number = int(request.group(1))
    assert "releasebot · only visible to you (@dana)" in out
    assert "[1 Approve]  [2 Reject]" in out

    out = session.type("click approve", "wait")  # the requester may not approve
    assert f"@dana clicks [Approve] on #{number}." in out
    assert "you requested this release, so you cannot approve" in out
    assert session.demo.bot.workflow.pending()[0].approvals == ()

    out = session.type("/as alice", "click approve", "wait")
    assert "You are now @alice (approver for production)." in out
    assert "@alice voted approve (1 of 2 approvals)." in out
    assert f"#{number} releasebot · #releases · edited" in out
    assert "(1 so far;" in out

    out = session.type("/as carol", "react ✅", "wait")
    assert f"@carol reacts ✅ on #{number}." in out
    assert "@carol voted approve (2 of 2 approvals)." in out
    assert "✅ Approved by @carol (approvals: @alice, @carol)." in out
    assert "✅ Succeeded — Release of api `1.4.3` to production" in out
    assert "`██████████` 3/3 updated" in out
    assert "`1.4.3` runs in production" in out

    done = session.demo.bot.workflow.history("api", "production", limit=1)[0]
    assert done.state is ReleaseState.SUCCEEDED
    assert sorted(done.approvals) == ["U0ALICE1", "U0CAROL1"]
    assert session.running_image("production") == sample.deployed_image("api", "1.4.3")

    # `show` draws the channel once, each message in its latest version
    shown = session.type("show")
    assert shown.count(f"#{number} releasebot") == 1
    assert "Waiting for approval" not in shown
    assert time.monotonic() - started < 30


def test_mistakes_are_explained_and_point_at_help(session: Session) -> None:
    out = session.type("deploy api", "/frobnicate", "/as zed", "click approve", "react ✅")
    assert "The console does not know 'deploy'. Type help" in out
    assert "There is no /frobnicate in this workspace. Slash commands: /deploy" in out
    assert "There is nobody called 'zed' in this demo. People: dana, alice, bob, carol." in out
    assert "No message has buttons right now." in out
    assert "There are no messages yet; start with /build api 1.4.3." in out
    out = session.type("/build shop 1.0", "/build api", "break", "wait soon", "click 9 #4")
    assert "There is no service 'shop'. Services: api, web." in out
    assert "Use /build <service> <version>" in out
    assert "Use break <service>" in out
    assert "Use wait or wait <seconds>" in out
    assert "There are no messages yet" in out
    out = session.type("/deploy help", "wait 10")
    assert "only visible to you (@dana)" in out
    assert "Deploy a version or an image" in out
    help_text = session.type("help")
    for word in ("/as alice", "click approve", "react ✅", "/build api", "break api", "wait"):
        assert word in help_text


def test_stopping_leaves_no_thread_or_port_behind() -> None:
    import socket

    before = {t.ident for t in threading.enumerate()}
    with running_demo(db=None, speed=sample.FAST) as demo:
        Session(demo).type("/build web 2.0.0", "wait")
        ports = [
            int(url.rsplit(":", 1)[1].split("/")[0])
            for url in (demo.url, demo.sim.url, demo.slack.base_url)
        ]

    def left() -> list[str]:
        return [t.name for t in threading.enumerate() if t.ident not in before and t.is_alive()]

    wait_until(
        lambda: not left(),
        timeout=5,
        interval=0.05,
        what=lambda: f"the demo's threads to end; still running: {left()}",
    )
    for port in ports:
        with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
            sock.connect(("127.0.0.1", port))
