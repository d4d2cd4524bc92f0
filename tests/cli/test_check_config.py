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
    assert (
        f"{broken}: 1 problem(s) in the YAML, its keys and values, or the references between "
        f"sections; fix them and run `releasebot check-config {broken}` again."
    ) in err
    assert "nothing was started" not in err  # check-config starts nothing: it says what it checked


def test_a_value_yaml_reads_as_a_comment_gets_a_hint_to_quote_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / "releasebot.example.yml").read_text()
    assert "channel: C0456API" in text
    broken = tmp_path / "releasebot.yml"
    broken.write_text(text.replace("channel: C0456API", "channel: #api-releases", 1))
    assert main(["check-config", str(broken)]) == 1
    err = capsys.readouterr().err
    assert "services.api.channel: found None" in err
    assert (
        "(YAML reads '#api-releases' as a comment, leaving channel empty; quote it to keep "
        "the '#': channel: \"#api-releases\")"
    ) in err


def test_a_file_that_cannot_be_read_says_nothing_was_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "releasebot.yml"
    assert main(["check-config", str(missing)]) == 1
    err = capsys.readouterr().err
    assert f"{missing}: cannot read the configuration file" in err
    assert f"{missing}: the file could not be read, so nothing in it was checked." in err


def test_a_valid_file_says_what_was_checked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(ROOT / "releasebot.example.yml")]) == 0
    out = capsys.readouterr().out
    assert "the YAML, every key and value, and the references between sections" in out
