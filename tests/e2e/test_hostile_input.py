"""Hostile input over the real HTTP paths, checked on every Slack call the bot made.

A build hook whose CI fields try to ping and phish, foreign and look-alike images, a replayed
delivery, a known build announced again, and slash commands whose reason is the same text
both as typed (Slack encodes it) and as Slack's own entities. Every payload is then walked:
no entity but the bot's own mentions, dates and links, nothing escaped twice.
"""

from __future__ import annotations

import httpx

from bot.kube.sim.resources import DEPLOYMENTS
from bot.slack.standin.webapi import BOT_USER_ID
from storage.models import ReleaseState
from tests.e2e.conftest import ALICE, BOB, CAROL, CHANNEL, REQUESTER, Stack
from tests.mrkdwn_check import HOSTILE, HOSTILE_ESCAPED, entity_problems, texts
from tests.workflow.harness import build, image

ALLOWED = [
    rf"@({REQUESTER}|{ALICE}|{BOB}|{CAROL}|{BOT_USER_ID})",
    r"!subteam\^S0RELMGR",
    rf"#{CHANNEL}",
    r"!date\^\d+\^\{time\}\|[0-9:]+ UTC",
    r"https://ci\.example\.com/pipelines/1\|pipeline",
]
SLACK_ENTITIES = (
    "<!channel> <!here> <@U0ALICE|alice> <https://evil.example/login|approve here> &amp; co"
)


def running_image(stack: Stack, namespace: str) -> str:
    deployment = stack.sim.cluster.store.get(DEPLOYMENTS, namespace, "api")
    return str(deployment["spec"]["template"]["spec"]["containers"][0]["image"])


def all_problems(stack: Stack) -> list[str]:
    methods = {"chat.postMessage", "chat.update", "chat.postEphemeral", "views.publish"}
    return [
        problem
        for call in stack.slack.calls()
        if call.method in methods
        for problem in entity_problems(call.args, ALLOWED)
    ]


def test_foreign_images_replays_and_repeats_do_nothing(stack: Stack) -> None:
    foreign = [
        build("1.0.1", 1, repo="evil.example.com/shop/api"),
        build("1.0.1", 1, repo="registry.example.com/shop/api-evil"),
    ]
    for announcement in foreign:
        response = stack.post_build(announcement.model_dump_json().encode())
        assert response.status_code == 422
        assert "registry.example.com/shop/api" in response.json()["error"]
    stack.settle()
    assert stack.slack.messages == []
    assert stack.bot.workflow.history("api", "staging", limit=5) == []
    assert running_image(stack, "default") == image(15)

    body = build("1.0.1", 1).model_dump_json().encode()
    ts = int(stack.clock.now().timestamp())
    from bot.hooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
    from tests.e2e.conftest import HOOK_SECRET

    headers = {TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: sign(HOOK_SECRET, ts, body)}
    first = httpx.post(f"{stack.url}/hooks/build", content=body, headers=headers, timeout=30)
    assert first.status_code == 202
    stack.settle()
    assert stack.build_hook("1.0.2", 2).status_code == 202
    stack.settle()
    replay = httpx.post(f"{stack.url}/hooks/build", content=body, headers=headers, timeout=30)
    assert replay.status_code == 200
    assert "delivered before" in replay.json()["note"]
    again = stack.build_hook("1.0.1", 1)
    assert again.status_code == 200
    assert "announced before" in again.json()["note"]
    stack.settle()
    announcements = [m for m in stack.slack.messages if "New build" in (m.text or "")]
    assert [m.text for m in announcements] == [
        "New build of api: 1.0.1",
        "New build of api: 1.0.2",
    ]
    assert [r.version for r in stack.bot.workflow.history("api", "staging", limit=5)] == [
        "1.0.2",
        "1.0.1",
    ]
    assert running_image(stack, "default") == image(2)


def test_outside_text_never_pings_links_or_is_escaped_twice(stack: Stack) -> None:
    response = stack.build_hook(
        "1.0.1",
        1,
        branch=HOSTILE,
        changelog=(HOSTILE, "fix & <rounding>"),
        pipeline_url="https://ci.example.com/pipelines/1",
    )
    assert response.status_code == 202, response.text
    stack.settle()
    stack.command(REQUESTER, "/deploy", f"api 1.0.1 to production because {HOSTILE}")
    typed = stack.until(lambda: [r for r in stack.bot.workflow.pending() if r.thread_ts])[0]
    assert typed.reason == HOSTILE, "kept as the plain text that was typed"
    stack.command(ALICE, "/deploy", "help")
    stack.command(ALICE, "/releases", "")
    stack.command(ALICE, "/deploy", f"api <!channel> to production because {HOSTILE}")
    stack.until(lambda: len(stack.ephemeral_to(ALICE)) >= 3)
    stack.command(REQUESTER, "/rollback", "api staging", encoded=True)
    stack.until(
        lambda: stack.bot.workflow.history("api", "staging", limit=1)[0].kind.value == "rollback"
    )
    stack.settle()
    stack.command(CAROL, "/deploy", f"api 1.0.1 to staging because {SLACK_ENTITIES}", encoded=True)
    stack.until(
        lambda: stack.bot.workflow.history("api", "staging", limit=1)[0].requester.user_id == CAROL
    )
    stack.settle()
    decoded = stack.bot.workflow.history("api", "staging", limit=1)[0]
    assert decoded.requester.user_id == CAROL, stack.ephemeral_to(CAROL)
    assert decoded.reason == "@channel @here @alice approve here & co"
    assert decoded.state is ReleaseState.SUCCEEDED

    problems = all_problems(stack)
    assert problems == []
    shown = [t for c in stack.slack.calls() for t in texts(c.args)]
    assert any(HOSTILE_ESCAPED in t for t in shown), "the reason is shown, escaped"
    assert any("fix &amp; &lt;rounding&gt;" in t for t in shown)
    help_text = "\n".join(stack.ephemeral_to(ALICE))
    assert "/deploy &lt;service&gt; &lt;version | image&gt;" in help_text
