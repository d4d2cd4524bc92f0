"""One release end to end on the real control plane: a real ``releasebot serve`` talks to the
real kube-apiserver and deployment controller (tests/controlplane/), the Slack stand-in and a
SQLite file, and is driven only by signed requests, as Slack and CI send them.

build → staging by itself → /deploy to production with two approvals → success; a bad image
→ the real controller's progress deadline → automatic rollback; /rollback to a version; and
``kubectl set image`` by hand, noticed in the channel.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from kubernetes import client
from sqlmodel import Session

from bot.asgi import free_port
from bot.hooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.kube.sim.behaviour import PodBehaviour
from bot.kube.sim.samples import deployment_manifest
from bot.slack import actions
from bot.slack.standin import requests as slack_requests
from bot.slack.standin.webapi import BOT_TOKEN, BOT_USER_ID, TEAM_ID, FakeSlackWebAPI, running
from storage.engine import make_engine
from storage.models import Release, ReleaseKind, ReleaseState
from storage.releases import recent_releases
from tests.realcluster import ControlPlane
from tests.waiting import wait_until
from tests.workflow.harness import build, image

pytestmark = pytest.mark.realcluster

RELEASEBOT = Path(sys.executable).parent / "releasebot"
KUBECTL = Path(sys.executable).parent / "kubectl"
SIGNING_SECRET = "real-e2e-signing-secret-81f2"
HOOK_SECRET = "real-e2e-hook-secret-4c9a"
CHANNEL = "C0APICHAN"
REQUESTER, ALICE, BOB = "U0REQUEST", "U0ALICE", "U0BOBBY"


@dataclass
class Bot:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    slack: FakeSlackWebAPI
    database_url: str
    plane: ControlPlane
    namespaces: dict[str, str]
    clicks: int = 0

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])

    def hook(self, version: str, n: int) -> httpx.Response:
        body = build(version, n).model_dump_json().encode()
        ts = int(time.time())
        headers = {
            TIMESTAMP_HEADER: str(ts),
            SIGNATURE_HEADER: sign(HOOK_SECRET.encode(), ts, body),
        }
        return httpx.post(f"{self.url}/hooks/build", content=body, headers=headers, timeout=30)

    def slack_request(self, body: bytes) -> None:
        headers = {
            "Content-Type": slack_requests.content_type(body),
            **slack_requests.signature_headers(body, secret=SIGNING_SECRET),
        }
        response = httpx.post(f"{self.url}/slack/events", content=body, headers=headers, timeout=30)
        assert response.status_code == 200, response.text

    def command(self, user: str, command: str, text: str) -> None:
        self.slack_request(
            slack_requests.command_body(command, text, team=TEAM_ID, user=user, channel=CHANNEL)
        )

    def click(self, user: str, action_id: str, release: Release) -> None:
        self.clicks += 1
        self.slack_request(
            slack_requests.action_body(
                action_id,
                actions.release_value(release.id),
                team=TEAM_ID,
                user=user,
                channel=CHANNEL,
                message_ts=release.slack_thread_ts or "1.0",
                action_ts=f"1700000900.{self.clicks:06d}",
            )
        )

    def releases(self, environment: str) -> list[Release]:
        engine = make_engine(self.database_url)
        try:
            with Session(engine) as session:
                return recent_releases(
                    session=session, service="api", environment=environment, limit=20
                )
        finally:
            engine.dispose()

    def until(self, predicate, what: str, timeout: float = 120):  # type: ignore[no-untyped-def]
        return wait_until(
            predicate, what=lambda: f"{what}\n--- serve ---\n{self.tail()}", timeout=timeout
        )

    def image_in(self, environment: str) -> str:
        deployment = client.AppsV1Api(self.plane.api).read_namespaced_deployment(
            "api", self.namespaces[environment]
        )
        return str(deployment.spec.template.spec.containers[0].image)


def _config(plane: ControlPlane, namespaces: dict[str, str]) -> str:
    return f"""
timezone: Europe/Berlin
clusters:
  real: {{context: {plane.context}, kubeconfig: {plane.kubeconfig}}}
environments:
  staging: {{cluster: real, namespace: {namespaces["staging"]}, policy: auto, progress_timeout: 2m}}
  production:
    cluster: real
    namespace: {namespaces["production"]}
    policy: approval
    approvals: {{required: 2, approvers: [{ALICE}, {BOB}], expire_after: 30m}}
    promote_from: staging
    progress_timeout: 2m
services:
  api:
    channel: {CHANNEL}
    deployment: api
    image: registry.example.com/shop/api
    environments: [staging, production]
"""


@pytest.fixture
def bot(control_plane: ControlPlane, tmp_path: Path) -> Iterator[Bot]:
    plane = control_plane
    namespaces = {env: plane.new_namespace(f"e2e-{env[:4]}") for env in ("staging", "production")}
    plane.set_image("*", PodBehaviour.ready(after=0.5))
    for namespace in namespaces.values():
        client.AppsV1Api(plane.api).create_namespaced_deployment(
            namespace,
            deployment_manifest("api", image=image(15), replicas=2, progress_deadline_seconds=8),
        )
    config = tmp_path / "releasebot.yml"
    config.write_text(_config(plane, namespaces))
    database_url = f"sqlite:///{tmp_path}/releasebot.db"
    with running(tokens={BOT_TOKEN: BOT_USER_ID}) as slack:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "RELEASEBOT_"))}
        env.update(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.base_url,
            RELEASEBOT_BUILD_HOOK_SECRET=HOOK_SECRET,
            RELEASEBOT_DATABASE_URL=database_url,
            RELEASEBOT_CONFIG=str(config),
            PYTHONUNBUFFERED="1",
        )
        port = free_port()
        log = tmp_path / "serve.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(RELEASEBOT), "serve", "--port", str(port)],
                env=env,
                cwd=tmp_path,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        b = Bot(f"http://127.0.0.1:{port}", process, log, slack, database_url, plane, namespaces)
        try:
            b.until(lambda: _healthy(b.url) or process.poll() is not None, "serve to start")
            assert process.poll() is None, b.tail()
            yield b
        finally:
            process.terminate()
            process.wait(30)
            plane.clear_images()


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _latest(b: Bot, environment: str, state: ReleaseState, kind: ReleaseKind | None = None):  # type: ignore[no-untyped-def]
    releases = b.releases(environment)
    if releases and releases[0].state is state and (kind is None or releases[0].kind is kind):
        return releases[0]
    return None


def test_a_release_end_to_end_on_the_real_control_plane(bot: Bot) -> None:
    b = bot
    # CI announces 1.0.1; staging (policy auto) deploys it by itself on the real controller
    assert b.hook("1.0.1", 1).status_code == 202
    b.until(lambda: _latest(b, "staging", ReleaseState.SUCCEEDED), "1.0.1 to succeed in staging")
    assert b.image_in("staging").endswith(image(1).split("@")[1])

    # /deploy to production, two approvals by button, never the requester
    b.command(REQUESTER, "/deploy", "api 1.0.1 to production because ship it")
    waiting = b.until(
        lambda: _latest(b, "production", ReleaseState.AWAITING_APPROVAL), "the request"
    )
    b.click(REQUESTER, actions.APPROVE, waiting)
    b.click(ALICE, actions.APPROVE, waiting)
    b.click(BOB, actions.APPROVE, waiting)
    done = b.until(
        lambda: _latest(b, "production", ReleaseState.SUCCEEDED), "production to succeed"
    )
    assert done.id == waiting.id
    assert b.image_in("production").endswith(image(1).split("@")[1])
    annotations = (
        client.AppsV1Api(b.plane.api)
        .read_namespaced_deployment("api", b.namespaces["production"])
        .metadata.annotations
    )
    assert annotations["releasebot/release-id"] == str(done.id)

    # a bad image misses the real controller's progress deadline and is rolled back by itself
    b.plane.set_image(image(2), PodBehaviour.bad_image())
    assert b.hook("1.0.2", 2).status_code == 202
    b.until(
        lambda: _latest(b, "staging", ReleaseState.SUCCEEDED, ReleaseKind.ROLLBACK),
        "the automatic rollback to succeed",
    )
    # the failed release is marked rolled back right after its rollback succeeded
    failed = b.until(
        lambda: [
            r
            for r in b.releases("staging")
            if r.version == "1.0.2" and r.state is ReleaseState.ROLLED_BACK
        ],
        "1.0.2 to be marked rolled back",
    )
    assert [r.version for r in b.releases("staging")].count("1.0.2") == 1
    assert "progress deadline" in (failed[0].error or "")
    assert b.image_in("staging").endswith(image(1).split("@")[1])

    # a good 1.0.3, then /rollback to the version before it
    assert b.hook("1.0.3", 3).status_code == 202
    b.until(
        lambda: (r := _latest(b, "staging", ReleaseState.SUCCEEDED)) and r.version == "1.0.3",
        "1.0.3 to succeed in staging",
    )
    b.command(REQUESTER, "/rollback", "api staging to 1.0.1")
    b.until(
        lambda: (
            (r := _latest(b, "staging", ReleaseState.SUCCEEDED, ReleaseKind.ROLLBACK))
            and r.version == "1.0.1"
        ),
        "the rollback to 1.0.1",
    )
    assert b.image_in("staging").endswith(image(1).split("@")[1])

    # someone runs kubectl by hand: the channel is told, once
    outside = f"registry.example.com/shop/api@sha256:{'e' * 64}"
    subprocess.run(
        [
            str(KUBECTL),
            "--kubeconfig",
            str(b.plane.kubeconfig),
            "--context",
            b.plane.context,
            "-n",
            b.namespaces["production"],
            "set",
            "image",
            "deployment/api",
            f"api={outside}",
        ],
        check=True,
        capture_output=True,
    )

    def noticed() -> list[str]:
        return [
            m.text or ""
            for m in b.slack.messages
            if "outside releasebot" in (m.text or "") + str(m.blocks)
        ]

    [notice] = b.until(noticed, "the change by hand to be noticed")
    assert "production" in notice
    time.sleep(2)  # a second notice of the same change would come within the next watch event
    assert len(noticed()) == 1
