"""Slash command texts, good and bad, with the replies their authors read (no Slack needed)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config import ReleasebotConfig
from bot.slack.mrkdwn import decode_incoming
from bot.slack.slash import CommandRequest
from bot.workflow.errors import Conflict
from bot.workflow.model import Actor
from commands import SLASH_COMMANDS
from commands.deploy import DeployArgs, parse_deploy
from commands.inputs import InputError
from commands.releases import ReleasesArgs, history_text, overview_text, parse_releases
from commands.rollback import RollbackArgs, parse_rollback
from tests.slack_ingress.fakes import FakeWorkflow

DIGEST_IMAGE = "registry.example.com/shop/api@sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("api 1.4.2 production", DeployArgs("api", "1.4.2", "production")),
        ("api 1.4.2 to production", DeployArgs("api", "1.4.2", "production")),
        ("  api   1.4.2\tto  staging ", DeployArgs("api", "1.4.2", "staging")),
        (
            "api 1.4.2 to production because the  checkout fix",
            DeployArgs("api", "1.4.2", "production", "the checkout fix"),
        ),
        (f"web {DIGEST_IMAGE} staging", DeployArgs("web", DIGEST_IMAGE, "staging")),
        (
            f"api <http://{DIGEST_IMAGE}|{DIGEST_IMAGE}> staging",
            DeployArgs("api", DIGEST_IMAGE, "staging"),
        ),
    ],
)
def test_deploy_parses(text: str, expected: DeployArgs, config: ReleasebotConfig) -> None:
    """``text`` as Slack sends it; the listener decodes it once before any command sees it."""
    assert parse_deploy(decode_incoming(text), config) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("api", "needs a version or image and an environment"),
        ("api 1.4.2", "needs an environment"),
        ("api 1.4.2 to", "needs an environment"),
        ("api 1.4.2 production now please", "more words than it understands: `now please`"),
        ("shop 1.4.2 production", "There is no service `shop`. Services: `api`, `web`."),
        ("api 1.4.2 prod", "There is no environment `prod`"),
        ("api 1.4.2 production because", "`because` must be followed by a reason"),
        ("api -1.4.2 production", "starts with `-`"),
        ("api 1.4.2;rm production", "contains `;`"),
        ("api $(id) production", "contains `$`"),
        ("api 1.4.2|x production", "contains `|`"),
        ("api `id` production", "contains a backtick"),
        ("API 1.4.2 production", "contains `A`; a name is lower-case letters, digits and `-`"),
        ("api 1.4.2\x00 production", "control character"),
        ("api 1.4.2\u200b production", "control character"),
        ("api " + "1" * 513 + " production", "is 513 characters long; at most 512"),
        ("api 1.4.2 production because " + "x" * 301, "is 301 characters long; at most 300"),
        ("api 1.4.2 production because bad\x07bell", "control character"),
    ],
)
def test_deploy_refuses_with_what_is_allowed(
    text: str, says: str, config: ReleasebotConfig
) -> None:
    with pytest.raises(InputError) as raised:
        parse_deploy(text, config)
    assert says in str(raised.value)


def _run(command: str, text: str, config: ReleasebotConfig, workflow: FakeWorkflow) -> str:
    request = CommandRequest(command, text, Actor("U0ALICE", "T0FAKE"), "C0456API")
    return SLASH_COMMANDS[command](request, workflow=workflow, config=config).text


def test_a_refused_deploy_shows_usage_and_an_example(config: ReleasebotConfig) -> None:
    workflow = FakeWorkflow()
    text = _run("/deploy", "api 1.4.2 prod", config, workflow)
    assert text.startswith("There is no environment `prod`. Environments: ")
    assert "Use `/deploy <service> <version | image> [to] <environment>" in text
    assert "for example `/deploy api 1.4.2 to production because the checkout fix`" in text
    assert workflow.calls == []


@pytest.mark.parametrize("text", ["", "help", "  help "])
def test_deploy_help_lists_the_configuration(text: str, config: ReleasebotConfig) -> None:
    workflow = FakeWorkflow()
    reply = _run("/deploy", text, config, workflow)
    assert "Services: `api`, `web`" in reply
    assert "`staging` (auto)" in reply and "`production` (approval)" in reply
    assert workflow.calls == []


def test_a_workflow_refusal_is_the_reply(config: ReleasebotConfig) -> None:
    workflow = FakeWorkflow(refuse=Conflict("api in production is held by release 42."))
    assert _run("/deploy", "api 1.4.2 production", config, workflow) == (
        "api in production is held by release 42."
    )


def test_an_unexpected_failure_tells_the_author_to_look_first(config: ReleasebotConfig) -> None:
    workflow = FakeWorkflow(refuse=RuntimeError("boom"))  # type: ignore[arg-type]
    reply = _run("/rollback", "api production", config, workflow)
    assert "internal error" in reply and "/releases" in reply
    assert "boom" not in reply


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("api production", RollbackArgs("api", "production")),
        ("api production to 1.4.1", RollbackArgs("api", "production", to_version="1.4.1")),
        ("api production revision 12", RollbackArgs("api", "production", to_revision=12)),
    ],
)
def test_rollback_parses(text: str, expected: RollbackArgs, config: ReleasebotConfig) -> None:
    assert parse_rollback(text, config) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "needs a service and an environment"),
        ("api", "needs an environment"),
        ("api production revision 0", "positive whole number"),
        ("api production revision -3", "positive whole number"),
        ("api production revision 12abc", "positive whole number"),
        ("api production revision 99999999999", "positive whole number"),
        ("api production to", "more words than it understands: `to`"),
        ("api production to -x", "starts with `-`"),
        ("api production back", "more words than it understands: `back`"),
    ],
)
def test_rollback_refuses(text: str, says: str, config: ReleasebotConfig) -> None:
    with pytest.raises(InputError) as raised:
        parse_rollback(text, config)
    assert says in str(raised.value)


def test_rollback_calls_the_workflow(config: ReleasebotConfig) -> None:
    workflow = FakeWorkflow()
    reply = _run("/rollback", "api production revision 7", config, workflow)
    [call] = workflow.calls
    assert call.method == "request_rollback"
    assert call.kwargs["to_revision"] == 7 and call.kwargs["to_version"] is None
    assert reply.startswith("Rollback of *api* in *production*")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ReleasesArgs()),
        ("api", ReleasesArgs("api")),
        ("api staging", ReleasesArgs("api", "staging")),
        ("history api production", ReleasesArgs("api", "production", history=True)),
    ],
)
def test_releases_parses(text: str, expected: ReleasesArgs, config: ReleasebotConfig) -> None:
    assert parse_releases(text, config) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("history api", "needs an environment"),
        ("history", "needs a service and an environment"),
        ("api staging extra", "more words"),
        ("nope", "There is no service `nope`"),
    ],
)
def test_releases_refuses(text: str, says: str, config: ReleasebotConfig) -> None:
    with pytest.raises(InputError) as raised:
        parse_releases(text, config)
    assert says in str(raised.value)


def test_releases_shows_what_runs_and_who_is_awaited(config: ReleasebotConfig) -> None:
    reply = _run("/releases", "", config, FakeWorkflow())
    assert "• api in production: 1.4.1, revision 7, since 2026-11-20 09:30 UTC, by <@U0ALICE>" in (
        reply
    )
    assert "awaiting approval, 0/2 approvals from <@U024BE7LH>, `@release-managers`" in reply


def test_releases_marks_break_glass_releases() -> None:
    emergency = replace(FakeWorkflow().view(), break_glass=True, reason="checkout is down")
    ordinary = FakeWorkflow().view()
    [marked, plain] = history_text("api", "production", [emergency, ordinary]).splitlines()[1:]
    assert ":rotating_light: break-glass deploy 1.4.2" in marked
    assert "break-glass" not in plain
    overview = overview_text(ReleasesArgs(), [], [emergency])
    assert "• :rotating_light: break-glass api 1.4.2 → production" in overview


def test_releases_history(config: ReleasebotConfig) -> None:
    reply = _run("/releases", "history api staging", config, FakeWorkflow())
    assert reply.startswith("*Last releases of api in staging*")
    assert "deploy 1.4.2: awaiting approval, by <@U0ALICE>" in reply
