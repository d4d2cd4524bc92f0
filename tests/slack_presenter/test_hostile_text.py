"""Outside text in every field of every message kind reaches Slack as plain text.

Each event the workflow publishes is sent through the real presenter to the Slack stand-in
with ``HOSTILE`` in every field that comes from outside (a reason, CI's branch and changelog,
Kubernetes messages, pod names, images seen in the cluster); then every call's ``text`` and
blocks are checked: no entity but the mentions, dates and links the bot made itself, no
double escape, and the hostile text shown escaped.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from bot.slack.blocks import MAX_SECTION_TEXT, as_payload, home
from bot.slack.presenter import SlackPresenter
from bot.slack.standin.webapi import FakeSlackWebAPI
from bot.workflow.events import (
    ApprovalLapsed,
    AutoDeployBlocked,
    BuildAnnounced,
    Event,
    ExternalChange,
    PodTrouble,
    ReleaseDecided,
    ReleaseRequested,
    RolloutFinished,
    RolloutProgressed,
    RolloutStarted,
    VoteRecorded,
)
from bot.workflow.model import Actor, Running
from storage.models import ReleaseKind, ReleaseState
from tests.mrkdwn_check import HOSTILE, HOSTILE_ESCAPED, entity_problems, texts
from tests.slack_presenter.factories import CHANNEL, REQUESTER, build, progress, release, vote

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ALLOWED = [
    r"@U0REQ",  # the requester, a signed ID
    r"@U0BOSS",  # a configured approver
    r"!date\^\d+\^\{time\}\|[0-9:]+ UTC",
    r"https://ci\.example\.com/pipelines/42\|pipeline",
]


def hostile_release(state: ReleaseState, **changes: object) -> object:
    return release(
        state,
        reason=HOSTILE,
        error=HOSTILE,
        progress=progress(3, message=HOSTILE),
        expires_at=AT + timedelta(hours=1),
        started_at=AT,
        finished_at=AT + timedelta(minutes=2),
        votes=(vote("U0BOSS", AT),),
        **changes,
    )


def events() -> list[Event]:
    hostile_build = build(branch=HOSTILE, changelog=(HOSTILE, "plain line"))
    linkless = build(pipeline_url="https://ci.example.com/x|<!channel>", version="1.4.3")
    out: list[Event] = [
        BuildAnnounced(hostile_build, ("staging",)),
        BuildAnnounced(linkless, ()),
        ExternalChange(
            service="api",
            environment="production",
            channel=CHANNEL,
            old_image=HOSTILE,
            new_image=HOSTILE,
            old_revision=1,
            new_revision=2,
        ),
        AutoDeployBlocked(hostile_build, "staging", HOSTILE),
    ]
    for n, state in enumerate(ReleaseState):
        for kind, glass in (
            (ReleaseKind.DEPLOY, False),
            (ReleaseKind.DEPLOY, True),
            (ReleaseKind.ROLLBACK, False),
        ):
            r = hostile_release(
                state,
                id=uuid.UUID(int=100 + 3 * n + (2 if kind is ReleaseKind.ROLLBACK else glass)),
                kind=kind,
                break_glass=glass,
                policy="manual" if state is ReleaseState.REQUESTED else "approval",
                rolls_back_on_failure=glass,
            )
            out += [
                ReleaseRequested(r),
                VoteRecorded(r, Actor("U0BOSS", "T0FAKE"), True),
                ApprovalLapsed(r, ("U0BOSS",)),
                ReleaseDecided(r, REQUESTER),
                RolloutStarted(r),
                RolloutProgressed(r),
                PodTrouble(r, HOSTILE, HOSTILE),
                RolloutFinished(r),
            ]
    return out


def test_every_message_kind_shows_outside_text_as_plain_text(
    presenter: SlackPresenter, slack_api: FakeSlackWebAPI
) -> None:
    for event in events():
        presenter.publish(event)
        slack_api.clock.advance(3)
        presenter.flush_due()
    for _ in range(200):
        slack_api.clock.advance(3)
        if presenter.flush_due() == 0 and presenter.idle():
            break
    calls = [c for c in slack_api.calls() if c.method in {"chat.postMessage", "chat.update"}]
    assert len(calls) > 50
    problems = [p for c in calls for p in entity_problems(c.args, ALLOWED)]
    assert problems == []
    shown = [
        t for c in calls for t in texts({"text": c.args.get("text"), "b": c.args.get("blocks")})
    ]
    assert sum(HOSTILE_ESCAPED in t for t in shown) > 20


def test_the_app_home_shows_outside_text_as_plain_text() -> None:
    views = [hostile_release(s) for s in (ReleaseState.ROLLING_OUT, ReleaseState.AWAITING_APPROVAL)]
    running = [Running("api", "production", HOSTILE, HOSTILE, 3, AT, "U0REQ")]
    payload = as_payload(home(views[:1], views[1:], running, AT + timedelta(hours=2)))
    assert entity_problems({"blocks": payload}, ALLOWED) == []
    assert any(HOSTILE_ESCAPED in t for t in texts({"blocks": payload}))


@pytest.mark.parametrize("length", [MAX_SECTION_TEXT - 5, MAX_SECTION_TEXT, MAX_SECTION_TEXT * 2])
def test_a_long_text_is_cut_with_an_ellipsis_and_never_inside_an_entity(length: int) -> None:
    from bot.slack.blocks import notice

    body = ("x" * (length - len(HOSTILE))) + HOSTILE
    [block] = as_payload(notice(body))
    text = block["text"]["text"]
    assert len(text) <= MAX_SECTION_TEXT
    assert entity_problems({"blocks": [block]}, ALLOWED) == []
    if len(body.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")) > MAX_SECTION_TEXT:
        assert text.endswith("…")
        assert not text[:-1].rstrip("x").endswith(("&", "&l", "&lt", "&am", "&amp"))


def test_a_refusal_keeps_the_mentions_the_workflow_made_and_no_others() -> None:
    from bot.slack.mrkdwn import from_workflow

    shown = from_workflow(f"held by release 1 (requested by <@U0REQ>); {HOSTILE}", ("U0REQ",))
    assert shown.startswith("held by release 1 (requested by <@U0REQ>); ")
    assert shown.endswith(HOSTILE_ESCAPED)
    assert from_workflow("ask <@U0REQ> or <!subteam^S0REL>", ()) == (
        "ask &lt;@U0REQ&gt; or &lt;!subteam^S0REL&gt;"
    )
    assert from_workflow("ask <!subteam^S0REL>", ("S0REL",)) == "ask <!subteam^S0REL>"


def test_the_audit_head_is_posted_with_the_command_that_checks_it(
    presenter: SlackPresenter, slack_api: FakeSlackWebAPI
) -> None:
    from bot.workflow.events import AuditHeadReached

    presenter.publish(AuditHeadReached("C0AUDIT01", 42, "ab" * 32))
    [message] = [m for m in slack_api.messages if m.channel == "C0AUDIT01"]
    assert "releasebot audit verify --expect 42:" + "ab" * 32 in (message.text or "")
