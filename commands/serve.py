"""``releasebot serve``: wire configuration, database, workflow, presenter and the Slack app,
then serve in Socket Mode or HTTP mode, whichever is configured (and say which)."""

from __future__ import annotations

import gc
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from sqlalchemy import Engine

from bot.app import build_app, listener_pool
from bot.clock import Clock, SystemClock
from bot.config import ReleasebotConfig, Settings, load_config, load_settings
from bot.config.settings import SlackMode
from bot.http import create_http_app
from bot.kube.clusters import KubeClusters
from bot.leadership import Leadership
from bot.releases import ReleaseWorkflow
from bot.slack.groups import SlackGroupDirectory
from bot.slack.home import publish_home
from bot.slack.presenter import SlackPresenter
from bot.workflow.events import Event, EventSink
from bot.workflow.model import Actor
from bot.workflow.ports import ClusterProvider
from commands import SLASH_COMMANDS, messages, startup
from storage.claims import release_claims
from storage.engine import make_engine
from storage.leadership import leader_lock
from storage.migrate import upgrade

EXPIRY_INTERVAL_SECONDS = 30
EXPIRY_JOB = "expire-due-approvals"
AUDIT_HEAD_JOB = "post-audit-head"
ADOPT_INTERVAL_SECONDS = 10
"""How often the leader looks for rollouts whose replica died (their claims were freed)."""
ADOPT_JOB = "adopt-orphaned-rollouts"


def slack_mode(settings: Settings) -> SlackMode:
    return "socket" if settings.slack_app_token is not None else "http"


def make_client(token: str, base_url: str | None = None) -> WebClient:
    """Slack's 429s and dropped connections are retried by slack_sdk, never by hand.
    ``base_url`` (``SLACK_API_URL``) replaces https://slack.com/api/."""
    return WebClient(
        token=token,
        base_url=base_url or WebClient.BASE_URL,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=3),
            ConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )


class _LateSink:
    """The presenter needs the workflow (to remember messages) and the workflow needs an
    event sink: this breaks the cycle."""

    def __init__(self) -> None:
        self.target: EventSink | None = None

    def publish(self, event: Event) -> None:
        if self.target is not None:
            self.target.publish(event)


def run_serve(
    *, host: str, port: int, simulated_kubeconfig: Path | None, log_level: str = "info"
) -> int:
    """Everything that can be checked before serving is checked first (secrets, the
    configuration, Slack's answer to the token), so a refusal comes before any claim of
    what is served, and leaves no database file behind. Logging starts once those checks
    passed: a refusal is its one sentence, not the client's retries logged around it."""
    settings = load_settings()
    mode = slack_mode(settings)
    problems = startup.secret_problems(settings)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1
    config = load_config(settings.config_path)
    assert settings.slack_bot_token is not None
    client = make_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
    unreachable = startup.slack_problem(client)
    if unreachable is not None:
        print(unreachable, file=sys.stderr)
        return 1
    logging.basicConfig(
        level=log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    print(
        messages.SERVE_SOCKET.format(host=host, port=port)
        if mode == "socket"
        else messages.SERVE_HTTP.format(host=host, port=port),
        flush=True,
    )
    previous = _stop_on_sigterm()
    try:
        with ExitStack() as stack:
            return _serve(settings, config, client, mode, host, port, simulated_kubeconfig, stack)
    except (_Terminated, KeyboardInterrupt):
        print(messages.SERVE_STOPPED, flush=True)
        return 0
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class _Terminated(Exception):
    """SIGTERM: unwinds ``serve`` like Ctrl-C does, so every resource is closed in order."""


def _raise_terminated(_signum: int, _frame: object) -> None:
    raise _Terminated


def _stop_on_sigterm() -> signal.Handlers | Any | None:
    """uvicorn shuts down gracefully on SIGTERM and then raises the signal again; without a
    handler of ours that second one would kill the process before the leader lock, the
    Socket Mode connection and the database are let go."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_terminated)


@dataclass
class Bot:
    """Everything `serve` runs, wired once; tests assemble the same thing around fakes."""

    workflow: ReleaseWorkflow
    presenter: SlackPresenter
    slack_app: App
    http_app: FastAPI
    stack: ExitStack

    def close(self) -> None:
        self.stack.close()


def assemble(
    *,
    config: ReleasebotConfig,
    engine: Engine,
    clock: Clock,
    client: WebClient,
    signing_secret: str | None,
    build_hook_secret: bytes | None,
    simulated_kubeconfig: Path | None = None,
    clusters: ClusterProvider | None = None,
    worker: Executor | None = None,
) -> Bot:
    """Workflow, presenter, Bolt app and HTTP app over one database, one clock, one client.

    ``worker`` runs the Slack listeners' work after their ack (``bot.app.build_app``); the
    demo console passes one it can watch, to know when the bot has finished a request."""
    stack = ExitStack()
    me: dict[str, Any] = client.auth_test().data  # type: ignore[assignment]
    sink = _LateSink()
    if clusters is None:
        clusters = KubeClusters(config, clock=clock, simulated_kubeconfig=simulated_kubeconfig)
        stack.callback(clusters.close)
    claims = release_claims(engine)
    stack.callback(claims.close)
    workflow = ReleaseWorkflow(
        config=config,
        engine=engine,
        clock=clock,
        events=sink,
        groups=SlackGroupDirectory(client, clock),
        clusters=clusters,
        bot_actor=Actor(user_id=str(me["user_id"]), team_id=str(me["team_id"])),
        claims=claims,
    )
    stack.callback(workflow.close)
    presenter = SlackPresenter(client, workflow, clock)
    sink.target = presenter
    stack.callback(presenter.close)
    if worker is None:
        worker = listener_pool()
        # closed first (the stack unwinds backwards): requests already acked finish their
        # work and replies while the workflow, presenter and Slack client still run
        stack.callback(worker.shutdown, wait=True)
    app = build_app(
        workflow=workflow,
        client=client,
        signing_secret=signing_secret,
        commands=SLASH_COMMANDS,
        team_id=str(me["team_id"]),
        config=config,
        engine=engine,
        clock=clock,
        home=lambda user: publish_home(client, workflow, user, clock),
        worker=worker,
    )
    api = create_http_app(
        slack_app=app,
        engine=engine,
        clock=clock,
        build_hook_secret=build_hook_secret,
        on_build=lambda build, delivery: workflow.announce_build(build, delivery=delivery),
        serve_slack_events=signing_secret is not None,
        slack_signing_secret=signing_secret,
    )
    return Bot(workflow, presenter, app, api, stack)


def _serve(
    settings: Settings,
    config: ReleasebotConfig,
    client: WebClient,
    mode: SlackMode,
    host: str,
    port: int,
    simulated_kubeconfig: Path | None,
    stack: ExitStack,
) -> int:
    url = settings.database_url.get_secret_value()
    upgrade(url)
    engine = make_engine(url)
    stack.callback(engine.dispose)
    clock = SystemClock()
    signing_secret = (
        settings.slack_signing_secret.get_secret_value()
        if mode == "http" and settings.slack_signing_secret is not None
        else None
    )
    hook_secret = settings.build_hook_secret
    bot = assemble(
        config=config,
        engine=engine,
        clock=clock,
        client=client,
        signing_secret=signing_secret,
        build_hook_secret=hook_secret.get_secret_value().encode() if hook_secret else None,
        simulated_kubeconfig=simulated_kubeconfig,
    )
    stack.callback(bot.close)
    bot.presenter.start()
    stack.enter_context(leading(bot, engine))
    settle_heap()
    share_interpreter()
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(bot.http_app, host=host, port=port, log_level="info"))
    if mode == "socket":
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        assert settings.slack_app_token is not None
        handler = SocketModeHandler(bot.slack_app, settings.slack_app_token.get_secret_value())
        stack.callback(handler.close)
        try:
            handler.connect()  # type: ignore[no-untyped-call]
        except SlackApiError as err:
            error = str(err.response.get("error", "an error"))
            print(messages.SERVE_SOCKET_REFUSED.format(error=error), file=sys.stderr)
            return 1
    server.run()
    return 0


SWITCH_INTERVAL_SECONDS = 0.001


def share_interpreter() -> None:
    """Hand the interpreter lock on after 1 ms instead of CPython's 5 (``sys.setswitchinterval``).

    An ack needs the interpreter for about a millisecond, in several short turns between
    socket reads (profiled by benchmarks/ack_latency.py), while the work after earlier acks
    holds it in long stretches (SQL compilation, building replies). A waiting thread gets the
    lock only once the holder has run for the switch interval, so each turn of an ack could
    wait up to 5 ms behind each busy task; this bounds the wait at 1 ms per turn."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)


def settle_heap() -> None:
    """Collects what start-up left behind and freezes the rest (``gc.freeze``).

    The modules, configuration and clients built at start-up live as long as the process;
    without this, every full collection walks them all again, and each such pause (80-100 ms,
    measured by benchmarks/ack_latency.py) stalls every ack in flight."""
    gc.collect()
    gc.freeze()


class LeaderJobs:
    """What only the leader runs: re-attaching to releases another process left rolling out,
    telling changes made outside releasebot, and the scheduled jobs. Rollouts this replica
    started itself keep running here whoever leads."""

    def __init__(
        self, workflow: ReleaseWorkflow, scheduler: Any, audit_every: float | None = None
    ) -> None:
        self._workflow = workflow
        self._scheduler = scheduler
        self._audit_every = audit_every

    def elected(self) -> None:
        """The jobs first: if resuming fails half-way, the adopt job tries again."""
        self._scheduler.add_job(
            self._workflow.expire_due,
            "interval",
            seconds=EXPIRY_INTERVAL_SECONDS,
            id=EXPIRY_JOB,
            replace_existing=True,
        )
        self._scheduler.add_job(
            self._adopt,
            "interval",
            seconds=ADOPT_INTERVAL_SECONDS,
            id=ADOPT_JOB,
            replace_existing=True,
        )
        if self._audit_every is not None:
            self._scheduler.add_job(
                self._workflow.post_audit_head,
                "interval",
                seconds=self._audit_every,
                id=AUDIT_HEAD_JOB,
                replace_existing=True,
                next_run_time=datetime.now(UTC),
            )
        self._workflow.resume()
        self._workflow.watch_for_external_changes()

    def demoted(self) -> None:
        for job in (EXPIRY_JOB, ADOPT_JOB, AUDIT_HEAD_JOB):
            if self._scheduler.get_job(job) is not None:
                self._scheduler.remove_job(job)
        self._workflow.stop_watching_external_changes()

    def _adopt(self) -> None:
        """Releases another replica was following when it died: their claims are free now."""
        self._workflow.resume(include_approved=False)


@contextmanager
def leading(bot: Bot, engine: Engine) -> Iterator[None]:
    """Run the leader's jobs while this process leads (on SQLite it always does); on the
    way out step down first, then let a running job finish, before the bot is closed."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.start()
    jobs = LeaderJobs(bot.workflow, scheduler, bot.workflow.audit_head_interval)
    leadership = Leadership(leader_lock(engine), on_elected=jobs.elected, on_demoted=jobs.demoted)
    leadership.start()
    try:
        yield
    finally:
        leadership.stop()
        scheduler.shutdown(wait=True)
