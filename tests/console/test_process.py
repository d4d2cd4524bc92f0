"""`releasebot demo` as a process with its input piped: a script, end of input, Ctrl-C."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO = [sys.executable, "-m", "commands.cli", "demo", "--fast"]


def run_script(script: str, *extra: str, timeout: float = 60) -> tuple[str, float]:
    started = time.monotonic()
    done = subprocess.run(
        [*DEMO, *extra],
        input=script,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, time.monotonic() - started


def test_a_bad_image_fails_its_rollout_and_is_rolled_back_by_itself() -> None:
    out, took = run_script("break api\n/build api 1.4.4\nwait\n")
    assert "dana> break api" in out  # a piped script is echoed, so the transcript reads well
    assert "The next /build of api will be a bad image" in out
    assert "CI announces api 1.4.4, a bad image whose pods never start" in out
    assert "is in trouble: ErrImagePull" in out or "is in trouble: ImagePullBackOff" in out
    assert "exceeded its progress deadline" in out
    assert "↩️ Rolled back — Release of api `1.4.4` to staging" in out
    assert "↩️ Rolled back in" in out
    assert "(the bot is idle)" in out
    assert out.rstrip().endswith("Stopped; nothing is left running.")
    assert took < 30, out


def test_end_of_input_stops_mid_rollout_within_seconds_and_keeps_a_named_database(
    tmp_path: Path,
) -> None:
    db = tmp_path / "demo.db"
    proc = started("--db", str(db))
    try:
        sent = time.monotonic()
        # the build, then the end of input while staging is rolling it out
        out, err = proc.communicate("/build web 2.0.0\n", timeout=15)
        took = time.monotonic() - sent
    finally:
        stop(proc)
    assert proc.returncode == 0, out + err
    assert "CI announces web 2.0.0" in out
    assert f"The database stays in {db}" in out
    assert out.rstrip().endswith("Stopped; nothing is left running.")
    assert took < 5, out
    with sqlite3.connect(db) as conn:
        builds = conn.execute("SELECT service, version FROM builds").fetchall()
    assert ("web", "2.0.0") in builds

    again, _ = run_script("/releases history web staging\nwait\n", "--db", str(db))
    assert "Last releases of web in staging" in again
    assert "2.0.0" in again.split("Last releases of web in staging", 1)[1]


def started(*extra: str) -> subprocess.Popen[str]:
    """The demo with its input on a pipe, once it has printed its banner."""
    proc = subprocess.Popen(
        [*DEMO, *extra],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("Type help for everything"):
            return proc
    stop(proc)
    raise AssertionError("the demo ended before it was ready")


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_ctrl_c_stops_it_cleanly() -> None:
    proc = started()
    try:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        stop(proc)
    assert proc.returncode == 0, out + err
    assert out.rstrip().endswith("Stopped; nothing is left running."), out + err
