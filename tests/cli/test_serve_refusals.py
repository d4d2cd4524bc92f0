"""`releasebot serve` refuses what cannot work with one sentence, before it claims to serve
anything and before it writes a database: run as a person runs it, in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.slack.standin.webapi import running
from tests.workflow.harness import CONFIG_YAML

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-1234-5678-abcdefghijkl",
    "SLACK_SIGNING_SECRET": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "RELEASEBOT_BUILD_HOOK_SECRET": "a9b8c7d6e5f40312ffeeddccbbaa",
}


def serve(folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`releasebot serve` in ``folder`` (its default releasebot.yml and releasebot.db live
    there) with only the variables given; it must refuse, so it must also end."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "RELEASEBOT_"))}
    return subprocess.run(
        [sys.executable, "-m", "commands.cli", "serve", "--port", "0"],
        capture_output=True,
        text=True,
        cwd=folder,
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        timeout=120,
    )


def refused(done: subprocess.CompletedProcess[str], folder: Path) -> str:
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout == "", done.stdout  # nothing claims to serve
    assert "Traceback" not in done.stderr, done.stderr
    assert not (folder / "releasebot.db").exists()
    return done.stderr


def test_without_slack_tokens_it_names_both_modes(tmp_path: Path) -> None:
    err = refused(serve(tmp_path), tmp_path)
    assert "SLACK_BOT_TOKEN is not set" in err
    assert "SLACK_APP_TOKEN (xapp-…) for Socket Mode" in err
    assert "SLACK_SIGNING_SECRET for HTTP mode" in err


def test_without_the_build_hook_secret_it_says_so_once(tmp_path: Path) -> None:
    (tmp_path / "releasebot.yml").write_text(CONFIG_YAML)
    env = {k: v for k, v in SECRETS.items() if k != "RELEASEBOT_BUILD_HOOK_SECRET"}
    err = refused(serve(tmp_path, **env), tmp_path)
    assert err.count("RELEASEBOT_BUILD_HOOK_SECRET is not set") == 1, err
    assert len(err.strip().splitlines()) == 1, err


def test_without_releasebot_yml_it_says_so_once(tmp_path: Path) -> None:
    err = refused(serve(tmp_path, **SECRETS), tmp_path)
    assert err.count("releasebot.yml: cannot read the configuration file") == 1, err
    assert len(err.strip().splitlines()) == 1, err


def test_a_slack_that_does_not_answer_is_one_line_with_its_address(tmp_path: Path) -> None:
    (tmp_path / "releasebot.yml").write_text(CONFIG_YAML)
    err = refused(serve(tmp_path, **SECRETS, SLACK_API_URL="http://127.0.0.1:9/api/"), tmp_path)
    assert len(err.strip().splitlines()) == 1, err
    assert "Slack's Web API at http://127.0.0.1:9/api/ did not answer auth.test" in err
    assert "check the network, a proxy, and SLACK_API_URL" in err


def test_a_bot_token_slack_refuses_is_one_line_with_what_to_check(tmp_path: Path) -> None:
    (tmp_path / "releasebot.yml").write_text(CONFIG_YAML)
    with running(tokens={"xoxb-9999-other-app-token": "U0OTHER"}) as slack:
        url = slack.base_url
        done = serve(tmp_path, **SECRETS, SLACK_API_URL=url)
    err = refused(done, tmp_path)
    assert len(err.strip().splitlines()) == 1, err
    assert f"Slack at {url} refused the bot token" in err
    assert "'invalid_auth'" in err and "SLACK_BOT_TOKEN" in err
