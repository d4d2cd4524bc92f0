"""Slack Web API calls for one release of a 10-replica Deployment, with Slack's rate tiers on.

The bot runs as `serve` assembles it, in-process, against the simulated cluster (simulated
time) and the Slack Web API stand-in enforcing the per-method tiers and the one-post-per-
second-per-channel limit. One release: /deploy to production → two approvals → rollout of
10 replicas (maxSurge 25 %, maxUnavailable 25 %) → success. Printed: calls by method, 429s.
The baseline in the same run is the naive presenter a bot without throttling would be: one
chat.update per progress event the workflow published.

A vote is cast on the bot's work pool after the ack, and the rollout it starts is what
``Stack.settle`` waits for; so each vote is waited for until the workflow shows it. (Once
this waited only for Alice's vote: Carol's ✅ was still on the work pool when settle found
nothing rolling out, and the release was measured while awaiting approval.) When the
release did not succeed, nothing is printed as if it had, and the exit code is 1.

    uv run python benchmarks/slack_calls_per_release.py
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slack_sdk import WebClient

from bot.asgi import serve_asgi
from bot.clock import ManualClock
from bot.config import parse_config
from bot.kube.sim.samples import deployment_manifest
from bot.kube.sim.serve import run_simulated_cluster
from bot.slack import actions
from bot.slack.standin.webapi import BOT_TOKEN, DEFAULT_TIERS, running
from bot.workflow.events import RolloutProgressed
from commands.serve import assemble
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import ReleaseState
from tests.e2e.conftest import ALICE, CAROL, HOOK_SECRET, REQUESTER, SIGNING_SECRET, Stack
from tests.sim import simkit
from tests.workflow.harness import CONFIG_YAML, image


def main() -> None:
    clock = ManualClock()
    with (
        tempfile.TemporaryDirectory() as tmp,
        run_simulated_cluster(
            clock=clock, kubeconfig_path=Path(tmp) / "kubeconfig", namespaces=["apps"]
        ) as sim,
    ):
        for namespace in ("default", "apps"):
            manifest = deployment_manifest("api", image=image(15), replicas=10)
            simkit.create(sim.cluster, manifest, namespace)
        sim.cluster.advance(30)
        url = f"sqlite:///{tmp}/releasebot.db"
        upgrade(url)
        engine = make_engine(url)
        config = parse_config(CONFIG_YAML, "releasebot.yml")
        with running(clock=clock, rate_limits=DEFAULT_TIERS, post_message_limit=True) as slack:
            slack.set_usergroup("S0RELMGR", [CAROL], handle="release-managers")
            client = WebClient(token=BOT_TOKEN, base_url=slack.base_url, timeout=5)
            bot = assemble(
                config=config,
                engine=engine,
                clock=clock,
                client=client,
                signing_secret=SIGNING_SECRET,
                build_hook_secret=HOOK_SECRET,
                simulated_kubeconfig=sim.kubeconfig,
            )
            progress_events = 0
            publish = bot.presenter.publish

            def counting(event: object) -> None:
                nonlocal progress_events
                if isinstance(event, RolloutProgressed):
                    progress_events += 1
                publish(event)  # type: ignore[arg-type]

            bot.presenter.publish = counting  # type: ignore[method-assign]
            try:
                with serve_asgi(bot.http_app) as base:
                    stack = Stack(bot, sim, slack, base)
                    assert stack.build_hook("1.0.1", 1).status_code == 202
                    stack.settle()
                    before = len(slack.calls())
                    progress_events = 0
                    stack.command(REQUESTER, "/deploy", "api 1.0.1 to production")
                    release = stack.until(
                        lambda: [r for r in bot.workflow.pending() if r.thread_ts]
                    )[0]
                    value = actions.release_value(release.id)
                    stack.click(ALICE, actions.APPROVE, value)
                    stack.until(lambda: bot.workflow.release(release.id).approvals)
                    stack.react(CAROL, release)
                    stack.until(
                        lambda: (
                            bot.workflow.release(release.id).state
                            is not ReleaseState.AWAITING_APPROVAL
                        )
                    )
                    stack.settle()
                    final = bot.workflow.release(release.id)
                    calls = slack.calls()[before:]
            finally:
                bot.close()
                engine.dispose()

    if final.state is not ReleaseState.SUCCEEDED or len(final.approvals) != 2:
        print(
            f"slack_calls_per_release: the release ended {final.state.value} with "
            f"{len(final.approvals)} approval(s), not succeeded with 2; no figures.",
            file=sys.stderr,
        )
        sys.exit(1)
    by_method = Counter(c.method for c in calls)
    print(f"release {final.state.value}: api 1.0.1 → production, 10 replicas")
    print(f"Slack Web API calls for the release: {len(calls)}")
    for method, count in sorted(by_method.items()):
        print(f"  {method:24} {count}")
    print(f"429 answers: {sum(1 for c in calls if c.status == 429)} (rate tiers enforced)")
    print(f"progress events published by the workflow: {progress_events}")
    edits = by_method.get("chat.update", 0)
    print(
        f"baseline, one edit per progress event: {progress_events} chat.update; "
        f"ratio edits releasebot/baseline: {edits / max(progress_events, 1):.3f}"
    )


if __name__ == "__main__":
    main()
