"""The background thread drives the same controllers on the system clock."""

from __future__ import annotations

import time

from bot.clock import SystemClock
from bot.kube.sim.behaviour import PodBehaviour
from bot.kube.sim.cluster import SimulatedCluster
from tests.sim.simkit import create, get, rollout_done, sample, set_image


def test_real_time_cluster_rolls_out_by_itself() -> None:
    cluster = SimulatedCluster(SystemClock(), default_behaviour=PodBehaviour.ready(after=0.05))
    cluster.start(tick=0.01)
    try:
        create(cluster, sample("web", replicas=2, image="app:1"))
        set_image(cluster, "web", "app:2")
        deadline = time.monotonic() + 10
        while (
            not rollout_done(get(cluster, "web"))
            or get(cluster, "web")["metadata"]["generation"] != 2
        ):
            assert time.monotonic() < deadline, get(cluster, "web")["status"]
            time.sleep(0.02)
    finally:
        cluster.stop()
    status = get(cluster, "web")["status"]
    assert status["updatedReplicas"] == status["availableReplicas"] == 2
    assert "unavailableReplicas" not in status


def test_advance_refuses_a_system_clock() -> None:
    cluster = SimulatedCluster(SystemClock())
    try:
        cluster.advance(1)
    except TypeError as error:
        assert "ManualClock" in str(error)
    else:
        raise AssertionError("advance() accepted a system clock")
