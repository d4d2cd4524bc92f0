"""The Dockerfile cannot be built here (no base image can be pulled), so what matters about it
is checked as text: the locked dependencies, a non-root user, and `releasebot serve`."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instructions(name: str) -> list[str]:
    return [m.group(1) for m in re.finditer(rf"^{name}\s+(.+)$", DOCKERFILE, re.MULTILINE)]


def test_dependencies_come_from_the_lock_file() -> None:
    assert any("uv.lock" in line for line in instructions("COPY"))
    syncs = [line for line in instructions("RUN") if "uv sync" in line]
    assert syncs and all("--locked" in line and "--no-dev" in line for line in syncs)


def test_the_image_runs_as_a_non_root_user_that_the_deployment_names() -> None:
    (user,) = instructions("USER")
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0, "a numeric uid lets runAsNonRoot verify it"
    assert f"runAsUser: {uid}" in (ROOT / "deploy" / "deployment.yaml").read_text()


def test_the_entry_point_is_releasebot_serve_on_all_interfaces() -> None:
    assert instructions("ENTRYPOINT") == ['["releasebot"]']
    (cmd,) = instructions("CMD")
    assert cmd.startswith('["serve"') and '"0.0.0.0"' in cmd


def test_the_base_is_a_slim_python_the_project_supports() -> None:
    bases = instructions("FROM")
    assert all(re.match(r"python:3\.1[1-9]-slim", base) for base in bases if "uv" not in base)
