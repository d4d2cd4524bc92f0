"""One configured ApiClient per cluster, with timeouts so a dead API server fails fast.

The official client waits forever by default and retries connection errors three times; a
release bot must instead tell the person in Slack within seconds that the cluster is
unreachable. Every request made through :class:`Connection` carries its timeouts.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

from kubernetes import client, config
from kubernetes.config.config_exception import ConfigException
from kubernetes.config.incluster_config import InClusterConfigLoader

from bot.kube.errors import PermanentKubeError

IN_CLUSTER_CONTEXT = "in-cluster"
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


@dataclass(frozen=True)
class Timeouts:
    connect: float = 5.0
    read: float = 30.0
    watch_read: float = 90.0
    """A watch may be silent for long; past this it is treated as dropped and resumed."""
    watch_seconds: int = 300
    """The ``timeoutSeconds`` asked of the API server: it closes each watch after that long
    (as kube-apiserver does with its own limit), and the watch resumes from where it was."""

    def request(self) -> tuple[float, float]:
        return (self.connect, self.read)

    def watch(self) -> tuple[float, float]:
        return (self.connect, self.watch_read)


@dataclass(frozen=True)
class ClusterConfig:
    """Where a cluster is: a kubeconfig context, or the pod's service account."""

    context: str | None = None
    kubeconfig: str | None = None
    in_cluster: bool = False
    service_account_dir: str = SERVICE_ACCOUNT_DIR
    """In a pod: where the kubelet mounts the token and CA. Tests point it elsewhere to run
    the in-cluster path against a real apiserver without writing to the machine's /var."""

    @property
    def label(self) -> str:
        if self.in_cluster:
            return IN_CLUSTER_CONTEXT
        return self.context or "current-context"


REQUEST_CONNECTIONS = 4
"""Connections for ordinary requests (get, list, patch), however many rollouts run: more
callers wait their turn for one instead of opening another each."""
WATCH_CONNECTIONS = 64
"""Idle watch connections kept for reuse; a stream holds its own while it runs."""


class Connection:
    """Two ApiClients on one configuration, the typed APIs built on them, and the timeouts.

    Watch streams hold a connection each for minutes, so they get a pool of their own
    (``watch_apps``/``watch_core``: one connection per stream, three per namespace). All
    other requests share a small pool that blocks when every connection is busy: at 1000
    concurrent rollouts a pool that opens a connection per waiting caller held hundreds.
    """

    def __init__(
        self,
        api_client: client.ApiClient,
        *,
        label: str,
        timeouts: Timeouts,
        watch_client: client.ApiClient | None = None,
    ) -> None:
        self.api_client = api_client
        self.watch_client = watch_client or api_client
        self.label = label
        self.timeouts = timeouts
        self.apps = client.AppsV1Api(api_client)
        self.core = client.CoreV1Api(api_client)
        self.watch_apps = client.AppsV1Api(self.watch_client)
        self.watch_core = client.CoreV1Api(self.watch_client)

    def close(self) -> None:
        self.api_client.close()  # type: ignore[no-untyped-call]
        if self.watch_client is not self.api_client:
            self.watch_client.close()  # type: ignore[no-untyped-call]


def _pooled(configuration: client.Configuration, size: int, *, block: bool) -> client.ApiClient:
    configuration.connection_pool_maxsize = size
    api_client = client.ApiClient(configuration)
    # urllib3 passes this to every host's pool it creates: callers wait for a free connection.
    api_client.rest_client.pool_manager.connection_pool_kw["block"] = block
    return api_client


def connect(cluster: ClusterConfig, timeouts: Timeouts | None = None) -> Connection:
    """Build a :class:`Connection`; no request is made yet, so this never blocks."""
    timeouts = timeouts or Timeouts()
    configuration = client.Configuration()
    try:
        if cluster.in_cluster:
            # The token is re-read as it rotates (projected tokens last an hour by default).
            InClusterConfigLoader(  # type: ignore[no-untyped-call]
                token_filename=str(Path(cluster.service_account_dir) / "token"),
                cert_filename=str(Path(cluster.service_account_dir) / "ca.crt"),
                try_refresh_token=True,
            ).load_and_set(client_configuration=configuration)
        else:
            config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=cluster.kubeconfig,
                context=cluster.context,
                client_configuration=configuration,
                persist_config=False,
            )
    except (ConfigException, OSError, TypeError, ValueError) as err:
        source = (
            "the in-cluster service account"
            if cluster.in_cluster
            else (f'kubeconfig {cluster.kubeconfig or "~/.kube/config"} context "{cluster.label}"')
        )
        raise PermanentKubeError(
            f"cannot load {source}: {err}. Fix the cluster's context / kubeconfig in the "
            "configuration (or set in_cluster: true when the bot runs in the cluster)."
        ) from err
    # Connection errors surface at once; the driver decides about retrying with a delay.
    configuration.retries = False
    watch_configuration = copy.copy(configuration)
    return Connection(
        _pooled(configuration, REQUEST_CONNECTIONS, block=True),
        label=cluster.label,
        timeouts=timeouts,
        watch_client=_pooled(watch_configuration, WATCH_CONNECTIONS, block=False),
    )
