"""`releasebot check-config`: a mistake names the file, the key path and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from commands.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_the_example_configuration_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(ROOT / "releasebot.example.yml")]) == 0
    assert "configuration is valid" in capsys.readouterr().out


def test_a_mistake_is_reported_with_its_key_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / "releasebot.example.yml").read_text()
    broken = tmp_path / "releasebot.yml"
    broken.write_text(text.replace("policy: auto", "policy: sometimes", 1))
    assert main(["check-config", str(broken)]) == 1
    err = capsys.readouterr().err
    assert "policy: found 'sometimes', allowed: auto, manual, approval" in err
    assert f"{broken}: 1 problem(s); nothing was started." in err
