"""How simulated containers behave, chosen by image: the knob tests and demos turn.

A container's state is a pure function of its behaviour, when its pod was scheduled and
the current time. The kubelet therefore keeps no per-container memory, any instant can be
computed directly, and the next moment the state changes is known exactly (the cluster's
``next_wake``).
"""

from __future__ import annotations

import fnmatch
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from bot.kube.sim.meta import format_time
from bot.kube.sim.store import Obj

Kind = Literal["ready", "unready", "pull_error", "crash_loop"]

BACKOFF_INITIAL = 10.0
BACKOFF_MAX = 300.0


@dataclass(frozen=True)
class PodBehaviour:
    """What a container running an image does once its pod is scheduled.

    ``ready``: runs after ``start_after`` seconds, Ready after ``ready_after``.
    ``unready``: runs but its readiness probe never passes.
    ``pull_error``: never starts; ErrImagePull then ImagePullBackOff, retried with back-off.
    ``crash_loop``: runs ``run_for`` seconds, exits 1, restarts with back-off
    (CrashLoopBackOff, restartCount rising).
    """

    kind: Kind = "ready"
    ready_after: float = 2.0
    start_after: float = 1.0
    run_for: float = 1.0
    message: str = ""

    @classmethod
    def ready(cls, after: float = 2.0) -> PodBehaviour:
        return cls("ready", ready_after=after, start_after=min(1.0, after))

    @classmethod
    def unready(cls, start_after: float = 1.0) -> PodBehaviour:
        return cls("unready", start_after=start_after)

    @classmethod
    def bad_image(cls, message: str = "") -> PodBehaviour:
        return cls("pull_error", message=message)

    @classmethod
    def crash_loop(cls, run_for: float = 1.0, start_after: float = 1.0) -> PodBehaviour:
        return cls("crash_loop", run_for=run_for, start_after=start_after)


@dataclass
class ImageBehaviours:
    """Behaviour by image: exact names win, then fnmatch patterns (latest set first)."""

    default: PodBehaviour = field(default_factory=PodBehaviour)
    _exact: dict[str, PodBehaviour] = field(default_factory=dict)
    _patterns: list[tuple[str, PodBehaviour]] = field(default_factory=list)

    def set(self, pattern: str, behaviour: PodBehaviour) -> None:
        if any(ch in pattern for ch in "*?["):
            self._patterns = [(p, b) for p, b in self._patterns if p != pattern]
            self._patterns.insert(0, (pattern, behaviour))
        else:
            self._exact[pattern] = behaviour

    def clear(self) -> None:
        self._exact.clear()
        self._patterns.clear()

    def for_image(self, image: str) -> PodBehaviour:
        if image in self._exact:
            return self._exact[image]
        for pattern, behaviour in self._patterns:
            if fnmatch.fnmatchcase(image, pattern):
                return behaviour
        return self.default


@dataclass
class ContainerView:
    """One container at one instant, and when that will next change."""

    status: Obj
    ready_since: datetime | None
    started: bool
    next_change: datetime | None


def _backoff(attempt: int) -> float:
    return min(BACKOFF_INITIAL * float(2**attempt), BACKOFF_MAX)


def _waiting(name: str, image: str, reason: str, message: str = "") -> Obj:
    state: Obj = {"reason": reason}
    if message:
        state["message"] = message
    return {
        "name": name,
        "image": image,
        "imageID": "",
        "ready": False,
        "started": False,
        "restartCount": 0,
        "state": {"waiting": state},
        "lastState": {},
    }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _container_id(pod_uid: str, name: str, attempt: int) -> str:
    return f"containerd://{_digest(f'{pod_uid}/{name}/{attempt}')}"


def container_view(
    behaviour: PodBehaviour,
    container: Obj,
    pod: Obj,
    scheduled: datetime,
    now: datetime,
) -> ContainerView:
    name, image = container.get("name", ""), container.get("image", "")
    meta = pod["metadata"]
    start = scheduled + timedelta(seconds=behaviour.start_after)
    if now < start:
        return ContainerView(_waiting(name, image, "ContainerCreating"), None, False, start)
    if behaviour.kind == "pull_error":
        return _pull_error(behaviour, name, image, start, now)
    if behaviour.kind == "crash_loop":
        pod_ref = f"{meta['name']}_{meta.get('namespace', '')}({meta.get('uid', '')})"
        return _crash_loop(behaviour, name, image, pod_ref, meta.get("uid", ""), start, now)
    status = _running(name, image, meta.get("uid", ""), 0, start)
    if behaviour.kind == "unready":
        return ContainerView(status, None, True, None)
    ready_at = max(start, scheduled + timedelta(seconds=behaviour.ready_after))
    if now < ready_at:
        return ContainerView(status, None, True, ready_at)
    status["ready"] = True
    return ContainerView(status, ready_at, True, None)


def _running(name: str, image: str, pod_uid: str, restarts: int, since: datetime) -> Obj:
    return {
        "name": name,
        "image": image,
        "imageID": f"{image.split('@')[0].rsplit(':', 1)[0]}@sha256:{_digest(image)}",
        "containerID": _container_id(pod_uid, name, restarts),
        "ready": False,
        "started": True,
        "restartCount": restarts,
        "state": {"running": {"startedAt": format_time(since)}},
        "lastState": {},
    }


def _pull_error(
    behaviour: PodBehaviour, name: str, image: str, start: datetime, now: datetime
) -> ContainerView:
    pull_message = behaviour.message or (
        f'rpc error: code = NotFound desc = failed to pull and unpack image "{image}": '
        f'failed to resolve reference "{image}": not found'
    )
    attempt = 0
    attempt_at = start
    while True:
        backoff_at = attempt_at + timedelta(seconds=1)
        if now < backoff_at:
            status = _waiting(name, image, "ErrImagePull", pull_message)
            return ContainerView(status, None, False, backoff_at)
        retry_at = backoff_at + timedelta(seconds=_backoff(attempt))
        if now < retry_at:
            message = f'Back-off pulling image "{image}"'
            status = _waiting(name, image, "ImagePullBackOff", message)
            return ContainerView(status, None, False, retry_at)
        attempt += 1
        attempt_at = retry_at


def _crash_loop(
    behaviour: PodBehaviour,
    name: str,
    image: str,
    pod_ref: str,
    pod_uid: str,
    start: datetime,
    now: datetime,
) -> ContainerView:
    restarts = 0
    run_start = start
    last: Obj = {}
    while True:
        run_end = run_start + timedelta(seconds=behaviour.run_for)
        if now < run_end:
            status = _running(name, image, pod_uid, restarts, run_start)
            status["lastState"] = last
            return ContainerView(status, None, True, run_end)
        last = {
            "terminated": {
                "exitCode": 1,
                "reason": "Error",
                "startedAt": format_time(run_start),
                "finishedAt": format_time(run_end),
                "containerID": _container_id(pod_uid, name, restarts),
            }
        }
        delay = _backoff(restarts)
        restarts += 1
        next_start = run_end + timedelta(seconds=delay)
        if now < next_start:
            message = f"back-off {int(delay)}s restarting failed container={name} pod={pod_ref}"
            status = _waiting(name, image, "CrashLoopBackOff", message)
            status.update(
                restartCount=restarts,
                lastState=last,
                started=False,
                imageID=_running(name, image, pod_uid, 0, run_start)["imageID"],
            )
            return ContainerView(status, None, False, next_start)
        run_start = next_start
