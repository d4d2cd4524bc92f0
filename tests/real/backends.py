"""One scenario, two clusters: the sim (on real time, over HTTP) and the real control plane.

Both are reached only through their kubeconfig, as the bot and kubectl reach a cluster, so
a test written against a :class:`Backend` runs unchanged on either and any difference in
what it observes is a difference between the sim and the real controllers.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import client, config

from bot.clock import SystemClock
from bot.kube.connection import ClusterConfig, Timeouts
from bot.kube.driver import Cluster
from bot.kube.sim.behaviour import PodBehaviour
from bot.kube.sim.samples import deployment_manifest
from bot.kube.sim.serve import run_simulated_cluster
from tests.conftest import KUBECTL
from tests.parity.scene import complete, stuck
from tests.realcluster import ControlPlane
from tests.waiting import wait_until

Obj = dict[str, Any]
REPO = "registry.example.com/shop/web"


@dataclass
class Backend:
    name: str
    kubeconfig: Path
    context: str
    namespace: str
    api: client.ApiClient
    set_image: Callable[[str, PodBehaviour], None]

    @property
    def apps(self) -> client.AppsV1Api:
        return client.AppsV1Api(self.api)

    @property
    def core(self) -> client.CoreV1Api:
        return client.CoreV1Api(self.api)

    def driver(self) -> Cluster:
        return Cluster.connect(
            ClusterConfig(context=self.context, kubeconfig=str(self.kubeconfig)),
            self.namespace,
            timeouts=Timeouts(connect=2.0, read=10.0),
        )

    def kubectl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(KUBECTL), "--kubeconfig", str(self.kubeconfig), "-n", self.namespace, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def create(self, name: str, **spec: Any) -> Obj:
        body = deployment_manifest(name, **spec)
        created: Obj = self.api.sanitize_for_serialization(
            self.apps.create_namespaced_deployment(self.namespace, body)
        )
        return created

    def deployment(self, name: str) -> Obj:
        obj: Obj = self.api.sanitize_for_serialization(
            self.apps.read_namespaced_deployment(name, self.namespace)
        )
        return obj

    def replica_sets(self, name: str) -> list[Obj]:
        uid = self.deployment(name)["metadata"]["uid"]
        items = self.apps.list_namespaced_replica_set(self.namespace).items
        return [
            rs
            for rs in (self.api.sanitize_for_serialization(i) for i in items)
            if any(r["uid"] == uid for r in rs["metadata"].get("ownerReferences", []))
        ]

    def settle(self, name: str, *, timeout: float = 60) -> Obj:
        """Wait until the Deployment's rollout is complete or past its deadline."""

        def settled() -> Obj | None:
            d = self.deployment(name)
            return d if complete(d) or stuck(d) else None

        return wait_until(
            settled,
            what=lambda: f"{self.name}: deployment {name} to settle: {self.deployment(name)}",
            timeout=timeout,
            interval=0.1,
        )


@contextmanager
def sim_backend(tmp_path: Path, namespace: str) -> Iterator[Backend]:
    with run_simulated_cluster(
        clock=SystemClock(), kubeconfig_path=tmp_path / "sim.kubeconfig", namespace=namespace
    ) as sim:
        api = config.new_client_from_config(config_file=str(sim.kubeconfig), context=sim.context)
        try:
            yield Backend(
                "sim", sim.kubeconfig, sim.context, namespace, api, sim.cluster.images.set
            )
        finally:
            api.close()  # type: ignore[no-untyped-call]


@contextmanager
def real_backend(plane: ControlPlane) -> Iterator[Backend]:
    plane.clear_images()
    namespace = plane.new_namespace()
    yield Backend("real", plane.kubeconfig, plane.context, namespace, plane.api, plane.set_image)
