"""A ReleaseWorkflow wired to the simulated cluster and a SQLite file, for workflow and e2e tests.

Use it with the ``sim`` fixture (tests/conftest.py)::

    h = make_harness(sim, tmp_path)              # or make_harness(sim, tmp_path, MY_YAML)
    h.create_deployment()                        # the service's Deployment, running v0
    h.workflow.announce_build(build("1.0.1"))    # CI announces; staging (auto) deploys
    assert h.settle()                            # moves sim time until the runner is idle
    h.sink.of(RolloutFinished)                   # every published event, in order

- Configuration: ``CONFIG_YAML`` (service ``api``; ``staging`` auto, ``qa`` manual,
  ``production`` approval with 2 of U0ALICE, U0BOBBY, @release-managers; promote_from staging),
  or any YAML string in the same shape; ``parse_config`` validates it like the real file.
- ``GROUPS`` is a plain dict-backed GroupDirectory: change ``h.groups.members_of[...]``.
- Images come from :func:`image`: ``image(n)`` is ``IMAGE_REPO@sha256:<n repeated>``; make one
  fail in the simulator with ``h.sim.cluster.images.set(image(n), PodBehaviour.bad_image())``.
- Actors: REQUESTER, ALICE, BOB, CAROL (a group member), BOT.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine

from bot.clock import ManualClock
from bot.config import ReleasebotConfig, parse_config
from bot.hooks.build import BuildAnnouncement
from bot.kube.clusters import KubeClusters
from bot.kube.connection import Timeouts
from bot.kube.sim.registry import admit
from bot.kube.sim.resources import DEPLOYMENTS
from bot.kube.sim.samples import deployment_manifest
from bot.kube.sim.serve import SimHandle
from bot.releases import ReleaseWorkflow
from bot.workflow.events import Event
from bot.workflow.model import Actor
from storage.claims import ReleaseClaims
from storage.engine import make_engine
from storage.migrate import upgrade

IMAGE_REPO = "registry.example.com/shop/api"
TEAM = "T0TEAM"
REQUESTER = Actor("U0REQUEST", TEAM)
ALICE = Actor("U0ALICE", TEAM)
BOB = Actor("U0BOBBY", TEAM)
CAROL = Actor("U0CAROL", TEAM)
MALLORY = Actor("U0MALLORY", TEAM)
BOT = Actor("U0BOTUSER", TEAM)

CONFIG_YAML = """
timezone: Europe/Berlin
clusters:
  local: {simulated: true}
environments:
  staging: {cluster: local, namespace: default, policy: auto, progress_timeout: 5m}
  qa: {cluster: local, namespace: default, policy: manual}
  production:
    cluster: local
    namespace: apps
    policy: approval
    approvals:
      required: 2
      approvers: [U0ALICE, U0BOBBY, "@release-managers"]
      expire_after: 30m
    promote_from: staging
    progress_timeout: 5m
services:
  api:
    channel: C0APICHAN
    deployment: api
    image: registry.example.com/shop/api
    environments: [staging, production]
  web:
    channel: C0WEBCHAN
    deployment: web
    image: registry.example.com/shop/web
    environments: [qa]
"""

E = TypeVar("E")
T = TypeVar("T")


def digest(n: int) -> str:
    """The digest of ``image(n)``."""
    return f"sha256:{f'{n:x}' * 64}"


def image(n: int, repo: str = IMAGE_REPO) -> str:
    """A pinned image; ``n`` in 1..15 gives a distinct digest."""
    return f"{repo}@sha256:{f'{n:x}' * 64}"


def build(version: str, n: int, service: str = "api", repo: str = IMAGE_REPO) -> BuildAnnouncement:
    """What CI would announce for ``version`` built as image ``n``."""
    return BuildAnnouncement(
        service=service,
        version=version,
        image=f"{repo}:{version}@sha256:{f'{n:x}' * 64}",
        commit="9fceb02d0ae598e95dc970b74767f19372d61af8",
        branch="main",
        pipeline_url="https://ci.example.com/pipelines/1",
    )


@dataclass
class RecordingSink:
    """An EventSink that keeps everything, thread-safely (the runner publishes from a thread)."""

    events: list[Event] = field(default_factory=list)
    tap: Callable[[Event], object] | None = None
    """Called with each event after it is kept, on the publishing thread: a test can act at
    the exact moment the workflow speaks (e.g. let another request overtake this one)."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)
        if self.tap is not None:
            self.tap(event)

    def of(self, kind: type[E]) -> list[E]:
        with self._lock:
            return [e for e in self.events if isinstance(e, kind)]


@dataclass
class DictGroups:
    """A GroupDirectory backed by a dict; tests edit membership between steps."""

    members_of: dict[str, set[str]] = field(default_factory=dict)
    asked: int = 0

    def members(self, group: str) -> frozenset[str]:
        self.asked += 1
        return frozenset(self.members_of.get(group, set()))


@dataclass
class Harness:
    workflow: ReleaseWorkflow
    sim: SimHandle
    config: ReleasebotConfig
    engine: Engine
    sink: RecordingSink
    groups: DictGroups
    clusters: KubeClusters
    executor: Executor

    @property
    def clock(self) -> ManualClock:
        clock = self.sim.clock
        assert isinstance(clock, ManualClock)
        return clock

    def create_deployment(
        self,
        service: str = "api",
        namespace: str | None = None,
        version_image: str | None = None,
        replicas: int = 3,
        progress_deadline_seconds: int = 60,
    ) -> None:
        """The service's Deployment in every namespace its environments use, running image(15)."""
        svc = self.config.service(service)
        spaces = (
            {namespace}
            if namespace
            else {self.config.environment(e).namespace for e in svc.environments_allowed}
        )
        for ns in sorted(spaces):
            manifest = deployment_manifest(
                svc.deployment,
                image=version_image or image(15, svc.image),
                replicas=replicas,
                container=svc.container_name,
                progress_deadline_seconds=progress_deadline_seconds,
            )
            self.sim.cluster.store.create(DEPLOYMENTS, ns, admit(DEPLOYMENTS, manifest, None))
            self.sim.cluster.after_write()
        self.sim.cluster.advance(30)

    def settle(self, limit: int = 900, step: float = 1.0) -> bool:
        """Advance simulated time a step at a time until every rollout has ended."""
        for _ in range(limit):
            if self.workflow.wait_idle(0.02):
                return True
            self.sim.cluster.advance(step)
        return self.workflow.wait_idle(5)

    def deployment(self, namespace: str = "apps", name: str = "api") -> dict[str, object]:
        return self.sim.cluster.store.get(DEPLOYMENTS, namespace, name)

    def close(self) -> None:
        self.workflow.close()
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.clusters.close()
        self.engine.dispose()


class HeldExecutor(Executor):
    """Runs nothing until :meth:`release`: lets a test change the world between an approval
    and the runner's re-check before the rollout starts."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="rollout")
        self._held: list[tuple[Future[object], Callable[[], object]]] = []
        self._lock = threading.Lock()
        self._open = False

    def submit(self, fn: Callable[..., T], /, *args: object, **kwargs: object) -> Future[T]:
        with self._lock:
            if self._open:
                return self._pool.submit(fn, *args, **kwargs)
            future: Future[T] = Future()
            self._held.append((future, lambda: fn(*args, **kwargs)))  # type: ignore[arg-type]
            return future

    def hold(self) -> None:
        with self._lock:
            self._open = False

    def release(self) -> None:
        with self._lock:
            self._open = True
            held, self._held = self._held, []
        for future, call in held:
            self._pool.submit(_settle, future, call)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def _settle(future: Future[object], call: Callable[[], object]) -> None:
    if not future.set_running_or_notify_cancel():
        return
    try:
        future.set_result(call())
    except BaseException as err:
        future.set_exception(err)


def make_harness(
    sim: SimHandle,
    tmp_path: Path,
    config_yaml: str = CONFIG_YAML,
    *,
    database: str | None = None,
    executor: Executor | None = None,
    claims: ReleaseClaims | None = None,
) -> Harness:
    url = database or f"sqlite:///{tmp_path}/releasebot.db"
    upgrade(url)
    engine = make_engine(url)
    config = parse_config(config_yaml, "releasebot.yml")
    clusters = KubeClusters(
        config,
        clock=sim.clock,
        simulated_kubeconfig=sim.kubeconfig,
        simulated_context=sim.context,
        timeouts=Timeouts(connect=2.0, read=5.0),
    )
    sink = RecordingSink()
    groups = DictGroups({"@release-managers": {"U0CAROL"}})
    executor = executor or ThreadPoolExecutor(max_workers=4, thread_name_prefix="rollout")
    workflow = ReleaseWorkflow(
        config=config,
        engine=engine,
        clock=sim.clock,
        events=sink,
        groups=groups,
        clusters=clusters,
        bot_actor=BOT,
        executor=executor,
        claims=claims,
    )
    return Harness(workflow, sim, config, engine, sink, groups, clusters, executor)


def harness_fixture(sim: SimHandle, tmp_path: Path) -> Iterator[Harness]:
    h = make_harness(sim, tmp_path)
    try:
        yield h
    finally:
        h.close()
