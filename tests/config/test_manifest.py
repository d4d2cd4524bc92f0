"""manifest.yml is valid for Slack and asks for exactly what the bot uses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_NAME = "slack-app-manifest.schema.1.0.0.json"
SHARED = ROOT.parent / "shared" / "schemas"
BUNDLED = ROOT / "tests" / "data"


def schema_path() -> Path:
    shared = SHARED / SCHEMA_NAME
    return shared if shared.exists() else BUNDLED / SCHEMA_NAME


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_manifest_validates_against_slack_schema(manifest: dict[str, Any]) -> None:
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(manifest)]
    assert errors == []


def test_schema_validation_can_fail(manifest: dict[str, Any]) -> None:
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    broken = {
        **manifest,
        "features": {**manifest["features"], "slash_commands": [{"command": "deploy"}]},
    }
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))


def test_bundled_schema_matches_shared_copy() -> None:
    if not (SHARED / SCHEMA_NAME).exists():
        pytest.skip("../shared/schemas is absent; the bundled copy is the only one")
    for name in (SCHEMA_NAME, "slack-app-manifest.LICENSE"):
        assert (BUNDLED / name).read_bytes() == (SHARED / name).read_bytes()


def test_manifest_declares_what_the_bot_uses(manifest: dict[str, Any]) -> None:
    assert manifest["_metadata"]["major_version"] == 1
    assert manifest["display_information"]["name"] == "releasebot"
    assert manifest["features"]["bot_user"]["display_name"] == "releasebot"
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert set(commands) == {"/deploy", "/rollback", "/releases", "/freeze"}
    assert all(c["usage_hint"] and c["description"] for c in commands.values())
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "reaction_added",
        "app_home_opened",
    }
    assert manifest["oauth_config"]["scopes"] == {
        "bot": ["commands", "chat:write", "reactions:read", "usergroups:read"]
    }
