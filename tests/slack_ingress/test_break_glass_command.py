"""``/deploy … break-glass because <reason>``: parsing, refusals with a correct example, help,
and what reaches the workflow (no Slack needed; the HTTP path is in tests/e2e)."""

from __future__ import annotations

import copy

import pytest
import yaml

from bot.config import ReleasebotConfig, parse_config
from bot.slack.slash import CommandRequest
from bot.workflow.model import Actor
from commands import SLASH_COMMANDS
from commands.deploy import DeployArgs, parse_deploy
from commands.inputs import InputError
from tests.slack_ingress.conftest import CONFIG
from tests.slack_ingress.fakes import FakeWorkflow

EXAMPLE = "/deploy api 1.4.3 to production break-glass because checkout is down"


@pytest.fixture
def glass_config() -> ReleasebotConfig:
    data = copy.deepcopy(CONFIG)
    data["environments"]["production"]["break_glass"] = {
        "required": 1,
        "approvers": ["U0ONCALL1", "@oncall"],
    }
    return parse_config(yaml.safe_dump(data))


def _run(text: str, config: ReleasebotConfig, workflow: FakeWorkflow) -> str:
    request = CommandRequest("/deploy", text, Actor("U0ALICE", "T0FAKE"), "C0456API")
    return SLASH_COMMANDS["/deploy"](request, workflow=workflow, config=config).text


@pytest.mark.parametrize(
    "text",
    [
        "api 1.4.3 to production break-glass because checkout is down",
        "api 1.4.3 production break-glass because checkout is down",
        "  api  1.4.3 to\tproduction   break-glass because   checkout  is down ",
    ],
)
def test_break_glass_parses(text: str, glass_config: ReleasebotConfig) -> None:
    assert parse_deploy(text, glass_config) == DeployArgs(
        "api", "1.4.3", "production", "checkout is down", break_glass=True
    )


def test_the_existing_forms_are_not_break_glass(glass_config: ReleasebotConfig) -> None:
    assert parse_deploy("api 1.4.3 to production", glass_config) == DeployArgs(
        "api", "1.4.3", "production"
    )
    # "break-glass" after `because` is part of the reason, not the keyword
    assert parse_deploy("api 1.4.3 production because break-glass drill", glass_config) == (
        DeployArgs("api", "1.4.3", "production", "break-glass drill")
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("api 1.4.3 to production break-glass", "A break-glass deploy needs a reason"),
        ("api 1.4.3 production break-glass because", "`because` must be followed by a reason"),
        ("api 1.4.3 break-glass because it is down", "`/deploy` needs an environment"),
        ("api 1.4.3 break-glass production because x", "more words than it understands"),
    ],
)
def test_break_glass_refusals(text: str, says: str, glass_config: ReleasebotConfig) -> None:
    with pytest.raises(InputError) as raised:
        parse_deploy(text, glass_config)
    assert says in str(raised.value)


def test_a_missing_reason_is_answered_with_a_correct_example(
    glass_config: ReleasebotConfig,
) -> None:
    workflow = FakeWorkflow()
    reply = _run("api 1.4.3 to production break-glass", glass_config, workflow)
    assert reply.startswith("A break-glass deploy needs a reason")
    assert f"for example `{EXAMPLE}`" in reply
    assert workflow.calls == []


def test_break_glass_reaches_the_workflow_with_its_reason(glass_config: ReleasebotConfig) -> None:
    workflow = FakeWorkflow()
    _run("api 1.4.3 to production break-glass because checkout is down", glass_config, workflow)
    [call] = workflow.calls
    assert call.method == "request_deploy"
    assert call.kwargs["break_glass"] is True
    assert call.kwargs["reason"] == "checkout is down"
    _run("api 1.4.3 to production because routine", glass_config, workflow)
    assert workflow.calls[1].kwargs["break_glass"] is False


def test_help_mentions_break_glass_and_where_it_is_possible(
    glass_config: ReleasebotConfig, config: ReleasebotConfig
) -> None:
    reply = _run("help", glass_config, FakeWorkflow())
    assert "[break-glass] [because <reason>]" in reply
    assert f"`{EXAMPLE}`" in reply
    assert "Possible in: `production`." in reply
    without = _run("help", config, FakeWorkflow())
    assert "Possible in: no environment yet (set `break_glass` on one in releasebot.yml)" in without
