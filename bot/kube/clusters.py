"""The workflow's ClusterProvider: one driver per environment, sharing a connection per cluster.

``simulated: true`` clusters have no address in releasebot.yml (the simulator is started by
whoever runs the bot), so their kubeconfig path is handed in.
"""

from __future__ import annotations

import threading
from pathlib import Path

from bot.clock import Clock
from bot.config import ReleasebotConfig
from bot.kube.connection import ClusterConfig, Timeouts
from bot.kube.driver import Cluster
from bot.kube.models import WatchStopped

SIM_CONTEXT = "sim"
CLOSED = "the connections to the clusters are closed: releasebot is shutting down"


class KubeClusters:
    """Connects lazily, once per configured cluster; environments reuse it per namespace."""

    def __init__(
        self,
        config: ReleasebotConfig,
        *,
        clock: Clock | None = None,
        simulated_kubeconfig: Path | None = None,
        simulated_context: str = SIM_CONTEXT,
        timeouts: Timeouts | None = None,
    ) -> None:
        self._config = config
        self._clock = clock
        self._sim_kubeconfig = simulated_kubeconfig
        self._sim_context = simulated_context
        self._timeouts = timeouts
        self._lock = threading.Lock()
        self._connected: dict[str, Cluster] = {}
        self._closed = False

    def driver(self, environment: str) -> Cluster:
        """After :meth:`close` there are no more drivers: a rollout that starts as the bot
        closes must stop (and be resumed after a restart), not open a new connection nobody
        will close."""
        env = self._config.environment(environment)
        with self._lock:
            if self._closed:
                raise WatchStopped(CLOSED)
            base = self._connected.get(env.cluster)
            if base is None:
                base = Cluster.connect(
                    self._address(env.cluster),
                    env.namespace,
                    clock=self._clock,
                    timeouts=self._timeouts,
                )
                self._connected[env.cluster] = base
        return base if base.namespace == env.namespace else base.in_namespace(env.namespace)

    def _address(self, name: str) -> ClusterConfig:
        cluster = self._config.cluster(name)
        if cluster.kind == "in_cluster":
            return ClusterConfig(in_cluster=True)
        if cluster.kind == "simulated":
            if self._sim_kubeconfig is None:
                raise ValueError(
                    f"cluster {name!r} is simulated: start `releasebot sim` and pass its "
                    "kubeconfig to the bot"
                )
            return ClusterConfig(context=self._sim_context, kubeconfig=str(self._sim_kubeconfig))
        kubeconfig = None if cluster.kubeconfig is None else str(cluster.kubeconfig)
        return ClusterConfig(context=cluster.context, kubeconfig=kubeconfig)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connected = list(self._connected.values())
            self._connected.clear()
        for cluster in connected:
            cluster.close()
