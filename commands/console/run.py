"""The console's loop: read a line, act on it, until ``quit``, end of input or Ctrl-C."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import httpx

from commands.console import messages, sample
from commands.console.session import Console, Output
from commands.console.stack import DemoUnavailable, running_demo

QUIT = frozenset({"quit", "exit"})


def run_demo(
    *,
    db: Path | None = None,
    fast: bool = False,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Run the demo until the input ends; returns the process's exit code (0 when stopped)."""
    source = stdin if stdin is not None else sys.stdin
    interactive = stdin is None and stdout is None and sys.stdin.isatty() and sys.stdout.isatty()
    out = Output(
        stdout if stdout is not None else sys.stdout,
        typed=_line_editing() if interactive else None,
    )
    speed = sample.FAST if fast else sample.NORMAL
    out.say(messages.STARTING)
    try:
        with running_demo(db=db, speed=speed) as demo:
            try:
                console = Console(demo, out)
                demo.slack.watch(console.on_message)
                out.say(
                    messages.BANNER.format(
                        channel=sample.CHANNEL_NAME,
                        services=", ".join(sample.SERVICES),
                        group=sample.RELEASE_MANAGERS,
                        you=console.user.name,
                        people=", ".join(p.name for p in sample.PEOPLE),
                        cluster_url=demo.sim.url,
                        kubeconfig=demo.sim.kubeconfig,
                        database=demo.database,
                    )
                )
                _loop(console, source, out, interactive=interactive)
            except KeyboardInterrupt:
                out.say("")
            # Ctrl-C at the prompt leaves it marked as shown; what is printed while stopping
            # would draw it again after "Stopped"
            out.waiting_at(None)
            _ignore_interrupts()
            out.say(messages.STOPPING)
        if db is not None:
            out.say(messages.DATABASE_KEPT.format(path=db))
        out.say(messages.STOPPED)
    except DemoUnavailable as err:
        print(messages.FAILED.format(error=err), file=sys.stderr)
        return 1
    finally:
        _restore_interrupts()
    return 0


def _loop(console: Console, source: TextIO, out: Output, *, interactive: bool) -> None:
    while True:
        if interactive:
            prompt = console.prompt()
            out.waiting_at(prompt)
            try:
                line = input(prompt)
            except EOFError:
                out.waiting_at(None)
                out.say("")
                return
            out.waiting_at(None)
        else:
            line = source.readline()
            if not line:
                return
            line = line.rstrip("\n")
            if line.strip() and not line.lstrip().startswith("#"):
                out.say(console.prompt() + line.strip())
        if line.strip().lower() in QUIT:
            return
        try:
            console.execute(line)
        except httpx.HTTPError as err:
            out.say(messages.UNREACHABLE.format(error=err))


def _line_editing() -> Callable[[], str]:
    """Arrow keys and history at the prompt where the platform has readline."""
    try:
        import readline
    except ImportError:
        return lambda: ""
    return readline.get_line_buffer


def _ignore_interrupts() -> None:
    """A second Ctrl-C while everything stops would leave threads half stopped."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _restore_interrupts() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
