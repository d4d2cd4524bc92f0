"""Fixtures shared by every test that needs a Kubernetes cluster: the simulated one, over HTTP.

- ``sim``: a :class:`~bot.kube.sim.serve.SimHandle` for a fresh cluster on a free 127.0.0.1
  port, driven by a ManualClock (move time with ``sim.cluster.advance(seconds)``), with the
  namespaces ``default`` and ``apps``; its kubeconfig (context ``sim``, namespace ``apps``) is
  under ``tmp_path``.
- ``kube_client``: an official-client ``ApiClient`` configured from that kubeconfig.
- ``driver``: the rollout driver (:class:`~bot.kube.driver.Cluster`) on that kubeconfig, in
  ``apps``, on the cluster's clock; ``roll(sim, driver, name)`` follows one rollout to its end
  while moving time a second at a time.
- ``kubectl``: runs the real kubectl against it: ``kubectl("get", "deploy", "-o", "json")``
  returns the CompletedProcess (text, not checked; pass ``check=True`` to raise).
- ``control_plane``: the real kube-apiserver and controllers of tests/controlplane/, started
  once per session (:mod:`tests.realcluster`); tests that use it are marked ``realcluster``
  and skip, with the reason, where Go or the built binary is absent.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kubernetes import client, config

from bot.clock import ManualClock
from bot.kube.connection import ClusterConfig, Timeouts
from bot.kube.driver import Cluster
from bot.kube.models import RolloutEvent
from bot.kube.sim.serve import SimHandle, run_simulated_cluster
from tests.realcluster import ControlPlane, missing_reason, run_control_plane

SIM_NAMESPACE = "apps"
KUBECTL = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "kubectl"

Kubectl = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimHandle]:
    with run_simulated_cluster(
        clock=ManualClock(),
        kubeconfig_path=tmp_path / "kubeconfig",
        namespace=SIM_NAMESPACE,
    ) as handle:
        yield handle


@pytest.fixture
def kube_client(sim: SimHandle) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(config_file=str(sim.kubeconfig), context=sim.context)
    try:
        yield api_client
    finally:
        api_client.close()


@pytest.fixture
def driver(sim: SimHandle) -> Iterator[Cluster]:
    cluster = Cluster.connect(
        ClusterConfig(context=sim.context, kubeconfig=str(sim.kubeconfig)),
        SIM_NAMESPACE,
        clock=sim.clock,
        timeouts=Timeouts(connect=2.0, read=5.0),
    )
    try:
        yield cluster
    finally:
        cluster.close()


def roll(sim: SimHandle, driver: Cluster, name: str, *, limit: int = 300) -> list[RolloutEvent]:
    """Follow one rollout with the driver to its terminal event, moving time as it goes."""
    events: list[RolloutEvent] = []
    thread = threading.Thread(
        target=lambda: events.extend(driver.watch_rollout(name, timeout=limit + 60)),
        daemon=True,
    )
    thread.start()
    for _ in range(limit):
        if not thread.is_alive():
            break
        sim.cluster.advance(1)
        thread.join(timeout=0.02)
    thread.join(timeout=10)
    return events


@pytest.fixture
def kubectl(sim: SimHandle) -> Kubectl:
    if not KUBECTL.exists():
        pytest.skip(f"kubectl is not installed at {KUBECTL}; run `uv sync` to get it")

    def run(
        *args: str, check: bool = False, input: str | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(KUBECTL), "--kubeconfig", str(sim.kubeconfig), *args],
            capture_output=True,
            text=True,
            check=check,
            input=input,
            timeout=timeout,
        )

    return run


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    with run_control_plane(tmp_path_factory.mktemp("controlplane")) as plane:
        yield plane
