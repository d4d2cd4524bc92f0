"""The sim and the real controllers on the same scenarios: the same final objects, the same
ReplicaSet revisions and annotations, the same sequence of conditions and the same events.

Each scenario runs on both backends through the API alone; anything that differs and is
not in KNOWN (each with its reason, and listed in the README) fails the test.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.kube.sim.behaviour import PodBehaviour
from tests.real.backends import REPO, Backend, real_backend, sim_backend
from tests.real.compare import differences, snapshot
from tests.real.watchlog import WatchLog
from tests.realcluster import ControlPlane

pytestmark = pytest.mark.realcluster

Scenario = Callable[[Backend], None]

# path prefix of a difference -> why the sim is allowed to differ there
KNOWN: dict[str, str] = {}


def _deploy(backend: Backend, image: str) -> None:
    driver = backend.driver()
    try:
        driver.deploy("web", image=image, change_cause=f"deploy {image}", release_id=f"r-{image}")
    finally:
        driver.close()
    backend.settle("web")


def roll(backend: Backend) -> None:
    _deploy(backend, f"{REPO}:2")


def bad_image(backend: Backend) -> None:
    _deploy(backend, f"{REPO}:broken")


def roll_then_undo(backend: Backend) -> None:
    _deploy(backend, f"{REPO}:2")
    _deploy(backend, f"{REPO}:3")
    driver = backend.driver()
    try:
        driver.undo("web", to_revision=1)
    finally:
        driver.close()
    backend.settle("web")


def run(backend: Backend, scenario: Scenario) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    backend.set_image(f"{REPO}:*", PodBehaviour.ready(after=0.3))
    backend.set_image(f"{REPO}:broken", PodBehaviour.bad_image())
    log = WatchLog(backend, "web").start()
    backend.create(
        "web",
        image=f"{REPO}:1",
        replicas=3,
        max_surge=1,
        max_unavailable=0,
        progress_deadline_seconds=4,
    )
    backend.settle("web")
    scenario(backend)
    log.stop()
    return snapshot(backend, "web"), log.conditions()


@pytest.mark.parametrize("scenario", [roll, bad_image, roll_then_undo], ids=lambda s: s.__name__)
def test_the_sim_and_the_real_controllers_agree(
    control_plane: ControlPlane, tmp_path: Path, scenario: Scenario
) -> None:
    with sim_backend(tmp_path, "apps") as sim:
        sim_result, sim_conditions = run(sim, scenario)
    with real_backend(control_plane) as real:
        real_result, real_conditions = run(real, scenario)
        sim_result["deployment"]["metadata"]["namespace"] = real.namespace
        for rs in sim_result["replicasets"]:
            rs["metadata"]["namespace"] = real.namespace

    found = differences(sim_result, real_result)
    if sim_conditions != real_conditions:
        found.append(f"conditions: sim {sim_conditions} != real {real_conditions}")
    unexplained = [d for d in found if not any(d.startswith(k) for k in KNOWN)]
    assert unexplained == [], "\n".join(unexplained)
