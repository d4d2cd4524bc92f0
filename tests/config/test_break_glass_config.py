"""The per-environment ``break_glass`` block: validated like ``approvals``, documented in the
example file, with every mistake naming the file, the key path and what is allowed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import check_config, load_config
from tests.config.helpers import base, write

ROOT = Path(__file__).resolve().parents[2]
KEY = "environments.production.break_glass"


def _with_break_glass(block: object) -> dict[str, Any]:
    data = base()
    data["environments"]["production"]["break_glass"] = block
    return data


def test_the_example_documents_break_glass() -> None:
    config = load_config(ROOT / "releasebot.example.yml")
    glass = config.environment("production").break_glass
    assert glass is not None
    assert (glass.required, glass.individuals, glass.groups) == (1, ("U024BE7LH",), ("S0614TZR7",))
    assert glass.expire_after == timedelta(minutes=30)
    assert config.environment("staging").break_glass is None


def test_break_glass_is_optional_and_expires_sooner_by_default(tmp_path: Path) -> None:
    path = write(tmp_path, _with_break_glass({"required": 1, "approvers": ["@oncall"]}))
    config = load_config(path)
    glass = config.environment("production").break_glass
    assert glass is not None and glass.expire_after == timedelta(minutes=30)
    assert config.environment("staging").break_glass is None
    approvals = config.environment("production").approvals
    assert approvals is not None and approvals.expire_after == timedelta(hours=2)


@pytest.mark.parametrize(
    ("block", "key_path", "expected"),
    [
        (
            {"required": 1, "approvers": ["@oncall"], "reason": "x"},
            KEY,
            "unknown key 'reason' (allowed: required, approvers, expire_after)",
        ),
        ({"approvers": ["@oncall"]}, f"{KEY}.required", "missing required key"),
        ({"required": 1}, f"{KEY}.approvers", "missing required key"),
        ({"required": 1, "approvers": []}, f"{KEY}.approvers", "at least 1"),
        (
            {"required": 1, "approvers": ["oncall"]},
            f"{KEY}.approvers[0]",
            "found 'oncall', allowed: a Slack",
        ),
        (
            {"required": 3, "approvers": ["U024BE7LH", "U0G9QF9C6"]},
            f"{KEY}.required",
            "found 3, allowed: at most 2, the number of individual approvers listed",
        ),
        (
            {"required": 1, "approvers": ["@oncall"], "expire_after": "soon"},
            f"{KEY}.expire_after",
            "found 'soon', allowed: a duration",
        ),
        ("yes", KEY, "found 'yes', allowed: a mapping of keys"),
    ],
)
def test_a_mistake_in_break_glass_names_file_key_and_allowed(
    tmp_path: Path, block: object, key_path: str, expected: str
) -> None:
    path = write(tmp_path, _with_break_glass(block))
    problems = check_config(path)
    matching = [p for p in problems if p.startswith(f"{path}:") and f": {key_path}: " in p]
    assert matching, f"no problem at {key_path!r} in {problems}"
    assert any(expected in p for p in matching), problems
