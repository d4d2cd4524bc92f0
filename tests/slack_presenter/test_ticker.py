"""The ticker flushes a stalled rollout's last state without any further event."""

from __future__ import annotations

from bot.clock import ManualClock
from bot.slack.presenter import SlackPresenter
from bot.slack.standin.webapi import FakeSlackWebAPI
from bot.workflow.events import ReleaseRequested, RolloutProgressed
from storage.models import ReleaseState
from tests.slack_presenter.factories import progress, release
from tests.waiting import wait_until


def test_ticker_shows_the_latest_state_when_events_stop(
    presenter: SlackPresenter, slack_api: FakeSlackWebAPI
) -> None:
    clock = slack_api.clock
    assert isinstance(clock, ManualClock)
    presenter.publish(ReleaseRequested(release(ReleaseState.ROLLING_OUT, progress=progress(0))))
    presenter.publish(RolloutProgressed(release(ReleaseState.ROLLING_OUT, progress=progress(6))))
    assert slack_api.calls("chat.update") == []
    presenter.start(tick=0.5)

    def ticked() -> bool:
        # The schedule is the clock's; between two ticks the ticker thread gets to run.
        clock.advance(0.5)
        return bool(slack_api.calls("chat.update"))

    try:
        wait_until(ticked, what="the ticker to show the stalled rollout's state")
        [update] = slack_api.calls("chat.update")
        assert "6/10 updated" in str(update.args["blocks"])
    finally:
        assert not presenter.close(timeout=0), "still asleep on the manual clock"
        clock.advance(1)
        assert presenter.close(timeout=2)
