"""`kubectl rollout status` and the driver watch the same rollouts and must agree.

For every scenario the real kubectl (a separate process, over HTTP) and the driver's shared
namespace watch follow one rollout while the test moves the simulated clock: both must reach
the same verdict with the same final message, every line kubectl printed must be the
driver's reading of a state the Deployment really passed through, and the maxSurge /
maxUnavailable bounds must hold at every change the store recorded.
"""

from __future__ import annotations

import queue
import subprocess
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.kube.driver import Cluster
from bot.kube.models import RolloutEvent, RolloutFailed, RolloutSucceeded, RolloutTimedOut
from bot.kube.sim.behaviour import PodBehaviour
from bot.kube.sim.resources import DEPLOYMENTS
from bot.kube.sim.serve import SimHandle
from bot.kube.sim.store import WatchEvent
from bot.kube.status import rollout_status
from tests.conftest import KUBECTL, Kubectl, roll
from tests.parity.scene import REPO, Bounds, create, settle

NS = "apps"
VALUES: list[int | str] = [0, 1, "25%", "50%"]
SCENARIOS = [
    (replicas, surge, unavailable)
    for replicas in (1, 3, 7, 10)
    for surge in VALUES
    for unavailable in VALUES
    if not (surge == 0 and unavailable == 0)
]

pytestmark = pytest.mark.kubectl


class KubectlStatus:
    """`kubectl rollout status` running in its own process, its lines collected as they come."""

    def __init__(self, kubeconfig: Path, name: str) -> None:
        if not KUBECTL.exists():
            pytest.skip(f"kubectl is not installed at {KUBECTL}; run `uv sync`")
        self.proc = subprocess.Popen(
            [
                str(KUBECTL),
                "--kubeconfig",
                str(kubeconfig),
                "-n",
                NS,
                "rollout",
                "status",
                f"deployment/{name}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def first_line(self, timeout: float = 20) -> str:
        return self.lines.get(timeout=timeout)

    def finish(self, timeout: float = 30) -> tuple[int, list[str], str]:
        try:
            code = self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)
        stderr = self.proc.stderr.read() if self.proc.stderr else ""
        lines = []
        while not self.lines.empty():
            lines.append(self.lines.get())
        return code, lines, stderr.strip()


def follow(driver: Cluster, name: str, sink: list[RolloutEvent]) -> threading.Thread:
    def run() -> None:
        sink.extend(driver.watch_rollout(name, timeout=900))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def record_messages(sim: SimHandle, name: str) -> set[str]:
    """Every status message the driver's rules give for a state the Deployment passed through."""
    seen: set[str] = set()

    def on_event(event: WatchEvent) -> None:
        if event.rtype is DEPLOYMENTS and event.object["metadata"]["name"] == name:
            seen.add(rollout_status(event.object).message)

    sim.cluster.store.add_listener(on_event)
    return seen


def run_rollout(
    sim: SimHandle, driver: Cluster, name: str, image: str, *, limit: int = 200
) -> tuple[int, list[str], str, list[RolloutEvent], set[str]]:
    messages = record_messages(sim, name)
    driver.deploy(name, image=image, change_cause=f"deploy {image}", release_id=f"r-{image}")
    kubectl = KubectlStatus(sim.kubeconfig, name)
    first = kubectl.first_line()
    events: list[RolloutEvent] = []
    watcher = follow(driver, name, events)
    for _ in range(limit):
        if kubectl.proc.poll() is not None and not watcher.is_alive():
            break
        sim.cluster.advance(1)
        watcher.join(timeout=0.02)
    watcher.join(timeout=30)
    code, lines, stderr = kubectl.finish()
    return code, [first, *lines], stderr, events, messages


def rolled_out_web(sim: SimHandle, *, ready_after: float, **spec: Any) -> Bounds:
    """Deployment "web" at image 1, fully available, with the bounds checker watching it."""
    sim.cluster.images.set(f"{REPO}:*", PodBehaviour.ready(after=ready_after))
    create(sim.cluster, NS, "web", image=f"{REPO}:1", **spec)
    settle(sim.cluster)
    bounds = Bounds(sim.cluster, NS, "web")
    bounds.install()
    return bounds


@pytest.mark.parametrize(("replicas", "surge", "unavailable"), SCENARIOS)
def test_rollout_status_agrees_and_bounds_hold(
    sim: SimHandle, driver: Cluster, replicas: int, surge: int | str, unavailable: int | str
) -> None:
    bounds = rolled_out_web(
        sim, ready_after=2, replicas=replicas, max_surge=surge, max_unavailable=unavailable
    )

    code, lines, stderr, events, messages = run_rollout(sim, driver, "web", f"{REPO}:2")

    assert code == 0, stderr
    assert lines[-1] == 'deployment "web" successfully rolled out'
    assert isinstance(events[-1], RolloutSucceeded)
    assert events[-1].message == lines[-1]
    assert set(lines) <= messages, f"kubectl said {set(lines) - messages} the driver never read"
    assert bounds.checked > replicas
    assert bounds.violations == []


def test_min_ready_seconds_holds_availability_back_for_both(
    sim: SimHandle, driver: Cluster
) -> None:
    bounds = rolled_out_web(
        sim, ready_after=1, replicas=3, max_surge=1, max_unavailable=0, min_ready_seconds=5
    )
    started = sim.cluster.clock.now()

    code, lines, _, events, messages = run_rollout(sim, driver, "web", f"{REPO}:2")

    assert code == 0
    assert set(lines) <= messages
    assert isinstance(events[-1], RolloutSucceeded)
    assert bounds.violations == []
    # three new pods, one at a time, each Ready after 1 s and available only 5 s after that
    assert sim.cluster.clock.now() - started >= timedelta(seconds=3 * (1 + 5))


def test_a_bad_image_fails_on_the_progress_deadline_for_both(
    sim: SimHandle, driver: Cluster
) -> None:
    sim.cluster.images.set(f"{REPO}:broken", PodBehaviour.bad_image())
    bounds = rolled_out_web(
        sim,
        ready_after=1,
        replicas=3,
        max_surge=1,
        max_unavailable=0,
        progress_deadline_seconds=30,
    )

    code, lines, stderr, events, messages = run_rollout(sim, driver, "web", f"{REPO}:broken")

    assert code == 1
    assert stderr == 'error: deployment "web" exceeded its progress deadline'
    failed = events[-1]
    assert isinstance(failed, RolloutFailed)
    assert failed.message == 'deployment "web" exceeded its progress deadline'
    assert set(lines) <= messages
    assert bounds.violations == []
    assert bounds.lowest_available == 3  # the old pods were never touched


def test_kubectl_set_image_then_the_driver_watch(
    sim: SimHandle, driver: Cluster, kubectl: Kubectl
) -> None:
    sim.cluster.images.set(f"{REPO}:*", PodBehaviour.ready(after=1))
    create(sim.cluster, NS, "web", image=f"{REPO}:1", replicas=4)
    settle(sim.cluster)
    done = kubectl("-n", NS, "set", "image", "deployment/web", f"web={REPO}:2")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "deployment.apps/web image updated"
    events = roll(sim, driver, "web")
    assert isinstance(events[-1], RolloutSucceeded)
    assert driver.state("web").image == f"{REPO}:2"
    status = kubectl("-n", NS, "rollout", "status", "deployment/web")
    assert status.returncode == 0
    assert status.stdout.strip() == events[-1].message
    assert not any(isinstance(e, RolloutTimedOut) for e in events)
