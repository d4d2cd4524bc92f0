"""How the console numbers messages and finds the button or message a person means."""

from __future__ import annotations

from bot.slack import actions
from bot.slack.standin.webapi import Message
from commands.console.channel import Channel, draw, message_number
from commands.console.render import Button, Drawn

ACTION_IDS = {"Approve": actions.APPROVE, "Reject": actions.REJECT}


def buttons(*labels: str) -> tuple[Button, ...]:
    return tuple(
        Button(
            number=i,
            label=label,
            action_id=ACTION_IDS.get(label, f"a.{label.lower()}"),
            value="v",
            block_id="b",
        )
        for i, label in enumerate(labels, start=1)
    )


def post(channel: Channel, ts: str, *labels: str, thread: str | None = None) -> None:
    message = Message("C1", ts, "U0BOT", f"message {ts}", None, thread)
    channel.record(message, Drawn((f"message {ts}",), buttons(*labels)))


def test_edits_keep_their_number_and_replies_name_their_parent() -> None:
    channel = Channel()
    post(channel, "1.1", "Deploy to production")
    post(channel, "1.2", "Approve", "Reject")
    post(channel, "1.3", thread="1.2")
    post(channel, "1.2")  # edited: the buttons are gone
    assert [s.number for s in channel.order] == [1, 2, 3]
    assert channel.order[1].edits == 1 and channel.order[1].drawn.buttons == ()
    assert draw(channel.order[1], edited=True).startswith("#2 releasebot · #releases · edited")
    assert draw(channel.order[2], edited=False).startswith(
        "    #3 releasebot · reply in the thread of #2"
    )


def test_a_button_is_found_on_the_latest_message_that_has_it() -> None:
    channel = Channel()
    post(channel, "1.1", "Deploy to production")
    post(channel, "1.2", "Approve", "Reject")
    found = channel.find_button("approve", None)
    assert not isinstance(found, str) and (found[0].number, found[1].label) == (2, "Approve")
    found = channel.find_button("production", None)  # a part only one button has
    assert not isinstance(found, str) and (found[0].number, found[1].number) == (1, 1)
    found = channel.find_button("2", None)  # a number means the latest message with buttons
    assert not isinstance(found, str) and (found[0].number, found[1].label) == (2, "Reject")
    found = channel.find_button("1", 1)
    assert not isinstance(found, str) and found[1].label == "Deploy to production"


def test_what_cannot_be_clicked_says_what_can() -> None:
    channel = Channel()
    assert channel.find_button("approve", None) == (
        "No message has buttons right now. Buttons come with build announcements "
        "(Deploy to …) and with requests that need approval. Messages: none yet."
    )
    post(channel, "0.9")
    assert channel.find_button("approve", None) == (
        "No message has buttons right now. Buttons come with build announcements "
        "(Deploy to …) and with requests that need approval. Messages: #1 message 0.9."
    )
    channel = Channel()
    post(channel, "1.1", "Approve", "Reject")
    post(channel, "1.2")
    assert channel.find_button("merge", None) == (
        "No message has a button 'merge'. Buttons now: #1 [1 Approve] [2 Reject]."
    )
    assert channel.find_button("approve", 2) == "#2 has no buttons (any more)."
    assert channel.find_button("approve", 7) == (
        "There is no message #7; messages so far: #1 to #2."
    )
    assert channel.find_button("merge", 1) == (
        "#1 has no button 'merge'. Its buttons: [1 Approve] [2 Reject]."
    )


def test_reactions_go_to_the_latest_request_and_nowhere_else() -> None:
    channel = Channel()
    assert isinstance(channel.latest_request(), str)
    post(channel, "1.1", "Deploy to production")  # a build announcement takes no votes
    assert channel.latest_request() == (
        "No message waits for approval, so a reaction would count for nothing. Messages: "
        "#1 message 1.1. React on one of them with react <emoji> #n."
    )
    post(channel, "1.2", "Approve", "Reject")
    post(channel, "1.3", thread="1.2")
    request = channel.latest_request()
    assert not isinstance(request, str) and request.number == 2
    post(channel, "1.2")  # approved: no buttons any more, so no vote counts there
    refused = channel.latest_request()
    assert isinstance(refused, str)
    assert "Messages: #1 message 1.1; #2 message 1.2." in refused  # thread replies not listed


def test_message_numbers_anywhere_in_the_words() -> None:
    assert message_number(["approve", "#3"]) == (3, ["approve"])
    assert message_number(["#12", "deploy", "to", "production"]) == (
        12,
        ["deploy", "to", "production"],
    )
    assert message_number(["approve"]) == (None, ["approve"])
