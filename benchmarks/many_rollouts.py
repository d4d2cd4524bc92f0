"""200 (or 1000) concurrent rollouts over 10 namespaces, watched by one process.

The simulated cluster runs in its own process; this process is the bot's side: one driver,
200 rollouts followed at once. Printed: TCP connections open to the API server while they
run (the shared watch keeps it at three per namespace, plus a few for ordinary requests),
peak RSS, and CPU seconds per rollout, with the simulated cluster's CPU beside it so it is
clear which side is measured. The baseline, measured in the same run, is what
`kubectl rollout status` costs per rollout (one process each) on a sample of the rollouts.

    uv run python benchmarks/many_rollouts.py [--namespaces 10] [--per-namespace 20|100]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import KUBECTL, deployment, external_sim, wait_available
from bot.kube.connection import ClusterConfig
from bot.kube.driver import Cluster
from bot.kube.models import RolloutSucceeded

IMAGE = "registry.example.com/bench/app"


def open_connections(port: int) -> int:
    """Established TCP connections from this process to 127.0.0.1:port."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        with open(table) as f:
            next(f)
            for line in f:
                parts = line.split()
                remote_port = int(parts[2].split(":")[1], 16)
                if parts[3] == "01" and remote_port == port and parts[9] in inodes:
                    count += 1
    return count


def rss_kib(pid: int | str = "self") -> int:
    """Resident set size now, from /proc (0 when the process is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of another process so far, from /proc (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--namespaces", type=int, default=10)
    parser.add_argument("--per-namespace", type=int, default=20)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--kubectl-sample", type=int, default=20)
    parser.add_argument(
        "--watch-timeout",
        type=float,
        default=600,
        help="seconds each rollout is followed (a short one proves that a failure is caught)",
    )
    args = parser.parse_args()
    total = args.namespaces * args.per_namespace

    with tempfile.TemporaryDirectory() as tmp, external_sim(Path(tmp), ready_after=1.0) as sim:
        apps, core = sim.apps(), sim.core()
        namespaces = [f"team{i}" for i in range(args.namespaces)]
        names = [f"svc{j}" for j in range(args.per_namespace)]
        for ns in namespaces:
            core.create_namespace({"metadata": {"name": ns}})
            for name in names:
                apps.create_namespaced_deployment(ns, deployment(name, f"{IMAGE}:0", args.replicas))
        for ns in namespaces:
            wait_available(apps, ns, names, limit=300)
        port = int(apps.api_client.configuration.host.rsplit(":", 1)[1])
        print(f"{total} Deployments available ({args.replicas} replicas each), sim on port {port}")

        root = Cluster.connect(
            ClusterConfig(context=sim.context, kubeconfig=str(sim.kubeconfig)), namespaces[0]
        )
        views = {ns: root.in_namespace(ns) for ns in namespaces}
        rss_before = rss_kib()
        rss_peak = rss_before
        cpu_before = cpu_seconds(resource.RUSAGE_SELF)
        sim_cpu_before = process_cpu_seconds(sim.process.pid)
        succeeded: list[str] = []
        lock = threading.Lock()
        peak_connections = 0

        failures: list[str] = []

        def follow(ns: str, name: str) -> None:
            try:
                for event in views[ns].watch_rollout(name, timeout=args.watch_timeout):
                    if isinstance(event, RolloutSucceeded):
                        with lock:
                            succeeded.append(f"{ns}/{name}")
            except Exception as err:
                with lock:
                    failures.append(f"{ns}/{name}: {type(err).__name__}: {err}")

        started = time.monotonic()
        for ns in namespaces:
            for name in names:
                views[ns].deploy(
                    name, image=f"{IMAGE}:1", change_cause="bench", release_id=f"bench-{ns}-{name}"
                )
        threads = [
            threading.Thread(target=follow, args=(ns, n)) for ns in namespaces for n in names
        ]
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            peak_connections = max(peak_connections, open_connections(port))
            rss_peak = max(rss_peak, rss_kib())
            time.sleep(0.25)
        elapsed = time.monotonic() - started
        cpu = cpu_seconds(resource.RUSAGE_SELF) - cpu_before
        sim_cpu = process_cpu_seconds(sim.process.pid) - sim_cpu_before
        root.close()
        if len(succeeded) != total:
            if failures:
                print(f"{len(failures)} follows failed, e.g. {failures[0]}", file=sys.stderr)
            unfinished(f"{len(succeeded)}/{total} rollouts succeeded", succeeded, namespaces, names)

        # Baseline: kubectl rollout status, one process per rollout, on a sample.
        sample = [(ns, name) for ns in namespaces for name in names][: args.kubectl_sample]
        for ns, name in sample:
            apps.patch_namespaced_deployment(
                name,
                ns,
                {
                    "spec": {
                        "template": {
                            "spec": {"containers": [{"name": name, "image": f"{IMAGE}:2"}]}
                        }
                    }
                },
            )
        kubectl_cpu_before = cpu_seconds(resource.RUSAGE_CHILDREN)
        procs = [
            subprocess.Popen(
                [
                    str(KUBECTL),
                    "--kubeconfig",
                    str(sim.kubeconfig),
                    "-n",
                    ns,
                    "rollout",
                    "status",
                    f"deployment/{name}",
                ],
                stdout=subprocess.DEVNULL,
            )
            for ns, name in sample
        ]
        kubectl_rss = 0
        while any(proc.poll() is None for proc in procs):
            kubectl_rss = max([kubectl_rss, *(rss_kib(proc.pid) for proc in procs)])
            time.sleep(0.05)
        kubectl_cpu = cpu_seconds(resource.RUSAGE_CHILDREN) - kubectl_cpu_before
        if any(proc.returncode != 0 for proc in procs):
            failed = sum(1 for proc in procs if proc.returncode != 0)
            unfinished(f"{failed} of the baseline's kubectl rollout status failed", [], [], [])

    print(f"{len(succeeded)}/{total} rollouts succeeded in {elapsed:.1f}s")
    if failures:
        print(f"{len(failures)} follows failed, e.g. {failures[0]}")
    print(
        f"open connections to the API server (peak): {peak_connections}  "
        f"(= {peak_connections / args.namespaces:.1f} per namespace, {peak_connections / total:.2f} per rollout)"
    )
    print(
        f"peak RSS: {rss_peak / 1024:.1f} MiB (before the rollouts: {rss_before / 1024:.1f} MiB; "
        f"+{(rss_peak - rss_before) / 1024 / total * 1024:.1f} KiB per rollout)"
    )
    print(f"CPU: {cpu:.2f} s for {total} rollouts = {cpu / total * 1000:.1f} ms per rollout")
    print(
        f"simulated cluster's CPU meanwhile (its own process, not the bot): {sim_cpu:.2f} s "
        f"= {sim_cpu / total * 1000:.1f} ms per rollout"
    )
    print(
        f"baseline, kubectl rollout status on {len(sample)} rollouts: "
        f"{kubectl_cpu / len(sample) * 1000:.1f} ms CPU and one process of up to {kubectl_rss / 1024:.0f} MiB RSS per rollout"
    )
    print(
        f"ratio CPU per rollout driver/kubectl: {(cpu / total) / (kubectl_cpu / len(sample)):.3f}"
    )
    print(
        f"ratio memory per rollout driver/kubectl: {((rss_peak - rss_before) / total) / kubectl_rss:.4f}"
    )
    print(
        f"ratio whole-process memory, this process vs {total} kubectl processes: "
        f"{rss_peak / (kubectl_rss * total):.4f}"
    )


def unfinished(what: str, succeeded: list[str], namespaces: list[str], names: list[str]) -> None:
    """The scenario did not reach its end: say so and print no figure as if it had."""
    missing = sorted({f"{ns}/{n}" for ns in namespaces for n in names} - set(succeeded))
    shown = f" (not succeeded: {', '.join(missing[:10])}{' …' if len(missing) > 10 else ''})"
    print(f"many_rollouts: {what}{shown if missing else ''}; no figures.", file=sys.stderr)
    sys.exit(1)


if __name__ == "__main__":
    main()
