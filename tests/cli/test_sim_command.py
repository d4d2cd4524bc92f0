"""`releasebot sim` as a person runs it: a process that serves a cluster kubectl can use."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import KUBECTL

ROOT = Path(__file__).resolve().parents[2]


def test_sim_serves_kubectl_and_stops_on_sigterm(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "commands.cli",
            "sim",
            "--kubeconfig",
            str(kubeconfig),
            "--namespace",
            "shop",
            "--bad-image",
            "*:broken",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("Simulated cluster serving at http://127.0.0.1:")
        assert f"kubectl --kubeconfig {kubeconfig}" in proc.stdout.readline()
        manifest = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: registry.example.com/shop/api:1}]}
"""
        kubectl = [str(KUBECTL), "--kubeconfig", str(kubeconfig)]
        created = subprocess.run(
            [*kubectl, "create", "-f", "-"],
            input=manifest,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert created.returncode == 0, created.stderr
        status = subprocess.run(
            [*kubectl, "rollout", "status", "deployment/api", "--timeout=60s"],
            capture_output=True,
            text=True,
            timeout=90,
        )
        assert status.returncode == 0, status.stderr
        assert status.stdout.strip().endswith('deployment "api" successfully rolled out')
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=15)
    assert code == 0


def test_ctrl_c_stops_it_and_removes_the_kubeconfig_it_wrote(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "sim.kubeconfig"
    proc = subprocess.Popen(
        [sys.executable, "-m", "commands.cli", "sim", "--kubeconfig", str(kubeconfig)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("Simulated cluster serving at")
        assert kubeconfig.exists()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out + err
    assert "Traceback" not in err, err
    assert f"its kubeconfig {kubeconfig} is removed" in out
    assert not kubeconfig.exists()
