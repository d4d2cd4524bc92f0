"""The driver reads a rollout exactly as `kubectl rollout status` does, and no later."""

import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from bot.kube.driver import Cluster
from bot.kube.models import RolloutProgress, RolloutSucceeded

from .conftest import NAMESPACE, settle
from .test_external_changes import KUBECTL


def distinct(lines: list[str]) -> list[str]:
    return [line for i, line in enumerate(lines) if i == 0 or lines[i - 1] != line]


@pytest.mark.kubectl
def test_same_messages_as_kubectl_and_not_later(
    sim: Any, driver: Cluster, create_deployment: Callable[..., Any]
) -> None:
    create_deployment("api", "shop/api:1", replicas=4)
    settle(sim)
    driver.deploy("api", image="shop/api:2", change_cause="c", release_id="r2")
    finished: dict[str, float] = {}
    ours: list[str] = []

    def follow() -> None:
        for event in driver.watch_rollout("api", timeout=600):
            if isinstance(event, RolloutProgress):
                ours.append(event.message)
            if isinstance(event, RolloutSucceeded):
                finished["bot"] = time.monotonic()

    process = subprocess.Popen(
        [
            str(KUBECTL),
            "--kubeconfig",
            str(sim.kubeconfig),
            "-n",
            NAMESPACE,
            "rollout",
            "status",
            "deployment/api",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []

    def read_kubectl() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if "successfully rolled out" in line:
                finished["kubectl"] = time.monotonic()

    threads = [threading.Thread(target=follow), threading.Thread(target=read_kubectl)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while not lines and time.monotonic() < deadline:
        time.sleep(0.01)
    while not ours and time.monotonic() < deadline:
        time.sleep(0.01)
    while threads[0].is_alive() and time.monotonic() < deadline:
        sim.cluster.advance(0.5)
        time.sleep(0.02)
    for thread in threads:
        thread.join(10)
    process.wait(10)
    assert lines[-1] == 'deployment "api" successfully rolled out'
    assert len(distinct(lines)) >= 3
    assert distinct(ours) == distinct(lines)
    assert finished["bot"] - finished["kubectl"] <= 0.1
