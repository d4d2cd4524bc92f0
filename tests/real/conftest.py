"""``backend``: every test here runs twice, on the sim and on the real control plane."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.real.backends import Backend, real_backend, sim_backend

NAMESPACE = "apps"


@pytest.fixture(params=["sim", pytest.param("real", marks=pytest.mark.realcluster)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sim":
        with sim_backend(tmp_path, NAMESPACE) as b:
            yield b
    else:
        with real_backend(request.getfixturevalue("control_plane")) as b:
            yield b
