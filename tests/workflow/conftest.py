from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.kube.sim.serve import SimHandle
from tests.workflow.harness import Harness, harness_fixture


@pytest.fixture
def h(sim: SimHandle, tmp_path: Path) -> Iterator[Harness]:
    yield from harness_fixture(sim, tmp_path)
