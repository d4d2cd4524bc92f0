"""A benchmark prints figures only for the scenario it describes: run as a person runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def bench(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def test_slack_calls_are_counted_for_a_release_that_succeeded() -> None:
    done = bench("slack_calls_per_release.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("release succeeded: api 1.0.1 → production, 10 replicas")
    assert "chat.update" in done.stdout  # the thread's parent followed the rollout


def test_many_rollouts_prints_no_figures_when_a_rollout_did_not_succeed() -> None:
    # followed for a millisecond, no rollout can be seen to succeed
    done = bench(
        "many_rollouts.py", "--namespaces", "1", "--per-namespace", "2", "--watch-timeout", "0.001"
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "many_rollouts: 0/2 rollouts succeeded (not succeeded: team0/svc0, team0/svc1)" in (
        done.stderr
    )
    assert "ratio" not in done.stdout and "CPU:" not in done.stdout
