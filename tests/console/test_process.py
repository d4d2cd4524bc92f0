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
    out, took = run_script("/build web 2.0.0\n", "--db", str(db))  # staging starts rolling
    assert "CI announces web 2.0.0" in out
    assert f"The database stays in {db}" in out
    assert took < 15, out
    with sqlite3.connect(db) as conn:
        builds = conn.execute("SELECT service, version FROM builds").fetchall()
    assert ("web", "2.0.0") in builds

    again, _ = run_script("/releases history web staging\nwait\n", "--db", str(db))
    assert "Last releases of web in staging" in again
    assert "2.0.0" in again.split("Last releases of web in staging", 1)[1]


def test_ctrl_c_stops_it_cleanly() -> None:
    proc = subprocess.Popen(
        DEMO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        seen = []
        for line in proc.stdout:
            seen.append(line)
            if line.startswith("Type help for everything"):
                break
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, "".join(seen) + rest + err
    assert rest.rstrip().endswith("Stopped; nothing is left running."), rest + err
