"""Slack's real rate tiers: a 10-replica release must not be throttled, however fast it moves."""

from __future__ import annotations

from bot.clock import ManualClock
from bot.slack.presenter import SlackPresenter
from bot.slack.standin.webapi import DEFAULT_TIERS, FakeSlackWebAPI
from tests.slack_presenter.factories import CHANNEL
from tests.slack_presenter.streams import calls_by_method, play, ten_replica_release


def test_ten_replica_release_causes_no_429_and_few_calls(
    presenter: SlackPresenter, slack_api: FakeSlackWebAPI
) -> None:
    slack_api.rate_limits = dict(DEFAULT_TIERS)
    slack_api.post_message_limit = True
    clock = slack_api.clock
    assert isinstance(clock, ManualClock)

    play(presenter, clock, ten_replica_release(clock))

    counts = calls_by_method(slack_api)
    print(f"\nSlack Web API calls for one 10-replica release: {dict(sorted(counts.items()))}")
    assert slack_api.ratelimited_count == 0
    assert all(c.status == 200 and c.response["ok"] for c in slack_api.calls())
    parents = [m for m in slack_api.messages if m.thread_ts is None]
    assert len(parents) == 2  # the build announcement and the release
    release_parent = parents[1]
    replies = slack_api.thread(CHANNEL, release_parent.ts)
    # two counted votes, approved, started, one pod trouble, finished
    assert len(replies) == 6, [m.text for m in replies]
    assert counts["chat.postMessage"] == 8
    # 30 s of rollout at one edit per 2 s, plus state changes before it and the final one
    assert 10 <= counts["chat.update"] <= 25
    assert release_parent.blocks is not None
    assert ":white_check_mark: Succeeded" in release_parent.blocks[0]["text"]["text"]
