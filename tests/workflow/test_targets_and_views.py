"""Image references as targets, the order of what /releases shows, message lookups, and an
approved release whose request deadline passes before its rollout starts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.kube.sim.serve import SimHandle
from bot.releases import STALLED_APPROVAL
from bot.workflow.errors import BadRequest, Conflict
from storage.claims import LocalClaims
from storage.models import ReleaseState, VoteDecision
from tests.workflow.harness import (
    ALICE,
    BOB,
    CONFIG_YAML,
    IMAGE_REPO,
    REQUESTER,
    Harness,
    HeldExecutor,
    build,
    digest,
    image,
    make_harness,
)


@pytest.fixture
def h(sim: SimHandle, tmp_path: Path) -> Iterator[Harness]:
    harness = make_harness(sim, tmp_path)
    harness.create_deployment()
    yield harness
    harness.close()


def test_an_image_with_a_digest_deploys_that_exact_artifact(h: Harness) -> None:
    view = h.workflow.request_deploy(
        actor=REQUESTER,
        service="api",
        environment="staging",
        target=f"{IMAGE_REPO}:2.0.0@{digest(3)}",
    )
    assert (view.version, view.digest) == ("2.0.0", digest(3))
    assert h.settle()
    container = h.deployment("default")["spec"]["template"]["spec"]["containers"][0]  # type: ignore[index]
    assert container["image"] == f"{IMAGE_REPO}@{digest(3)}"


def test_an_image_of_an_announced_build_takes_the_builds_version(h: Harness) -> None:
    h.workflow.announce_build(build("1.0.7", 7))
    assert h.settle()
    view = h.workflow.request_deploy(
        actor=REQUESTER, service="api", environment="staging", target=image(7)
    )
    assert (view.version, view.digest) == ("1.0.7", digest(7))


@pytest.mark.parametrize(
    ("target", "says"),
    [
        (f"{IMAGE_REPO}:2.0.0", "has no digest"),
        (f"registry.example.com/shop/other@{digest(3)}", "is not in api's repository"),
        (f"docker.io/library/api@{digest(3)}", "is not in api's repository"),
        ("registry.example.com/shop/API@sha256:abc", "invalid"),
        ("9.9.9", "was never announced by CI"),
    ],
)
def test_targets_that_are_refused_say_why_and_what_to_use(
    h: Harness, target: str, says: str
) -> None:
    with pytest.raises(BadRequest) as refused:
        h.workflow.request_deploy(
            actor=REQUESTER, service="api", environment="staging", target=target
        )
    assert says in refused.value.message
    assert h.workflow.pending() == []


def test_history_is_newest_first_and_pending_oldest_first(h: Harness) -> None:
    for n, version in enumerate(["1.0.1", "1.0.2", "1.0.3"], start=1):
        h.workflow.announce_build(build(version, n))
        assert h.settle()
        h.clock.advance(60)
    history = h.workflow.history("api", "staging")
    assert [v.version for v in history] == ["1.0.3", "1.0.2", "1.0.1"]
    assert [v.state for v in history] == [ReleaseState.SUCCEEDED] * 3

    first = h.workflow.request_deploy(
        actor=REQUESTER, service="api", environment="production", target="1.0.2"
    )
    h.clock.advance(60)
    second = h.workflow.request_deploy(
        actor=REQUESTER,
        service="web",
        environment="qa",
        target=f"registry.example.com/shop/web@{digest(9)}",
    )
    assert [v.id for v in h.workflow.pending()] == [first.id, second.id]
    assert h.workflow.history("api", "staging", limit=2)[-1].version == "1.0.2"


def test_a_message_leads_back_to_its_release_and_only_to_it(h: Harness) -> None:
    h.workflow.announce_build(build("1.0.1", 1))
    assert h.settle()
    view = h.workflow.request_deploy(
        actor=REQUESTER, service="api", environment="production", target="1.0.1"
    )
    h.workflow.remember_message(view.id, "C0APICHAN", "1700000000.000100")
    found = h.workflow.release_for_message("C0APICHAN", "1700000000.000100")
    assert found is not None and found.id == view.id
    assert h.workflow.release_for_message("C0APICHAN", "1700000000.000999") is None
    assert h.workflow.release_for_message("C0OTHER", "1700000000.000100") is None


def test_an_approved_release_still_rolls_out_when_its_request_deadline_passes_first(
    sim: SimHandle, tmp_path: Path
) -> None:
    """expire_after bounds the wait for votes, not the wait for a free runner."""
    held = HeldExecutor()
    h = make_harness(sim, tmp_path, executor=held)
    try:
        h.create_deployment()
        held.release()
        h.workflow.announce_build(build("1.0.1", 1))
        assert h.settle()
        held.hold()
        view = h.workflow.request_deploy(
            actor=REQUESTER, service="api", environment="production", target="1.0.1"
        )
        h.workflow.vote(actor=ALICE, release_id=view.id, decision=VoteDecision.APPROVE)
        h.workflow.vote(actor=BOB, release_id=view.id, decision=VoteDecision.APPROVE)
        [approved] = [v for v in h.workflow.pending() if v.id == view.id]
        assert approved.state is ReleaseState.APPROVED
        assert approved.expires_at is not None
        h.clock.advance(
            (approved.expires_at - h.clock.now() + timedelta(minutes=1)).total_seconds()
        )

        assert h.workflow.expire_due() == []
        held.release()
        assert h.settle()
        [done] = h.workflow.history("api", "production", limit=1)
        assert (done.id, done.state) == (view.id, ReleaseState.SUCCEEDED)
    finally:
        h.close()


def test_a_runner_without_the_releases_claim_leaves_it_to_the_holder(
    sim: SimHandle, tmp_path: Path
) -> None:
    claims = LocalClaims()
    h = make_harness(sim, tmp_path, claims=claims)
    try:
        h.create_deployment()
        h.workflow.announce_build(build("1.0.1", 1))
        assert h.settle()
        view = h.workflow.request_deploy(
            actor=REQUESTER, service="api", environment="production", target="1.0.1"
        )
        assert claims.try_claim(view.id)  # as if another runner followed it already
        h.workflow.vote(actor=ALICE, release_id=view.id, decision=VoteDecision.APPROVE)
        h.workflow.vote(actor=BOB, release_id=view.id, decision=VoteDecision.APPROVE)
        assert h.workflow.wait_idle(5)
        assert h.workflow.release(view.id).state is ReleaseState.APPROVED
        assert h.deployment()["metadata"]["generation"] == 1  # type: ignore[index]

        claims.free(view.id)  # its holder is gone: the leader's adopt job starts it
        h.clock.advance(STALLED_APPROVAL.total_seconds())
        h.workflow.resume(include_approved=False)
        assert h.settle()
        assert h.workflow.release(view.id).state is ReleaseState.SUCCEEDED
    finally:
        h.close()


def test_a_vote_for_approvers_the_configuration_dropped_says_how_to_go_on(
    sim: SimHandle, tmp_path: Path
) -> None:
    h = make_harness(sim, tmp_path)
    try:
        h.create_deployment()
        h.workflow.announce_build(build("1.0.1", 1))
        assert h.settle()
        view = h.workflow.request_deploy(
            actor=REQUESTER, service="api", environment="production", target="1.0.1"
        )
    finally:
        h.close()
    # releasebot restarts with production switched to `policy: manual` (no approvals)
    edited = re.sub(
        r"    policy: approval\n    approvals:\n(      .*\n)+", "    policy: manual\n", CONFIG_YAML
    )
    assert edited != CONFIG_YAML
    after = make_harness(sim, tmp_path, edited)
    try:
        with pytest.raises(Conflict) as refused:
            after.workflow.vote(actor=ALICE, release_id=view.id, decision=VoteDecision.APPROVE)
        assert "releasebot.yml no longer names" in refused.value.message
        assert "cancel this release and request it again" in refused.value.message
    finally:
        after.close()
