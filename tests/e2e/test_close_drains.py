"""Closing the bot lets every request it already acknowledged finish, reply included."""

from __future__ import annotations

from pathlib import Path

import httpx
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.asgi import serve_asgi
from bot.config import parse_config
from bot.kube.sim.serve import SimHandle
from bot.slack.standin.webapi import BOT_TOKEN, TEAM_ID, running
from commands.serve import assemble
from storage.engine import make_engine
from storage.migrate import upgrade
from tests.e2e.conftest import HOOK_SECRET, REQUESTER, SIGNING_SECRET
from tests.slack_ingress.conftest import command_body
from tests.slack_ingress.conftest import sign as slack_sign
from tests.workflow.harness import CONFIG_YAML


def test_close_waits_for_a_reply_that_slack_asked_to_retry(sim: SimHandle, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'releasebot.db'}"
    upgrade(url)
    engine = make_engine(url)
    with running(clock=sim.clock) as slack:
        client = WebClient(
            token=BOT_TOKEN,
            base_url=slack.base_url,
            timeout=5,
            retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
        )
        bot = assemble(
            config=parse_config(CONFIG_YAML, "releasebot.yml"),
            engine=engine,
            clock=sim.clock,
            client=client,
            signing_secret=SIGNING_SECRET,
            build_hook_secret=HOOK_SECRET,
            simulated_kubeconfig=sim.kubeconfig,
        )
        # The reply is answered 429 "retry after 1 s" once: it is still on its way when the
        # ack is back and close() is called.
        slack.throttle("chat.postEphemeral", count=1, retry_after=1)
        try:
            with serve_asgi(bot.http_app) as base:
                body = command_body("/deploy", "help", team=TEAM_ID, user=REQUESTER)
                headers = {
                    "Content-Type": "application/x-www-form-urlencoded",
                    **slack_sign(body, secret=SIGNING_SECRET),
                }
                acked = httpx.post(f"{base}/slack/events", content=body, headers=headers)
                assert acked.status_code == 200
                assert [e for e in slack.ephemeral if e.get("user") == REQUESTER] == []
        finally:
            bot.close()
        delivered = [e for e in slack.ephemeral if e.get("user") == REQUESTER]
        assert len(delivered) == 1, "close() returned before the acknowledged request replied"
        assert "/deploy" in str(delivered[0].get("text"))
    engine.dispose()
