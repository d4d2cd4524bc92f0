"""How soon the driver notices a finished rollout, next to `kubectl rollout status`.

Each round rolls a new image out to ten Deployments at once on a simulated cluster running in
its own process. For every rollout, the driver (one shared watch for the namespace) and a real
`kubectl rollout status` process follow it; we note the moment each reports success. The
figure is driver - kubectl per rollout (negative: the driver was first). Target: the driver
is never more than 100 ms behind kubectl.

    uv run python benchmarks/detection_latency.py [--rounds 3] [--deployments 10]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import KUBECTL, deployment, describe, external_sim, wait_available
from bot.kube.connection import ClusterConfig
from bot.kube.driver import Cluster
from bot.kube.models import RolloutSucceeded

NAMESPACE = "default"
IMAGE = "registry.example.com/bench/app"


def kubectl_done_at(kubeconfig: Path, name: str, out: dict[str, float]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [
            str(KUBECTL),
            "--kubeconfig",
            str(kubeconfig),
            "-n",
            NAMESPACE,
            "rollout",
            "status",
            f"deployment/{name}",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "successfully rolled out" in line:
                out[name] = time.monotonic()

    threading.Thread(target=read, daemon=True).start()
    return proc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--deployments", type=int, default=10)
    parser.add_argument("--replicas", type=int, default=3)
    args = parser.parse_args()

    gaps: list[float] = []
    driver_ms: list[float] = []
    kubectl_ms: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, external_sim(Path(tmp), ready_after=1.0) as sim:
        apps = sim.apps()
        names = [f"app{i}" for i in range(args.deployments)]
        for name in names:
            apps.create_namespaced_deployment(
                NAMESPACE, deployment(name, f"{IMAGE}:0", args.replicas)
            )
        wait_available(apps, NAMESPACE, names, limit=120)
        driver = Cluster.connect(
            ClusterConfig(context=sim.context, kubeconfig=str(sim.kubeconfig)), NAMESPACE
        )
        try:
            for round_ in range(1, args.rounds + 1):
                started = time.monotonic()
                driver_done: dict[str, float] = {}
                kubectl_done: dict[str, float] = {}

                def follow(name: str, done: dict[str, float] = driver_done) -> None:
                    for event in driver.watch_rollout(name, timeout=120):
                        if isinstance(event, RolloutSucceeded):
                            done[name] = time.monotonic()

                for name in names:
                    driver.deploy(
                        name,
                        image=f"{IMAGE}:{round_}",
                        change_cause=f"bench {round_}",
                        release_id=f"bench-{round_}-{name}",
                    )
                procs = [kubectl_done_at(sim.kubeconfig, name, kubectl_done) for name in names]
                threads = [threading.Thread(target=follow, args=(name,)) for name in names]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(timeout=180)
                for proc in procs:
                    proc.wait(timeout=60)
                time.sleep(0.2)
                for name in names:
                    if name in driver_done and name in kubectl_done:
                        gaps.append((driver_done[name] - kubectl_done[name]) * 1000)
                        driver_ms.append((driver_done[name] - started) * 1000)
                        kubectl_ms.append((kubectl_done[name] - started) * 1000)
                missing = [n for n in names if n not in driver_done or n not in kubectl_done]
                print(
                    f"round {round_}: {len(names) - len(missing)} rollouts compared"
                    + (f", missing {missing}" if missing else "")
                )
                if missing:
                    # a rollout neither side saw finish: the scenario did not reach its end
                    print(
                        f"detection_latency: round {round_} never saw {missing} finish "
                        "(driver or kubectl); no figures.",
                        file=sys.stderr,
                    )
                    sys.exit(1)
        finally:
            driver.close()

    print()
    print("completion seen, from the deploy:")
    print(f"  kubectl rollout status  {describe(kubectl_ms)}")
    print(f"  releasebot driver       {describe(driver_ms)}")
    print(f"driver - kubectl per rollout: {describe(gaps)}")
    ratio = (sorted(driver_ms)[len(driver_ms) // 2]) / (sorted(kubectl_ms)[len(kubectl_ms) // 2])
    print(f"median time-to-detect ratio driver/kubectl: {ratio:.3f}")
    worst = max(gaps)
    verdict = "met" if worst <= 100 else "NOT met"
    print(f"target (never more than 100 ms behind kubectl): {verdict}, worst gap {worst:.1f} ms")


if __name__ == "__main__":
    main()
