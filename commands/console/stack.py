"""The demo's process: everything ``releasebot serve`` runs, around local stand-ins.

``commands.serve.assemble`` wires the workflow, presenter, Bolt app and HTTP app exactly as in
a workspace; the demo only chooses what they talk to: a SQLite file, the simulated cluster in
real time, the Slack Web API stand-in, and the HTTP app served on 127.0.0.1 so the console's
requests arrive signed over a socket, like Slack's.
"""

from __future__ import annotations

import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import httpx
from slack_sdk import WebClient

from bot.asgi import serve_asgi
from bot.clock import SystemClock
from bot.config import parse_config
from bot.hooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, BuildAnnouncement, sign
from bot.kube.sim.behaviour import PodBehaviour
from bot.kube.sim.registry import admit
from bot.kube.sim.resources import DEPLOYMENTS
from bot.kube.sim.samples import deployment_manifest
from bot.kube.sim.serve import SimHandle, run_simulated_cluster
from bot.slack.standin import requests as slack_requests
from bot.slack.standin.webapi import BOT_TOKEN, BOT_USER_ID, TEAM_ID, FakeSlackWebAPI
from bot.slack.workpool import WorkPool
from commands.console import messages, sample
from commands.serve import Bot, assemble, leading
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import ReleaseState

P = ParamSpec("P")
T = TypeVar("T")

READY_TIMEOUT_SECONDS = 30.0
ANSWER_TIMEOUT_SECONDS = 10.0
"""How long a click or a reaction waits for the bot to answer what was typed before it."""
SETTLED_CHECKS = 3
"""The bot counts as idle after this many idle checks in a row, 0.1 s apart: a request's
ack returns a moment before its listener hands the work on."""
MOVING = frozenset({ReleaseState.APPROVED, ReleaseState.ROLLING_OUT, ReleaseState.BAKING})


class TrackedExecutor(WorkPool):
    """The Slack listeners' worker, counting what it has not finished yet."""

    def __init__(self) -> None:
        super().__init__(name="releasebot-demo-slack")
        self._lock = threading.Lock()
        self._running: set[Future[Any]] = set()

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self._running.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: Future[Any]) -> None:
        with self._lock:
            self._running.discard(future)

    def idle(self) -> bool:
        with self._lock:
            return not self._running


class DemoUnavailable(Exception):
    """The demo could not start (the simulated cluster or the bot's HTTP server); the message
    says why. Anything else is a bug and keeps its traceback."""


@dataclass
class Demo:
    bot: Bot
    sim: SimHandle
    slack: FakeSlackWebAPI
    url: str
    database: Path
    speed: sample.Speed
    worker: TrackedExecutor
    http: httpx.Client
    signing_secret: str
    hook_secret: bytes

    # -- what Slack and CI send ------------------------------------------------------------

    def send_to_slack_endpoint(self, body: bytes) -> httpx.Response:
        """A signed request to /slack/events, as Slack sends it."""
        headers = {
            "Content-Type": slack_requests.content_type(body),
            **slack_requests.signature_headers(body, secret=self.signing_secret),
        }
        return self.http.post(f"{self.url}/slack/events", content=body, headers=headers)

    def command(self, user: str, command: str, text: str) -> httpx.Response:
        body = slack_requests.command_body(
            command, text, team=TEAM_ID, user=user, channel=sample.CHANNEL_ID
        )
        return self.send_to_slack_endpoint(body)

    def click(
        self, user: str, *, channel: str, message_ts: str, action_id: str, value: str, block: str
    ) -> httpx.Response:
        body = slack_requests.action_body(
            action_id,
            value,
            team=TEAM_ID,
            user=user,
            channel=channel,
            message_ts=message_ts,
            action_ts=f"{time.time():.6f}",
            block_id=block,
        )
        return self.send_to_slack_endpoint(body)

    def react(self, user: str, *, channel: str, ts: str, name: str) -> httpx.Response:
        event = slack_requests.reaction_event(
            name,
            user=user,
            channel=channel,
            ts=ts,
            item_user=BOT_USER_ID,
            event_ts=f"{time.time():.6f}",
        )
        body = slack_requests.event_body(
            event, team=TEAM_ID, event_id=f"Ev{secrets.token_hex(6).upper()}", bot_user=BOT_USER_ID
        )
        return self.send_to_slack_endpoint(body)

    def open_home(self, user: str) -> httpx.Response:
        """What Slack sends when ``user`` opens the app's Home tab: ``app_home_opened``."""
        event = {
            "type": "app_home_opened",
            "user": user,
            "channel": f"D0{user[2:]}",
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        body = slack_requests.event_body(
            event, team=TEAM_ID, event_id=f"Ev{secrets.token_hex(6).upper()}", bot_user=BOT_USER_ID
        )
        return self.send_to_slack_endpoint(body)

    def published_home(self, user: str, *, since: object) -> dict[str, Any] | None:
        """The Home view published for ``user`` after ``since`` (the one shown before), once
        the bot has published it; None if it did not within the answer timeout."""
        deadline = time.monotonic() + ANSWER_TIMEOUT_SECONDS
        pause = threading.Event()
        while time.monotonic() < deadline:
            view = self.slack.views.get(user)
            if view is not None and view is not since:
                return view
            pause.wait(0.05)
        return None

    def build_hook(self, build: BuildAnnouncement) -> httpx.Response:
        """What CI sends when a build is ready: the signed POST /hooks/build."""
        body = build.model_dump_json().encode()
        ts = int(time.time())
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(ts),
            SIGNATURE_HEADER: sign(self.hook_secret, ts, body),
        }
        return self.http.post(f"{self.url}/hooks/build", content=body, headers=headers)

    # -- the simulated cluster -------------------------------------------------------------

    def make_bad(self, image: str) -> None:
        """Pods of ``image`` (as the bot deploys it, pinned by digest) never start."""
        self.sim.cluster.images.set(image, PodBehaviour.bad_image())

    # -- waiting ---------------------------------------------------------------------------

    def idle(self) -> bool:
        return (
            self.worker.idle()
            and self.bot.workflow.wait_idle(0.05)
            and not any(r.state in MOVING for r in self.bot.workflow.pending())
            and self.bot.presenter.idle()
        )

    def answered(self) -> bool:
        """No request's work is left and Slack shows all the bot posted; rollouts may run on."""
        return self.worker.idle() and self.bot.presenter.idle()

    def settle(self, timeout: float) -> bool:
        """Wait until the bot has finished what it was asked and Slack shows it; bounded."""
        return self._calm(self.idle, timeout)

    def wait_answered(self, timeout: float = ANSWER_TIMEOUT_SECONDS) -> bool:
        """Wait until the bot has answered every request sent so far (a piped script types
        faster than the bot posts, and the next line may act on that answer); bounded."""
        return self._calm(self.answered, timeout)

    @staticmethod
    def _calm(check: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        calm = 0
        pause = threading.Event()
        while time.monotonic() < deadline:
            calm = calm + 1 if check() else 0
            if calm >= SETTLED_CHECKS:
                return True
            pause.wait(0.1)
        return False


@contextmanager
def running_demo(*, db: Path | None, speed: sample.Speed) -> Iterator[Demo]:
    """Everything up and the sample Deployments available; all of it stopped after."""
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="releasebot-demo-")))
        database = db.resolve() if db is not None else scratch / "releasebot.db"
        clock = SystemClock()
        sim = stack.enter_context(
            run_simulated_cluster(
                clock=clock,
                kubeconfig_path=scratch / "kubeconfig",
                namespaces=sample.NAMESPACES.values(),
            )
        )
        _create_deployments(sim, speed)
        url = f"sqlite:///{database}"
        upgrade(url)
        engine = make_engine(url)
        stack.callback(engine.dispose)
        slack = FakeSlackWebAPI(clock=clock, first_ts=int(time.time())).start()
        stack.callback(slack.stop)
        slack.channels[sample.CHANNEL_ID] = sample.CHANNEL_NAME
        carol = sample.person("carol")
        assert carol is not None
        slack.set_usergroup(
            sample.RELEASE_MANAGERS_ID, [carol.user_id], handle=sample.RELEASE_MANAGERS
        )
        worker = TrackedExecutor()
        signing_secret, hook_secret = secrets.token_hex(16), secrets.token_bytes(24)
        bot = assemble(
            config=parse_config(sample.config_yaml(), "releasebot demo configuration"),
            engine=engine,
            clock=clock,
            client=WebClient(token=BOT_TOKEN, base_url=slack.base_url, timeout=10),
            signing_secret=signing_secret,
            build_hook_secret=hook_secret,
            simulated_kubeconfig=sim.kubeconfig,
            worker=worker,
        )
        stack.callback(bot.close)
        # closed before the bot (the stack unwinds backwards): acked requests finish first
        stack.callback(worker.shutdown, wait=True)
        _wait_until_available(sim)
        bot.presenter.start()
        stack.enter_context(leading(bot, engine))
        try:
            base = stack.enter_context(serve_asgi(bot.http_app))
        except RuntimeError as err:  # serve_asgi's "did not start", with the reason
            raise DemoUnavailable(str(err)) from err
        http = stack.enter_context(httpx.Client(timeout=30))
        yield Demo(
            bot=bot,
            sim=sim,
            slack=slack,
            url=base,
            database=database,
            speed=speed,
            worker=worker,
            http=http,
            signing_secret=signing_secret,
            hook_secret=hook_secret,
        )


def _create_deployments(sim: SimHandle, speed: sample.Speed) -> None:
    """Through the API server's admission (defaults filled in), as `kubectl apply` would."""
    sim.cluster.images.default = PodBehaviour.ready(after=speed.pod_ready_after)
    for namespace in sample.NAMESPACES.values():
        for service in sample.SERVICES:
            manifest = admit(
                DEPLOYMENTS,
                deployment_manifest(
                    service,
                    image=f"{sample.image_repository(service)}:{sample.INITIAL_VERSION}",
                    replicas=sample.REPLICAS,
                    max_surge=1,
                    max_unavailable=0,
                    min_ready_seconds=0,
                    progress_deadline_seconds=speed.progress_deadline,
                ),
                None,
            )
            sim.cluster.store.create(DEPLOYMENTS, namespace, manifest)
    sim.cluster.after_write()


def _wait_until_available(sim: SimHandle) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    pause = threading.Event()
    while time.monotonic() < deadline:
        if all(
            (sim.cluster.store.get(DEPLOYMENTS, ns, name).get("status") or {}).get(
                "availableReplicas"
            )
            == sample.REPLICAS
            for ns in sample.NAMESPACES.values()
            for name in sample.SERVICES
        ):
            return
        pause.wait(0.05)
    raise DemoUnavailable(messages.NOT_READY.format(seconds=READY_TIMEOUT_SECONDS))
