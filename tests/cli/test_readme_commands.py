"""The README's table of commands lists every `releasebot` command, in one Markdown table."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from commands.cli import _parser

ROOT = Path(__file__).resolve().parents[2]


def table_after(heading: str) -> list[str]:
    """The rows of the first table under ``heading``: a blank line ends a Markdown table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(f"\n{heading}\n", 1)[1].lstrip("\n")
    rows = []
    for line in section.splitlines():
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def commands_of(parser: argparse.ArgumentParser, prefix: str = "") -> set[str]:
    """``demo``, ``db upgrade``…: each command a person can type, nested ones in full."""
    found: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found |= commands_of(child, f"{prefix}{name} ") or {f"{prefix}{name}"}
    return found


def test_every_command_has_its_row_in_one_table() -> None:
    rows = table_after("## Other commands")
    shown = {
        m.group(1) for row in rows if (m := re.match(r"\| `releasebot ([a-z-]+(?: [a-z-]+)*)", row))
    }
    expected = commands_of(_parser())
    assert "serve" in expected and "db upgrade" in expected
    assert shown == expected
