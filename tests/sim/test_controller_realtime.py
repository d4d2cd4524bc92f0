"""The background thread drives the same controllers on the system clock."""

from __future__ import annotations

from bot.clock import SystemClock
from bot.kube.sim.behaviour import PodBehaviour
from bot.kube.sim.cluster import SimulatedCluster
from tests.sim.simkit import create, get, rollout_done, sample, set_image
from tests.waiting import wait_until


def test_real_time_cluster_rolls_out_by_itself() -> None:
    cluster = SimulatedCluster(SystemClock(), default_behaviour=PodBehaviour.ready(after=0.05))
    cluster.start(tick=0.01)
    try:
        create(cluster, sample("web", replicas=2, image="app:1"))
        set_image(cluster, "web", "app:2")
        wait_until(
            lambda: (
                rollout_done(get(cluster, "web"))
                and get(cluster, "web")["metadata"]["generation"] == 2
            ),
            timeout=10,
            what=lambda: f"the rollout to app:2 to end; status {get(cluster, 'web')['status']}",
        )
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
