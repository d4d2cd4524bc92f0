"""`releasebot demo` in a terminal (a pseudo-terminal here): the prompt, and Ctrl-C at it."""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time

from tests.console.test_process import DEMO, ROOT

STOPPED = b"Stopped; nothing is left running."


def read_until(fd: int, wanted: bytes, timeout: float) -> bytes:
    """What the terminal showed until ``wanted`` appeared (or the child closed it)."""
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    return seen


def test_ctrl_c_at_the_prompt_stops_with_no_prompt_after_stopped() -> None:
    pid, fd = pty.fork()
    if pid == 0:  # the child: the demo, with this terminal as its controlling terminal
        os.chdir(ROOT)
        os.execv(sys.executable, DEMO)
    status: int | None = None
    try:
        shown = read_until(fd, b"dana> ", timeout=120)
        assert b"dana> " in shown, shown
        os.write(fd, b"\x03")  # Ctrl-C, as the terminal sends it
        shown += read_until(fd, STOPPED, timeout=60)
        _, status = os.waitpid(pid, 0)
        shown += read_until(fd, b"\x00", timeout=5)  # the rest, up to the terminal's close
    finally:
        if status is None:  # not reaped: it hangs, so it is ours to stop
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, shown
    assert STOPPED in shown, shown
    after = shown.split(STOPPED, 1)[1]
    assert after.strip() == b"", shown[-300:]
