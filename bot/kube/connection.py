"""One configured ApiClient per cluster, with timeouts so a dead API server fails fast.

The official client waits forever by default and retries connection errors three times; a
release bot must instead tell the person in Slack within seconds that the cluster is
unreachable. Every request made through :class:`Connection` carries its timeouts.
"""

from __future__ import annotations

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


class Connection:
    """An ApiClient and the typed APIs built on it, plus the timeouts to use with them."""

    def __init__(self, api_client: client.ApiClient, *, label: str, timeouts: Timeouts) -> None:
        self.api_client = api_client
        self.label = label
        self.timeouts = timeouts
        self.apps = client.AppsV1Api(api_client)
        self.core = client.CoreV1Api(api_client)

    def close(self) -> None:
        self.api_client.close()  # type: ignore[no-untyped-call]


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
    return Connection(client.ApiClient(configuration), label=cluster.label, timeouts=timeouts)
