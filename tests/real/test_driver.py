"""The driver on both backends: what it reports about pods while a rollout fails, and a
change made outside the bot. The pod states come from the sim's kubelet on one backend and
from the control plane's pod agent on the other, with the same knobs; the rollout verdicts
come from the sim's controller and from the real one."""

from __future__ import annotations

from typing import Any

import pytest

from bot.kube.models import ExternalChange, PodChanged, RolloutEvent, RolloutFailed
from bot.kube.sim.behaviour import PodBehaviour
from tests.real.backends import REPO, Backend


def failing_rollout(backend: Backend, image: str, behaviour: PodBehaviour) -> list[RolloutEvent]:
    backend.set_image(f"{REPO}:*", PodBehaviour.ready(after=0.2))
    backend.set_image(image, behaviour)
    spec: dict[str, Any] = {"max_surge": 1, "max_unavailable": 0, "progress_deadline_seconds": 4}
    backend.create("web", image=f"{REPO}:1", replicas=2, **spec)
    backend.settle("web")
    driver = backend.driver()
    try:
        driver.deploy("web", image=image, change_cause="bad", release_id="r-bad")
        return list(driver.watch_rollout("web", timeout=60))
    finally:
        driver.close()


def reasons(events: list[RolloutEvent]) -> list[str]:
    seen: list[str] = []
    for e in events:
        if isinstance(e, PodChanged) and e.waiting_reason and e.waiting_reason not in seen:
            seen.append(e.waiting_reason)
    return seen


def test_a_bad_image_shows_its_pull_errors_then_fails_at_the_deadline(backend: Backend) -> None:
    image = f"{REPO}:missing"
    events = failing_rollout(backend, image, PodBehaviour.bad_image())
    assert reasons(events)[-2:] == ["ErrImagePull", "ImagePullBackOff"]
    assert isinstance(events[-1], RolloutFailed)
    assert events[-1].message == 'deployment "web" exceeded its progress deadline'


def test_a_crash_loop_shows_restarts_then_fails_at_the_deadline(backend: Backend) -> None:
    image = f"{REPO}:crashes"
    events = failing_rollout(backend, image, PodBehaviour.crash_loop(run_for=0.3, start_after=0.2))
    assert "CrashLoopBackOff" in reasons(events)
    restarts = [e.restarts for e in events if isinstance(e, PodChanged)]
    assert max(restarts) >= 1
    assert isinstance(events[-1], RolloutFailed)


def test_a_change_by_hand_is_noticed(backend: Backend) -> None:
    backend.set_image(f"{REPO}:*", PodBehaviour.ready(after=0.2))
    backend.create("web", image=f"{REPO}:1", replicas=1)
    backend.settle("web")
    driver = backend.driver()
    try:
        changes = driver.external_changes(["web"])
        result = backend.kubectl("set", "image", "deployment/web", f"web={REPO}:7")
        assert result.returncode == 0, result.stderr
        seen = next(changes)
        assert isinstance(seen, ExternalChange)
        assert (seen.old_image, seen.new_image) == (f"{REPO}:1", f"{REPO}:7")
    finally:
        driver.close()


@pytest.fixture(autouse=True)
def _kubectl_present() -> None:
    from tests.conftest import KUBECTL

    if not KUBECTL.exists():
        pytest.skip(f"kubectl is not installed at {KUBECTL}; run `uv sync`")
