"""What the benchmarks share: a simulated cluster in its own process, and a few statistics."""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kubernetes import client, config

from bot.kube.sim.samples import deployment_manifest

ROOT = Path(__file__).resolve().parent.parent
KUBECTL = ROOT / ".venv" / "bin" / "kubectl"


@dataclass(frozen=True)
class ExternalSim:
    kubeconfig: Path
    context: str
    process: subprocess.Popen[str]

    def apps(self) -> client.AppsV1Api:
        api = config.new_client_from_config(config_file=str(self.kubeconfig), context=self.context)
        return client.AppsV1Api(api)

    def core(self) -> client.CoreV1Api:
        api = config.new_client_from_config(config_file=str(self.kubeconfig), context=self.context)
        return client.CoreV1Api(api)


@contextmanager
def external_sim(tmp: Path, *, ready_after: float) -> Iterator[ExternalSim]:
    """`releasebot sim` in a child process, so what this process measures is the client side."""
    kubeconfig = tmp / "kubeconfig"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "commands.cli",
            "sim",
            "--kubeconfig",
            str(kubeconfig),
            "--ready-after",
            str(ready_after),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("Simulated cluster serving"):
            raise RuntimeError(f"releasebot sim did not start: {line!r}")
        yield ExternalSim(kubeconfig, "sim", proc)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def deployment(name: str, image: str, replicas: int) -> dict[str, object]:
    return deployment_manifest(name, image=image, replicas=replicas, max_surge=1, max_unavailable=0)


def wait_available(apps: client.AppsV1Api, namespace: str, names: list[str], limit: float) -> None:
    deadline = time.monotonic() + limit
    pending = set(names)
    while pending and time.monotonic() < deadline:
        for item in apps.list_namespaced_deployment(namespace).items:
            status = item.status
            if (
                item.metadata.name in pending
                and (status.available_replicas or 0) == item.spec.replicas
                and (status.updated_replicas or 0) == item.spec.replicas
            ):
                pending.discard(item.metadata.name)
        time.sleep(0.2)
    if pending:
        raise RuntimeError(f"never became available: {sorted(pending)}")


def describe(values_ms: list[float]) -> str:
    ordered = sorted(values_ms)
    return (
        f"median {statistics.median(ordered):7.1f} ms   worst {ordered[-1]:7.1f} ms   "
        f"best {ordered[0]:7.1f} ms   (n={len(ordered)})"
    )
