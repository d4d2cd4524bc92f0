"""The fake Web API answers the real slack_sdk WebClient the way Slack would."""

from __future__ import annotations

import threading

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.clock import ManualClock
from bot.slack.standin.webapi import BOT_TOKEN, BOT_USER_ID, FakeSlackWebAPI, running

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*deploy* api to prod"}}


def test_post_update_and_thread_reply_are_recorded(
    slack_api: FakeSlackWebAPI, slack_client: WebClient
) -> None:
    first = slack_client.chat_postMessage(channel="C1", text="deploying", blocks=[SECTION])
    second = slack_client.chat_postMessage(channel="C1", text="another")
    assert first["channel"] == "C1"
    assert float(second["ts"]) > float(first["ts"])

    slack_client.chat_update(channel="C1", ts=first["ts"], text="deployed")
    reply = slack_client.chat_postMessage(channel="C1", text="log", thread_ts=first["ts"])

    parent = slack_api.message("C1", first["ts"])
    assert parent.text == "deployed"
    assert parent.edits == [{"text": "deploying", "blocks": [SECTION]}]
    assert [m.ts for m in slack_api.thread("C1", first["ts"])] == [reply["ts"]]
    posts = slack_api.calls("chat.postMessage")
    assert [c.args.get("thread_ts") for c in posts] == [None, None, first["ts"]]
    assert all(c.token == BOT_TOKEN for c in slack_api.calls())
    assert [c.method for c in slack_api.calls()] == [
        "chat.postMessage",
        "chat.postMessage",
        "chat.update",
        "chat.postMessage",
    ]


def test_update_of_unknown_message_is_refused(slack_client: WebClient) -> None:
    with pytest.raises(SlackApiError) as e:
        slack_client.chat_update(channel="C1", ts="1700000000.999999", text="x")
    assert e.value.response["error"] == "message_not_found"


@pytest.mark.parametrize(("token", "error"), [("xoxb-wrong", "invalid_auth"), (None, "not_authed")])
def test_bad_or_missing_token_is_refused(
    slack_api: FakeSlackWebAPI, token: str | None, error: str
) -> None:
    client = WebClient(token=token, base_url=slack_api.base_url)
    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel="C1", text="hi")
    assert e.value.response["error"] == error
    assert slack_api.messages == []


@pytest.mark.parametrize(
    "block",
    [
        {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}},
        {"type": "actions", "elements": [{"type": "button", "action_id": "approve"}]},
        {"type": "no_such_block"},
    ],
    ids=["section-over-3000", "button-without-text", "unknown-type"],
)
def test_invalid_blocks_are_refused(
    slack_api: FakeSlackWebAPI, slack_client: WebClient, block: dict[str, object]
) -> None:
    with pytest.raises(SlackApiError) as e:
        slack_client.chat_postMessage(channel="C1", text="x", blocks=[SECTION, block])
    assert e.value.response["error"] == "invalid_blocks"
    assert len(slack_api.block_errors) == 1
    assert slack_api.block_errors[0].startswith("blocks[1]")
    assert slack_api.messages == []


def test_form_encoded_calls_are_understood(slack_api: FakeSlackWebAPI) -> None:
    client = WebClient(token=BOT_TOKEN, base_url=slack_api.base_url)
    client.api_call("chat.postMessage", data={"channel": "C2", "blocks": '[{"type": "divider"}]'})
    assert slack_api.messages[0].blocks == [{"type": "divider"}]
    with pytest.raises(SlackApiError):
        client.api_call("chat.postMessage", data={"channel": "C2", "blocks": '[{"type": "x"}]'})


def test_429_is_retried_by_the_rate_limit_handler(
    slack_api: FakeSlackWebAPI, slack_client: WebClient
) -> None:
    slack_client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    slack_api.throttle("chat.postMessage", count=1, retry_after=0)

    slack_client.chat_postMessage(channel="C1", text="hi")

    assert slack_api.ratelimited_count == 1
    assert [c.status for c in slack_api.calls("chat.postMessage")] == [429, 200]
    assert len(slack_api.messages) == 1


def test_429_without_retry_handler_surfaces_retry_after(
    slack_api: FakeSlackWebAPI, slack_client: WebClient
) -> None:
    slack_api.throttle("auth.test", retry_after=7)
    with pytest.raises(SlackApiError) as e:
        slack_client.auth_test()
    assert e.value.response.status_code == 429
    assert e.value.response.headers["Retry-After"] == "7"
    assert slack_client.auth_test()["user_id"] == BOT_USER_ID


def test_post_message_limit_is_per_channel_and_frees_up_with_time(
    slack_api: FakeSlackWebAPI, slack_client: WebClient
) -> None:
    slack_api.post_message_limit = True
    clock = slack_api.clock
    assert isinstance(clock, ManualClock)

    slack_client.chat_postMessage(channel="C1", text="one")
    slack_client.chat_postMessage(channel="C2", text="other channel is free")
    with pytest.raises(SlackApiError) as e:
        slack_client.chat_postMessage(channel="C1", text="too soon")
    assert e.value.response.status_code == 429
    assert e.value.response.headers["Retry-After"] == "1"

    clock.advance(1)
    slack_client.chat_postMessage(channel="C1", text="two")
    assert slack_api.ratelimited_count == 1
    assert [m.text for m in slack_api.messages] == ["one", "other channel is free", "two"]


def test_tier_limit_counts_a_minute_window(
    slack_api: FakeSlackWebAPI, slack_client: WebClient
) -> None:
    slack_api.rate_limits["usergroups.users.list"] = 2
    slack_api.set_usergroup("S1", ["U1"])
    clock = slack_api.clock
    assert isinstance(clock, ManualClock)

    slack_client.usergroups_users_list(usergroup="S1")
    clock.advance(30)
    slack_client.usergroups_users_list(usergroup="S1")
    with pytest.raises(SlackApiError) as e:
        slack_client.usergroups_users_list(usergroup="S1")
    assert e.value.response.headers["Retry-After"] == "30"
    clock.advance(30)
    assert slack_client.usergroups_users_list(usergroup="S1")["users"] == ["U1"]


def test_usergroup_users_are_the_configured_ones(
    slack_api: FakeSlackWebAPI, slack_client: WebClient
) -> None:
    slack_api.set_usergroup("S0APPROVERS", ["U1", "U2"])
    assert slack_client.usergroups_users_list(usergroup="S0APPROVERS")["users"] == ["U1", "U2"]
    slack_api.set_usergroup("S0APPROVERS", ["U2"])
    assert slack_client.usergroups_users_list(usergroup="S0APPROVERS")["users"] == ["U2"]
    with pytest.raises(SlackApiError) as e:
        slack_client.usergroups_users_list(usergroup="S0NOPE")
    assert e.value.response["error"] == "no_such_subteam"


def test_other_methods_answer_like_slack(
    slack_api: FakeSlackWebAPI, slack_client: WebClient
) -> None:
    assert slack_client.auth_test()["team_id"] == "T0FAKE"
    ts = slack_client.chat_postMessage(channel="C1", text="x")["ts"]
    slack_client.reactions_add(channel="C1", timestamp=ts, name="white_check_mark")
    with pytest.raises(SlackApiError, match="already_reacted"):
        slack_client.reactions_add(channel="C1", timestamp=ts, name="white_check_mark")
    assert slack_api.message("C1", ts).reactions == {"white_check_mark": [BOT_USER_ID]}

    assert slack_client.chat_postEphemeral(channel="C1", user="U1", text="only you")["message_ts"]
    assert slack_api.ephemeral[0]["user"] == "U1"

    view = slack_client.views_publish(user_id="U1", view={"type": "home", "blocks": [SECTION]})
    assert slack_api.views["U1"]["id"] == view["view"]["id"]
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        slack_client.views_publish(
            user_id="U1", view={"type": "home", "blocks": [{"type": "section"}]}
        )

    assert slack_client.conversations_info(channel="C1")["channel"]["id"] == "C1"
    with pytest.raises(SlackApiError) as e:
        slack_client.api_call("chat.nonsense")
    assert e.value.response["error"] == "unknown_method"


def test_stopping_leaves_no_threads() -> None:
    before = set(threading.enumerate())
    with running() as api:
        client = WebClient(token=BOT_TOKEN, base_url=api.base_url)
        for _ in range(5):
            client.auth_test()
    assert set(threading.enumerate()) == before
