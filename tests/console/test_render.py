"""Block Kit as the bot builds it, drawn as terminal text."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from bot.slack import actions
from bot.slack import blocks as kit
from bot.slack import messages as slack_messages
from bot.workflow.model import Actor, Progress, ReleaseView
from commands import messages as command_messages
from commands.console.render import EMOJI, Names, Renderer, emoji_char, emoji_name
from storage.models import ReleaseKind, ReleaseState

NAMES = Names(
    users={"U0ALICE1": "alice", "U0DANA01": "dana"},
    groups={"S0RELMGR": "release-managers"},
    channels={"C0RELEASES": "releases"},
)


def release(state: ReleaseState, progress: Progress | None = None) -> ReleaseView:
    return ReleaseView(
        id=uuid.UUID(int=7),
        kind=ReleaseKind.DEPLOY,
        service="api",
        environment="production",
        version="1.4.3",
        image="registry.example.com/shop/api:1.4.3@sha256:" + "a" * 64,
        digest="sha256:" + "a" * 64,
        requester=Actor("U0DANA01", "T0FAKE"),
        reason="spring sale",
        state=state,
        policy="approval",
        channel="C0RELEASES",
        thread_ts="1700000000.000100",
        required_approvals=2,
        approvers=("U0ALICE1", "S0RELMGR"),
        votes=(),
        created_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        expires_at=datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
        started_at=None,
        finished_at=None,
        revision_before=None,
        revision_after=None,
        error=None,
        progress=progress,
    )


def test_a_request_for_approval_reads_as_text_with_numbered_buttons() -> None:
    payload = kit.as_payload(kit.release_message(release(ReleaseState.AWAITING_APPROVAL)))
    drawn = Renderer(NAMES).blocks(payload, "fallback")
    text = "\n".join(drawn.lines)
    assert text.splitlines()[0] == (
        "✋ Waiting for approval — Release of api `1.4.3` to production"
    )
    assert "Requested by @dana" in text
    assert "from @alice, @release-managers" in text
    assert "Expires 09:30 UTC" in text
    assert "[1 Approve]  [2 Reject]" in text
    assert [(b.number, b.label, b.action_id) for b in drawn.buttons] == [
        (1, "Approve", actions.APPROVE),
        (2, "Reject", actions.REJECT),
    ]
    assert drawn.buttons[0].value == str(uuid.UUID(int=7))
    assert drawn.buttons[0].block_id == "vote"
    assert "*" not in text and "<" not in text and ":raised_hand:" not in text


def test_progress_shows_the_bar_and_the_fields_on_one_line() -> None:
    progress = Progress(
        message='Waiting for deployment "api" rollout to finish',
        desired=3,
        updated=2,
        ready=2,
        available=2,
        old_pending_termination=1,
        max_surge=1,
        max_unavailable=0,
    )
    payload = kit.as_payload(kit.release_message(release(ReleaseState.ROLLING_OUT, progress)))
    lines = Renderer(NAMES).blocks(payload, None).lines
    assert "`███████░░░` 2/3 updated" in lines
    assert 'Waiting for deployment "api" rollout to finish' in lines
    assert (
        "Desired: 3 · Updated: 2 · Ready: 2 · Available: 2 · Old pods terminating: 1 · "
        "maxSurge / maxUnavailable: 1 / 0"
    ) in lines


def test_dividers_context_and_plain_text_messages() -> None:
    payload = kit.as_payload(kit.home([], [], [], datetime(2026, 1, 5, tzinfo=UTC)))
    lines = Renderer(NAMES).blocks(payload, None).lines
    assert lines.count("─" * 40) == 3
    assert "Nothing is rolling out right now." in lines
    plain = Renderer(NAMES).blocks(None, "Requested by <@U0DANA01> in <#C0RELEASES|x> &amp; co")
    assert plain.lines == ("Requested by @dana in #releases & co",)
    assert plain.buttons == ()


def test_links_dates_and_unknown_ids() -> None:
    r = Renderer(NAMES)
    assert r.mrkdwn("<https://ci.example.com/1|pipeline>") == "pipeline (https://ci.example.com/1)"
    assert r.mrkdwn("<!date^1767600000^{time}|09:00 UTC>") == "09:00 UTC"
    assert r.mrkdwn("<@U0NOBODY1> and <!subteam^S0OTHER|@ops>") == "@U0NOBODY1 and @ops"
    assert r.mrkdwn("_italic_ keeps snake_case_names") == "italic keeps snake_case_names"


def test_typed_reactions_name_slack_emoji() -> None:
    assert emoji_name("✅") == "white_check_mark"
    assert emoji_name(":white_check_mark:") == "white_check_mark"
    assert emoji_name("❌") == "x"
    assert emoji_name("✔") == "heavy_check_mark"
    assert emoji_name("thumbsup") == "thumbsup"
    assert emoji_name("👍") == "+1"


def test_every_emoji_the_bot_writes_is_shown_as_the_character() -> None:
    texts = [
        value
        for module in (slack_messages, command_messages)
        for value in vars(module).values()
        if isinstance(value, str)
    ]
    used = {name for text in texts for name in re.findall(r":([a-z0-9_+-]+):", text)}
    assert "rotating_light" in used
    assert used <= set(EMOJI), sorted(used - set(EMOJI))
    r = Renderer(NAMES)
    for text in texts:
        assert not re.search(r":[a-z0-9_+-]+:", r.mrkdwn(text)), text


def test_a_reaction_is_shown_as_a_person_typed_it() -> None:
    assert emoji_char(emoji_name("👍")) == "👍"
    assert emoji_char(emoji_name("🦄")) == "🦄"  # no name known: shown as typed, not :🦄:
    assert emoji_char("partyparrot") == ":partyparrot:"  # a name with no character
