"""`kubectl rollout status` and the driver agree on both backends, the bounds hold on both.

The same checks as tests/parity/, on all of its 60 rollout scenarios (replicas 1/3/7/10 by
maxSurge by maxUnavailable in 0, 1, 25%, 50%, less 0/0), with time passing by itself: on the
real control plane this is the real deployment controller deciding every step.
"""

from __future__ import annotations

import subprocess
import threading
from typing import Any

import pytest

from bot.kube.models import RolloutEvent, RolloutFailed, RolloutSucceeded
from bot.kube.sim.behaviour import PodBehaviour
from bot.kube.status import rollout_status
from tests.conftest import KUBECTL
from tests.parity.test_rollout_status import SCENARIOS as PARITY_SCENARIOS
from tests.real.backends import REPO, Backend
from tests.real.watchlog import WatchLog

pytestmark = pytest.mark.kubectl

SCENARIOS: list[tuple[int, int | str, int | str]] = PARITY_SCENARIOS


def rolled_out(backend: Backend, *, ready_after: float, **spec: Any) -> WatchLog:
    if not KUBECTL.exists():
        pytest.skip(f"kubectl is not installed at {KUBECTL}; run `uv sync`")
    backend.set_image(f"{REPO}:*", PodBehaviour.ready(after=ready_after))
    backend.create("web", image=f"{REPO}:1", **spec)
    backend.settle("web")
    return WatchLog(backend, "web").start()


def rollout(
    backend: Backend, image: str, *, timeout: float = 90
) -> tuple[int, list[str], str, list[RolloutEvent]]:
    driver = backend.driver()
    try:
        driver.deploy("web", image=image, change_cause=f"deploy {image}", release_id=f"r-{image}")
        kubectl = subprocess.Popen(
            [
                str(KUBECTL),
                "--kubeconfig",
                str(backend.kubeconfig),
                "-n",
                backend.namespace,
                "rollout",
                "status",
                "deployment/web",
                f"--timeout={int(timeout)}s",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        events: list[RolloutEvent] = []
        watcher = threading.Thread(
            target=lambda: events.extend(driver.watch_rollout("web", timeout=timeout)),
            daemon=True,
        )
        watcher.start()
        out, err = kubectl.communicate(timeout=timeout + 30)
        watcher.join(timeout=timeout + 30)
        return kubectl.returncode, out.splitlines(), err.strip(), events
    finally:
        driver.close()


@pytest.mark.parametrize(("replicas", "surge", "unavailable"), SCENARIOS)
def test_rollout_status_agrees_and_bounds_hold(
    backend: Backend, replicas: int, surge: int | str, unavailable: int | str
) -> None:
    log = rolled_out(
        backend, ready_after=0.3, replicas=replicas, max_surge=surge, max_unavailable=unavailable
    )

    code, lines, stderr, events = rollout(backend, f"{REPO}:2")
    log.stop()

    assert code == 0, stderr
    assert lines[-1] == 'deployment "web" successfully rolled out'
    assert isinstance(events[-1], RolloutSucceeded)
    assert events[-1].message == lines[-1]
    messages = {rollout_status(d).message for d in log.deployments}
    assert set(lines) <= messages, f"kubectl said {set(lines) - messages} the driver never read"
    assert log.checked > replicas
    assert log.violations == []


def test_a_bad_image_fails_on_the_progress_deadline_for_both(backend: Backend) -> None:
    backend.set_image(f"{REPO}:broken", PodBehaviour.bad_image())
    log = rolled_out(
        backend,
        ready_after=0.3,
        replicas=3,
        max_surge=1,
        max_unavailable=0,
        progress_deadline_seconds=3,
    )

    code, _, stderr, events = rollout(backend, f"{REPO}:broken")
    log.stop()

    assert code == 1
    assert stderr == 'error: deployment "web" exceeded its progress deadline'
    assert isinstance(events[-1], RolloutFailed)
    assert events[-1].message == 'deployment "web" exceeded its progress deadline'
    assert log.violations == []


def test_undo_and_history_agree_with_kubectl(backend: Backend) -> None:
    rolled_out(backend, ready_after=0.2, replicas=2).stop()
    for tag in ("2", "3"):
        code, _, stderr, _ = rollout(backend, f"{REPO}:{tag}")
        assert code == 0, stderr
    driver = backend.driver()
    try:
        history = [(e.revision, e.change_cause) for e in driver.history("web").entries]
        printed = backend.kubectl("rollout", "history", "deployment/web").stdout.splitlines()
        rows = [line.split(None, 1) for line in printed[2:] if line.strip()]
        assert [(int(r), c.strip()) for r, c in rows] == history
        assert history == [(1, "<none>"), (2, f"deploy {REPO}:2"), (3, f"deploy {REPO}:3")]

        undone = driver.undo("web", to_revision=2)
        assert undone.to_revision == 2
        backend.settle("web")
        assert driver.state("web").image == f"{REPO}:2"
        after = [e.revision for e in driver.history("web").entries]
        assert after == [1, 3, 4], "rolling back re-uses revision 2's ReplicaSet as revision 4"
        skipped = backend.kubectl("rollout", "undo", "deployment/web", "--to-revision=4")
        assert (
            skipped.stdout.strip()
            == "deployment.apps/web skipped rollback (current template already matches revision 4)"
        )
    finally:
        driver.close()
