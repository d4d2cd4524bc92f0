"""User-group membership from usergroups.users.list, cached briefly on the injected clock."""

from __future__ import annotations

from datetime import timedelta

from slack_sdk import WebClient

from bot.clock import ManualClock
from bot.slack.groups import SlackGroupDirectory
from bot.slack.standin.webapi import FakeSlackWebAPI


def test_members_are_cached_for_the_ttl_then_asked_again(
    slack_api: FakeSlackWebAPI, slack_client: WebClient
) -> None:
    clock = slack_api.clock
    assert isinstance(clock, ManualClock)
    slack_api.set_usergroup("S0RM", ["U0BOSS", "U0ALICE"])
    groups = SlackGroupDirectory(slack_client, clock, ttl=timedelta(seconds=30))
    assert groups.members("S0RM") == {"U0BOSS", "U0ALICE"}
    slack_api.set_usergroup("S0RM", ["U0BOSS"])
    clock.advance(29)
    assert groups.members("S0RM") == {"U0BOSS", "U0ALICE"}, "still cached"
    assert len(slack_api.calls("usergroups.users.list")) == 1
    clock.advance(1)
    assert groups.members("S0RM") == {"U0BOSS"}, "a removal takes effect after the TTL"
    assert len(slack_api.calls("usergroups.users.list")) == 2


def test_invalidate_forgets_members_at_once(
    slack_api: FakeSlackWebAPI, slack_client: WebClient
) -> None:
    slack_api.set_usergroup("S0RM", ["U0BOSS"])
    groups = SlackGroupDirectory(slack_client, slack_api.clock)
    assert groups.members("S0RM") == {"U0BOSS"}
    slack_api.set_usergroup("S0RM", [])
    groups.invalidate()
    assert groups.members("S0RM") == frozenset()


def test_an_unreadable_group_has_no_members(
    slack_api: FakeSlackWebAPI, slack_client: WebClient
) -> None:
    """Fail closed: a group Slack does not know, or a handle no group has, approves nothing."""
    groups = SlackGroupDirectory(slack_client, slack_api.clock)
    assert groups.members("S0NOPE") == frozenset()
    assert groups.members("@release-managers") == frozenset()


def test_a_handle_is_resolved_to_its_group_and_cached(
    slack_api: FakeSlackWebAPI, slack_client: WebClient
) -> None:
    slack_api.set_usergroup("S0RM", ["U0BOSS", "U0ALICE"], handle="release-managers")
    groups = SlackGroupDirectory(slack_client, slack_api.clock)
    assert groups.members("@release-managers") == {"U0BOSS", "U0ALICE"}
    assert groups.members("@release-managers") == {"U0BOSS", "U0ALICE"}
    assert len(slack_api.calls("usergroups.list")) == 1
