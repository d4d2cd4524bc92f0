"""One configured ApiClient per cluster, with timeouts so a dead API server fails fast.

The official client waits forever by default and retries connection errors three times; a
release bot must instead tell the person in Slack within seconds that the cluster is
unreachable. Every request made through :class:`Connection` carries its timeouts.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubernetes import client, config
from kubernetes.config.config_exception import ConfigException

from bot.kube.errors import PermanentKubeError

IN_CLUSTER_CONTEXT = "in-cluster"


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
            config.load_incluster_config(  # type: ignore[no-untyped-call]
                client_configuration=configuration
            )
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
