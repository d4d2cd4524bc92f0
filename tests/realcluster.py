"""The real Kubernetes control plane of tests/controlplane/, run for a test session.

The sim is our reading of the deployment controller; this one is the controller itself (the
Kubernetes Go modules, built by ``.ci/controlplane``), so a test that passes on both proves
the sim faithful. It runs on real time: tests wait for it with :func:`tests.waiting.wait_until`
and keep delays short.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

from kubernetes import client, config
from kubernetes.client.rest import ApiException

from bot.kube.sim.behaviour import PodBehaviour

ROOT = Path(__file__).resolve().parent.parent
BINARY = ROOT / "tests" / "controlplane" / "bin" / "controlplane"
BUILD = ROOT / ".ci" / "controlplane"
READY = "controlplane ready"
BEHAVIOURS = ("kube-system", "releasebot-pod-behaviours")
START_TIMEOUT = 120.0
_names = itertools.count(1)


def missing_reason() -> str | None:
    """Why the real control plane cannot run here, or None when it can."""
    if BINARY.exists():
        return None
    if shutil.which("go") is None and not Path("/usr/local/go/bin/go").exists():
        return (
            "the real control plane needs Go to build it (https://go.dev/dl/); "
            f"then run `bash {BUILD.relative_to(ROOT)}`"
        )
    return f"the real control plane is not built: run `bash {BUILD.relative_to(ROOT)}`"


@dataclass
class ControlPlane:
    """A running control plane: its admin kubeconfig, and a client to set scenes with."""

    kubeconfig: Path
    url: str
    context: str
    api: client.ApiClient
    startup: float
    tmpdir: Path
    _patterns: list[tuple[str, PodBehaviour]] = field(default_factory=list)
    _exact: dict[str, PodBehaviour] = field(default_factory=dict)

    def new_namespace(self, prefix: str = "rt") -> str:
        """A fresh namespace per test: the session's cluster is shared, and the namespace
        controller does not run, so namespaces are never reused nor deleted."""
        name = f"{prefix}-{os.getpid()}-{next(_names)}"
        body = {"metadata": {"name": name}}
        client.CoreV1Api(self.api).create_namespace(body)
        return name

    def set_image(self, pattern: str, behaviour: PodBehaviour) -> None:
        """Like the sim's ``images.set``: exact names win, then globs, latest set first."""
        if any(ch in pattern for ch in "*?["):
            self._patterns = [(p, b) for p, b in self._patterns if p != pattern]
            self._patterns.insert(0, (pattern, behaviour))
        else:
            self._exact[pattern] = behaviour
        self._write_behaviours()

    def clear_images(self) -> None:
        self._patterns.clear()
        self._exact.clear()
        self._write_behaviours()

    def _write_behaviours(self) -> None:
        doc = {
            "exact": {image: asdict(b) for image, b in self._exact.items()},
            "patterns": [[p, asdict(b)] for p, b in self._patterns],
        }
        namespace, name = BEHAVIOURS
        body = {"metadata": {"name": name}, "data": {"behaviours": json.dumps(doc)}}
        core = client.CoreV1Api(self.api)
        try:
            core.replace_namespaced_config_map(name, namespace, body)
        except ApiException as err:
            if err.status != 404:
                raise
            core.create_namespaced_config_map(namespace, body)


def _read_lines(stream: IO[str], sink: queue.Queue[str]) -> None:
    for line in stream:
        sink.put(line.rstrip("\n"))


@contextmanager
def run_control_plane(workdir: Path, *, context: str = "real") -> Iterator[ControlPlane]:
    """Start the binary, wait for its ready line, and stop it with SIGTERM at the end."""
    kubeconfig = workdir / "kubeconfig"
    with open(workdir / "controlplane.log", "w") as log:
        proc = subprocess.Popen(
            [str(BINARY), "--kubeconfig", str(kubeconfig), "--context", context],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    threading.Thread(target=_read_lines, args=(proc.stdout, lines), daemon=True).start()
    try:
        ready = _await_ready(proc, lines, workdir)
        fields = dict(part.split("=", 1) for part in ready.split()[2:])
        api = config.new_client_from_config(config_file=str(kubeconfig), context=context)
        try:
            yield ControlPlane(
                kubeconfig=kubeconfig,
                url=fields["url"],
                context=context,
                api=api,
                startup=float(fields["startup"].rstrip("s")),
                tmpdir=Path(fields.get("dir", "")),
            )
        finally:
            api.close()  # type: ignore[no-untyped-call]
    finally:
        stop(proc)


def _await_ready(proc: subprocess.Popen[str], lines: queue.Queue[str], workdir: Path) -> str:
    try:
        while True:
            line = lines.get(timeout=START_TIMEOUT)
            if line.startswith(READY):
                return line
    except queue.Empty:
        pass
    log = (workdir / "controlplane.log").read_text()[-4000:]
    raise RuntimeError(
        f"the control plane printed no ready line in {START_TIMEOUT:g} s "
        f"(exit code {proc.poll()}); its log ends:\n{log}"
    )


def stop(proc: subprocess.Popen[str], timeout: float = 60) -> int:
    """SIGTERM, as a supervisor would; the program removes its own temporary folder."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode
