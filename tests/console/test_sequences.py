"""Every sequence the README, the banner and the demo's `help` show, piped as shown into a real
`releasebot demo --fast` process, with the outcome a newcomer expects from it."""

from __future__ import annotations

import re

from commands.console import messages
from tests.console.test_process import ROOT, run_script


def readme_block() -> list[str]:
    """The command column of the README's demo sequence (comments follow 3+ spaces)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("```text\n", 1)[1].split("```", 1)[0]
    return [re.split(r"\s{3,}", line.strip())[0] for line in block.splitlines() if line.strip()]


def request_number(out: str) -> int:
    found = re.search(r"^#(\d+) releasebot · #releases\n    ✋ Waiting for approval", out, re.M)
    assert found is not None, out
    return int(found.group(1))


def test_the_readme_sequence_makes_a_release_piped_as_typed() -> None:
    lines = readme_block()
    assert lines[:3] == ["/build api 1.4.3", "wait", "/deploy api 1.4.3 to production"]
    out, _ = run_script("\n".join(lines) + "\n", timeout=180)
    number = request_number(out)
    assert "No message has a button" not in out, out
    assert "No message waits for approval" not in out, out
    assert f"@alice clicks [Approve] on #{number}." in out
    assert f"@carol reacts ✅ on #{number}." in out
    assert "✅ Approved by @carol (approvals: @alice, @carol)." in out
    assert "`1.4.3` runs in production" in out
    home = out.split("App Home of releasebot, as @carol sees it:", 1)[1]
    assert "api · production: `1.4.3`" in home.split("carol>", 1)[0]
    assert "↩️ Rolled back — Release of api `1.4.4` to staging" in out
    assert "Typed in\nthis order, the examples below make a release" in out  # help
    assert out.rstrip().endswith("Stopped; nothing is left running.")


def test_the_readme_one_liner() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"`printf '([^']*)' \| uv run releasebot demo --fast`", text)
    assert found is not None
    out, _ = run_script(found.group(1).replace("\\n", "\n"), timeout=180)
    assert "✅ Finished in" in out and "`1.4.3` runs in staging" in out
    assert "(the bot is idle)" in out


def test_the_banners_try_line() -> None:
    tried = messages.BANNER.split("Try:", 1)[1].split("Type help", 1)[0]
    lines = [w.strip() for w in re.split(r"\s{2,}|\bthen\b", tried) if w.strip()]
    assert lines[0] == "/build api 1.4.3" and lines[-1] == "wait"
    out, _ = run_script("\n".join(lines) + "\n", timeout=180)
    number = request_number(out)
    assert f"@carol reacts ✅ on #{number}." in out
    assert "`1.4.3` runs in production" in out
    assert "No message has a button" not in out


HELP_OUTCOMES = {
    "/build api 1.4.3": "CI announces api 1.4.3 (POST /hooks/build answered 202).",
    "wait": "(the bot is idle)",
    "/deploy api 1.4.3 to production": "Requested api 1.4.3 → production (awaiting approval)",
    "/as alice": "You are now @alice (approver for production).",
    "click approve": "@alice voted approve (1 of 2 approvals).",
    "react ✅": "@alice reacts ✅ on #{request}.",
    "show": "#releases as it is now:",
    "home": "App Home of releasebot, as @alice sees it:",
    "break api": "The next /build of api will be a bad image",
    "people": "People in this demo (you are @alice):",
    "help": "Type what a person in Slack would do",
    "quit": "Stopped; nothing is left running.",
}


def help_examples() -> list[str]:
    """The examples of `help`, in its order, without their optional parts (``[#n]``)."""
    examples = []
    for line in messages.HELP.splitlines():
        found = re.match(r"^  (\S.*?)\s{2,}\S", line)
        if found:
            examples.append(re.sub(r"\s*\[[^]]*\]", "", found.group(1)).strip())
    return examples


def test_the_help_examples_in_their_order() -> None:
    examples = help_examples()
    assert examples == list(HELP_OUTCOMES)  # a new example in help needs its outcome here
    out, _ = run_script("\n".join(examples) + "\n", timeout=180)
    request = request_number(out)
    for example, outcome in HELP_OUTCOMES.items():
        assert outcome.format(request=request) in out, (example, out)
    assert "(2 of 2 approvals)" not in out  # alice's ✅ after her click is not a second vote


def test_a_reaction_with_no_request_says_which_messages_there_are() -> None:
    out, _ = run_script("/build api 1.4.3\nreact ✅\nclick approve\n", timeout=180)
    assert (
        "No message waits for approval, so a reaction would count for nothing. Messages: "
        "#1 📦 New build of api: `1.4.3`"
    ) in out
    assert "reacts ✅ on #1" not in out
    assert "No message has a button 'approve'. Buttons now: #1 [1 Deploy to production]." in out
