"""No secret ever reaches a log line, an HTTP answer or a Slack message.

A real ``releasebot serve --log-level debug`` runs with known secrets through a release, its
refusals (bad signatures, stale and malformed requests, unknown names, a foreign image);
every line it printed, every HTTP answer and every Slack call is then searched
for each secret.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from bot.hooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.slack.standin import requests as slack_requests
from bot.slack.standin.webapi import BOT_TOKEN, TEAM_ID
from storage.models import ReleaseState
from tests.e2e.serve_process import HOOK_SECRET, SIGNING_SECRET, world
from tests.workflow.harness import build

SECRETS = {"bot token": BOT_TOKEN, "signing secret": SIGNING_SECRET, "hook secret": HOOK_SECRET}


def test_secrets_appear_in_no_log_line_answer_or_message(tmp_path: Path) -> None:
    answers: list[str] = []
    with world(tmp_path) as w:
        serve = w.serve("--log-level", "debug")

        def hook(body: bytes, secret: str = HOOK_SECRET, ts: int | None = None) -> None:
            stamp = ts or int(time.time())
            headers = {
                TIMESTAMP_HEADER: str(stamp),
                SIGNATURE_HEADER: sign(secret.encode(), stamp, body),
            }
            answers.append(
                httpx.post(
                    f"{serve.url}/hooks/build", content=body, headers=headers, timeout=30
                ).text
            )

        def slack(body: bytes, secret: str = SIGNING_SECRET, ts: int | None = None) -> None:
            headers = {
                "Content-Type": slack_requests.content_type(body),
                **slack_requests.signature_headers(body, secret=secret, timestamp=ts),
            }
            answers.append(
                httpx.post(
                    f"{serve.url}/slack/events", content=body, headers=headers, timeout=30
                ).text
            )

        good = build("1.0.3", 3).model_dump_json().encode()
        hook(good)
        w.wait_for(
            lambda: any(r.state is ReleaseState.SUCCEEDED for r in w.releases()),
            what="the continuous deploy to succeed",
            serve=serve,
            timeout=90,
        )
        hook(good, secret="not-the-secret")
        hook(good, ts=int(time.time()) - 3600)
        hook(b'{"service": ' * 5000)
        hook(build("1.0.4", 4, repo="evil.example.com/shop/api").model_dump_json().encode())

        def command(text: str) -> bytes:
            return slack_requests.command_body(
                "/deploy", text, team=TEAM_ID, user="U0REQUEST", channel="C0APICHAN"
            )

        slack(command("api 1.0.3 to production because ship"))
        slack(command("nosuch 1.0.3 to production"))
        slack(command("api 1.0.3 to production"), secret="wrong")
        slack(command("help"), ts=int(time.time()) - 3600)
        slack(b"payload=%7Boops", secret=SIGNING_SECRET)
        answers.append(httpx.get(f"{serve.url}/readyz", timeout=10).text)
        w.wait_for(lambda: len(w.slack.ephemeral) >= 2, what="the replies", serve=serve)
        assert serve.terminate() == 0
        output = serve.log.read_text(errors="replace")
        slack_calls = [str(c.args) for c in w.slack.calls()]

    assert "DEBUG" in output, "the bot was meant to log at debug level"
    assert len(answers) == 11
    for name, secret in SECRETS.items():
        assert secret not in output, f"the {name} is in the log"
        assert not [a for a in answers if secret in a], f"the {name} is in an HTTP answer"
        assert not [c for c in slack_calls if secret in c], f"the {name} is in a Slack call"
