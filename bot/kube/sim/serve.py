"""Run a simulated cluster behind its API server for as long as a ``with`` block lasts.

Tests, ``releasebot sim`` and the demo all start the cluster the same way, so what a test
proves about the server is what a person gets from the command line.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from bot.clock import Clock, SystemClock
from bot.kube.sim.cluster import SimulatedCluster
from bot.kube.sim.kubeconfig import write_kubeconfig
from bot.kube.sim.rbac import TokenRules
from bot.kube.sim.resources import NAMESPACES
from bot.kube.sim.server import SimApiServer
from bot.kube.sim.store import AlreadyExists

__all__ = ["SimHandle", "run_simulated_cluster", "write_kubeconfig"]


@dataclass(frozen=True)
class SimHandle:
    cluster: SimulatedCluster
    clock: Clock
    url: str
    kubeconfig: Path
    context: str
    server: SimApiServer


def ensure_namespace(cluster: SimulatedCluster, name: str) -> None:
    with suppress(AlreadyExists):
        cluster.store.create(
            NAMESPACES,
            "",
            {
                "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            },
        )


@contextmanager
def run_simulated_cluster(
    *,
    clock: Clock | None = None,
    port: int = 0,
    token_rules: TokenRules | None = None,
    token: str | None = None,
    kubeconfig_path: Path | None = None,
    context: str = "sim",
    namespace: str = "default",
    namespaces: Iterable[str] = (),
    latency: float = 0.0,
) -> Iterator[SimHandle]:
    """A running cluster on 127.0.0.1 and a kubeconfig for it.

    ``namespace`` becomes the kubeconfig's default namespace; it, ``default`` and every one of
    ``namespaces`` exist. ``token`` goes into the kubeconfig (use one from ``token_rules`` to
    act as that user). A real-time clock (the default) also starts the cluster's background
    reconcile loop; a :class:`~bot.clock.ManualClock` leaves time to the caller.
    """
    clock = clock or SystemClock()
    cluster = SimulatedCluster(clock)
    for name in {"default", namespace, *namespaces}:
        ensure_namespace(cluster, name)
    server = SimApiServer(cluster, port=port, token_rules=token_rules, latency=latency)
    with tempfile.TemporaryDirectory(prefix="releasebot-sim-") as scratch:
        path = kubeconfig_path or Path(scratch) / "kubeconfig"
        write_kubeconfig(path, server.url, context, token=token, namespace=namespace)
        server.start()
        if isinstance(clock, SystemClock):
            cluster.start()
        try:
            yield SimHandle(cluster, clock, server.url, path, context, server)
        finally:
            server.stop()
            cluster.stop()
