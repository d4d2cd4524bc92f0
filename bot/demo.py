"""`releasebot demo`: a real rollout, end to end, on a simulated cluster in this process.

A newcomer sees what the bot does to a Deployment without a cluster: the driver patches the
image, follows the rollout over the same watch it uses in production and prints what
`kubectl rollout status` would, plus the pods and ReplicaSets as they change. With
``--fail`` the new image never starts, the progress deadline passes and the driver undoes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.clock import SystemClock
from bot.kube.connection import ClusterConfig
from bot.kube.driver import Cluster
from bot.kube.models import (
    PodChanged,
    ReplicaSetChanged,
    RolloutEvent,
    RolloutFailed,
    RolloutProgress,
    RolloutSucceeded,
    RolloutTimedOut,
)
from bot.kube.sim.behaviour import PodBehaviour
from bot.kube.sim.resources import DEPLOYMENTS
from bot.kube.sim.samples import deployment_manifest
from bot.kube.sim.serve import run_simulated_cluster

NAMESPACE = "shop"
SERVICE = "api"
REPOSITORY = "registry.example.com/shop/api"
REPLICAS = 4

Print = Callable[[str], None]


def run_demo(
    *,
    fail: bool = False,
    out: Print = print,
    pod_ready_after: float = 1.5,
    min_ready_seconds: int = 1,
    progress_deadline_seconds: int = 12,
) -> int:
    """Roll ``api`` from 1.4.1 to 1.4.2 (or to a broken 1.4.3) and return an exit code."""
    clock = SystemClock()
    with run_simulated_cluster(clock=clock, namespace=NAMESPACE) as sim:
        sim.cluster.images.set(f"{REPOSITORY}:*", PodBehaviour.ready(after=pod_ready_after))
        sim.cluster.images.set(f"{REPOSITORY}:1.4.3", PodBehaviour.bad_image())
        out(f"Simulated cluster at {sim.url} (kubeconfig {sim.kubeconfig}, context {sim.context})")
        sim.cluster.store.create(
            DEPLOYMENTS,
            NAMESPACE,
            deployment_manifest(
                SERVICE,
                image=f"{REPOSITORY}:1.4.1",
                replicas=REPLICAS,
                max_surge=1,
                max_unavailable=0,
                min_ready_seconds=min_ready_seconds,
                progress_deadline_seconds=progress_deadline_seconds,
            ),
        )
        sim.cluster.after_write()
        cluster = Cluster.connect(
            ClusterConfig(context=sim.context, kubeconfig=str(sim.kubeconfig)),
            NAMESPACE,
            clock=clock,
        )
        try:
            out(f"Waiting for deployment/{SERVICE} ({REPLICAS} replicas of 1.4.1) to be available…")
            if not _follow(cluster, out, quiet=True):
                out("The sample Deployment never became available; this is a bug in the demo.")
                return 1
            version = "1.4.3" if fail else "1.4.2"
            out(f"\nDeploying {REPOSITORY}:{version} (maxSurge 1, maxUnavailable 0)")
            cluster.deploy(
                SERVICE,
                image=f"{REPOSITORY}:{version}",
                change_cause=f"releasebot demo: {SERVICE} {version}",
                release_id=f"demo-{version}",
            )
            started = time.monotonic()
            succeeded = _follow(cluster, out)
            out(f"Finished in {time.monotonic() - started:.1f}s\n")
            if not succeeded:
                result = cluster.undo(SERVICE)
                out(f"Undo to revision {result.to_revision}: {result.message}")
                _follow(cluster, out, quiet=True)
            out(cluster.history(SERVICE).render())
            return 0 if succeeded or fail else 1
        finally:
            cluster.close()


def _follow(cluster: Cluster, out: Print, *, quiet: bool = False) -> bool:
    last = ""
    for event in cluster.watch_rollout(SERVICE, timeout=60):
        line = _describe(event)
        if line and line != last and (not quiet or _is_final(event)):
            out(line)
            last = line
        if isinstance(event, RolloutSucceeded):
            return True
        if isinstance(event, RolloutFailed | RolloutTimedOut):
            return False
    return False


def _is_final(event: RolloutEvent) -> bool:
    return isinstance(event, RolloutSucceeded | RolloutFailed | RolloutTimedOut)


def _describe(event: RolloutEvent) -> str:
    if isinstance(event, RolloutProgress):
        c = event.counts
        return (
            f"  {event.message}  [desired {c.desired} · updated {c.updated} · ready {c.ready}"
            f" · available {c.available} · old {c.old_pending_termination}]"
        )
    if isinstance(event, PodChanged):
        state = "Ready" if event.ready else (event.waiting_reason or event.phase)
        return f"    pod {event.name}: {event.change.lower()} ({state})"
    if isinstance(event, ReplicaSetChanged):
        return (
            f"    replicaset {event.name} (revision {event.revision}): "
            f"{event.replicas} replicas, {event.available} available"
        )
    if isinstance(event, RolloutSucceeded):
        return f"✔ {event.message}"
    if isinstance(event, RolloutFailed):
        return f"✖ {event.message}"
    return f"✖ timed out: {event.last_status}"
