"""A break-glass deploy over HTTP, as serve assembles it, on SQLite and on PostgreSQL.

Signed /deploy with `break-glass because <reason>` → a 🚨 request in the service channel that
names the requester, the reason and the break-glass approvers → the usual approver and the
requester are refused privately → one click by a member of the break-glass user group →
rollout, its start broadcast to the channel → success in the cluster, audited with the reason.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session

from bot.slack import actions
from storage.audit import events_for_release
from storage.engine import make_engine
from storage.models import ReleaseState
from tests.e2e.conftest import ALICE, CHANNEL, REQUESTER, Stack
from tests.e2e.test_release_flow import running_image
from tests.workflow.harness import CONFIG_YAML, image

OLIVE = "U0OLIVE"  # in the @oncall user group
REASON = "checkout returns 500 for everyone"


@pytest.fixture
def config_yaml() -> str:
    return CONFIG_YAML.replace(
        "    promote_from: staging\n",
        '    break_glass: {required: 1, approvers: [U0DAVEY, "@oncall"]}\n'
        "    promote_from: staging\n",
    )


def test_break_glass_is_announced_co_signed_and_rolled_out(stack: Stack, database_url: str) -> None:
    stack.slack.set_usergroup("S0ONCALL", [OLIVE], handle="oncall")
    assert stack.build_hook("1.0.1", 1).status_code == 202
    stack.settle()

    # without a reason: refused privately, with a correct example, and nothing is requested
    stack.command(REQUESTER, "/deploy", "api 1.0.1 to production break-glass")
    [refusal] = stack.until(lambda: stack.ephemeral_to(REQUESTER))
    assert "needs a reason" in refusal
    assert "break-glass because checkout is down" in refusal
    assert stack.bot.workflow.pending() == []

    stack.command(REQUESTER, "/deploy", f"api 1.0.1 to production break-glass because {REASON}")
    release = stack.until(lambda: [r for r in stack.bot.workflow.pending() if r.thread_ts])[0]
    assert release.break_glass and release.reason == REASON
    assert release.state is ReleaseState.AWAITING_APPROVAL and release.required_approvals == 1
    replies = stack.until(lambda: stack.ephemeral_to(REQUESTER)[1:])
    assert replies[0].startswith(":rotating_light: Break-glass deploy of *api 1.0.1*")

    # announced in the service channel, not privately
    parent = stack.slack.message(release.channel, release.thread_ts or "")
    assert parent.channel == CHANNEL and parent.thread_ts is None
    shown = stack.parent_text(release)
    for part in (":rotating_light: *BREAK-GLASS*", f"<@{REQUESTER}>", REASON, "<@U0DAVEY>"):
        assert part in shown, part
    assert "`@oncall`" in shown and f"<@{ALICE}>" not in shown

    # the usual approver and the requester do not count; a break-glass group member does
    value = actions.release_value(release.id)
    stack.click(ALICE, actions.APPROVE, value)
    refused = stack.until(lambda: stack.ephemeral_to(ALICE))
    assert "not one of its break-glass approvers" in refused[0]
    stack.click(REQUESTER, actions.APPROVE, value)
    assert stack.until(
        lambda: any(
            "not even as a break-glass co-signer" in t for t in stack.ephemeral_to(REQUESTER)
        )
    )
    assert stack.bot.workflow.release(release.id).approvals == ()
    stack.click(OLIVE, actions.APPROVE, value)
    stack.until(
        lambda: stack.bot.workflow.release(release.id).state is not ReleaseState.AWAITING_APPROVAL
    )

    stack.settle()
    done = stack.bot.workflow.release(release.id)
    assert done.state is ReleaseState.SUCCEEDED and done.approvals == (OLIVE,)
    assert running_image(stack, "apps") == image(1)
    assert ":white_check_mark: Succeeded" in stack.parent_text(done)
    started = [
        c.args
        for c in stack.slack.calls("chat.postMessage")
        if c.status == 200 and "rollout of *api*" in str(c.args.get("text"))
    ]
    assert len(started) == 1
    assert started[0]["reply_broadcast"] is True and started[0]["thread_ts"] == done.thread_ts
    assert REASON in started[0]["text"] and f"<@{REQUESTER}>" in started[0]["text"]
    stack.assert_no_429()

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            events = events_for_release(session=session, release_id=release.id)
    finally:
        engine.dispose()
    assert [e.action for e in events][-1] == "rollout_succeeded"
    assert all(e.break_glass_reason == REASON and e.details["break_glass"] for e in events)
