"""bot.hooks stays free of Slack, Kubernetes and commands/ (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys


def test_importing_bot_hooks_pulls_in_no_slack_kubernetes_or_commands() -> None:
    code = (
        "import sys, bot.hooks\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'slack_bolt', 'slack_sdk', 'kubernetes', 'commands'})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
