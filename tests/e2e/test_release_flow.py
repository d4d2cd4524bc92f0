"""The whole release flow end to end, over HTTP, on SQLite and on PostgreSQL.

CI's signed build hook → announcement in the service channel and a continuous deployment to
staging → /deploy to production → approvals (the requester refused, a double click counted
once, a ✅ reaction by a member of an approvers' user group) → one thread whose parent is
edited to the final state → success in the cluster. Then a request that expires, a bad image
that misses its progress deadline and is rolled back by itself, and /rollback to a version.
Slack's rate tiers are on in the stand-in: the whole flow must cause no 429.
"""

from __future__ import annotations

import json

from bot.kube.sim.behaviour import PodBehaviour
from bot.kube.sim.resources import DEPLOYMENTS
from bot.slack import actions
from bot.workflow.model import ReleaseView
from storage.models import ReleaseKind, ReleaseState
from tests.e2e.conftest import ALICE, CAROL, CHANNEL, REQUESTER, Stack
from tests.workflow.harness import image


def running_image(stack: Stack, namespace: str) -> str:
    deployment = stack.sim.cluster.store.get(DEPLOYMENTS, namespace, "api")
    return str(deployment["spec"]["template"]["spec"]["containers"][0]["image"])


def latest(stack: Stack, environment: str) -> ReleaseView:
    return stack.bot.workflow.history("api", environment, limit=1)[0]


def test_build_to_production_with_approvals(stack: Stack) -> None:
    # CI announces 1.0.1: posted with a Deploy button; staging (policy auto) deploys by itself
    assert stack.build_hook("1.0.1", 1).status_code == 202
    announcement = stack.until(
        lambda: [m for m in stack.slack.messages if "1.0.1" in str(m.blocks)]
    )
    assert announcement[0].channel == CHANNEL
    assert actions.deploy_action_id("production") in str(announcement[0].blocks)
    stack.settle()
    staging = latest(stack, "staging")
    assert staging.state is ReleaseState.SUCCEEDED
    assert running_image(stack, "default") == image(1)

    # /deploy to production, sent twice (Slack retried it): one release, one reply
    for retry in (None, "1"):
        text = "api 1.0.1 to production because spring sale"
        stack.command(REQUESTER, "/deploy", text, trigger="77.1.e2e", retry=retry)
    release = stack.until(lambda: [r for r in stack.bot.workflow.pending() if r.thread_ts])[0]
    assert release.state is ReleaseState.AWAITING_APPROVAL
    assert release.reason == "spring sale"
    assert len(stack.until(lambda: stack.ephemeral_to(REQUESTER))) == 1
    assert "Approve" in stack.parent_text(release)

    # the requester may not approve; Alice double-clicks; Carol (in @release-managers) reacts ✅
    value = actions.release_value(release.id)
    stack.click(REQUESTER, actions.APPROVE, value)
    assert stack.until(lambda: len(stack.ephemeral_to(REQUESTER)) == 2)
    assert stack.bot.workflow.release(release.id).approvals == ()
    stack.click(ALICE, actions.APPROVE, value)
    stack.click(ALICE, actions.APPROVE, value)
    stack.until(lambda: stack.bot.workflow.release(release.id).approvals == (ALICE,))
    stack.react(CAROL, release)
    stack.until(
        lambda: stack.bot.workflow.release(release.id).state is not ReleaseState.AWAITING_APPROVAL
    )

    stack.settle()
    done = stack.bot.workflow.release(release.id)
    assert done.state is ReleaseState.SUCCEEDED
    assert sorted(done.approvals) == sorted([ALICE, CAROL])
    assert running_image(stack, "apps") == image(1)
    assert done.revision_after is not None and done.revision_after > (done.revision_before or 0)
    assert ":white_check_mark: Succeeded" in stack.parent_text(done)
    thread = " ".join(stack.thread_texts(done))
    assert ALICE in thread and CAROL in thread
    stack.assert_no_429()
    # one thread: every message about the release is the parent or a reply to it
    about = [m for m in stack.slack.messages if str(release.id) in str(m.blocks) + (m.text or "")]
    assert all(m.ts == done.thread_ts or m.thread_ts == done.thread_ts for m in about)


def test_a_request_expires_and_a_bad_image_rolls_back(stack: Stack) -> None:
    assert stack.build_hook("1.0.1", 1).status_code == 202
    stack.settle()
    stack.command(REQUESTER, "/deploy", "api 1.0.1 production")
    pending = stack.until(lambda: [r for r in stack.bot.workflow.pending() if r.thread_ts])[0]
    stack.clock.advance(31 * 60)
    expired = stack.bot.workflow.expire_due()
    assert [r.id for r in expired] == [pending.id]
    stack.settle()
    assert stack.bot.workflow.release(pending.id).state is ReleaseState.EXPIRED
    assert "Expired" in stack.parent_text(stack.bot.workflow.release(pending.id))
    assert running_image(stack, "apps") == image(15)  # nothing was deployed

    # 1.0.2 never pulls: staging's rollout misses its deadline and is rolled back by itself
    stack.sim.cluster.images.set("*@sha256:" + "2" * 64, PodBehaviour.bad_image())
    assert stack.build_hook("1.0.2", 2).status_code == 202
    stack.settle()
    failed = next(r for r in stack.bot.workflow.history("api", "staging") if r.version == "1.0.2")
    assert failed.state is ReleaseState.ROLLED_BACK
    assert running_image(stack, "default") == image(1)
    assert "Rolled back" in stack.parent_text(failed)
    # the automatic rollback reports in the failed release's thread and never takes over its
    # message: every edit of that message shows the release of 1.0.2
    edits = [
        json.dumps(c.args.get("blocks")) + str(c.args.get("text"))
        for c in stack.slack.calls("chat.update")
        if c.args.get("ts") == failed.thread_ts
    ]
    assert edits and not [e for e in edits if "Rollback of" in e], edits
    assert any("Rollback" in t or "rollback" in t for t in stack.thread_texts(failed)[1:])
    stack.assert_no_429()


def test_rollback_to_a_version(stack: Stack) -> None:
    for version, n in (("1.0.1", 1), ("1.0.2", 2)):
        assert stack.build_hook(version, n).status_code == 202
        stack.settle()
    assert running_image(stack, "default") == image(2)
    stack.command(ALICE, "/rollback", "api staging to 1.0.1")
    stack.until(lambda: latest(stack, "staging").kind is ReleaseKind.ROLLBACK)
    stack.settle()
    rollback = latest(stack, "staging")
    assert rollback.state is ReleaseState.SUCCEEDED
    assert running_image(stack, "default") == image(1)
    stack.assert_no_429()
