"""Nothing is said twice in Slack: a pod's trouble once per thread, and a build that is
already being deployed is not refused in the name of its own release."""

from __future__ import annotations

import re
from collections import Counter

from bot.kube.sim.behaviour import PodBehaviour
from storage.models import ReleaseKind, ReleaseState
from tests.e2e.conftest import Stack
from tests.workflow.harness import build, digest

TROUBLE = re.compile(r"Pod `([^`]+)` is in trouble: \*([^*]+)\*")


def test_a_bad_images_pod_trouble_is_told_once_in_its_thread_though_the_rollback_sees_it_too(
    stack: Stack,
) -> None:
    assert stack.build_hook("1.0.1", 1).status_code == 202
    stack.settle()
    stack.sim.cluster.images.set(f"*@{digest(2)}", PodBehaviour.bad_image())
    # the rollback's pods are slow, so it watches the bad pod go on failing for a while
    stack.sim.cluster.images.set(f"*@{digest(1)}", PodBehaviour.ready(after=20))
    assert stack.build_hook("1.0.2", 2).status_code == 202
    stack.settle()
    failed = next(r for r in stack.bot.workflow.history("api", "staging") if r.version == "1.0.2")
    assert failed.state is ReleaseState.ROLLED_BACK
    rollback = stack.bot.workflow.history("api", "staging", limit=1)[0]
    assert rollback.kind is ReleaseKind.ROLLBACK and rollback.state is ReleaseState.SUCCEEDED
    # each message carries its text twice (blocks and fallback): count messages, not matches
    told = Counter(
        found for line in stack.thread_texts(failed) for found in set(TROUBLE.findall(line))
    )
    assert "ImagePullBackOff" in {reason for _, reason in told}, told
    assert [key for key, count in told.items() if count > 1] == [], told


def test_a_build_already_being_deployed_is_not_refused_in_the_name_of_its_own_release(
    stack: Stack,
) -> None:
    """CI's retry reached this bot while the first attempt was still being handled: the
    second handling finds the build's own release holding staging and says nothing about
    it, instead of ':no_entry: not deployed ... held by release X' with X that very build."""
    stack.sim.cluster.images.set(f"*@{digest(3)}", PodBehaviour.ready(after=30))
    assert stack.build_hook("1.0.3", 3).status_code == 202
    release = stack.until(
        lambda: [r for r in stack.bot.workflow.history("api", "staging") if r.version == "1.0.3"]
    )[0]
    stack.bot.workflow.announce_build(build("1.0.3", 3))
    stack.settle()
    refusals = [m.text or "" for m in stack.slack.messages if ":no_entry:" in (m.text or "")]
    assert [t for t in refusals if str(release.id) in t] == [], refusals
    assert stack.bot.workflow.release(release.id).state is ReleaseState.SUCCEEDED
