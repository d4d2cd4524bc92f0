"""Suite-wide rule: with RELEASEBOT_TEST_REQUIRE_ALL=1 (as CI sets it) a skipped test fails.

A test may skip where PostgreSQL, Prometheus or kubectl are absent on a developer's machine;
in CI every one of them is installed, so a skip there means something is missing.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

REQUIRE_ALL = os.environ.get("RELEASEBOT_TEST_REQUIRE_ALL") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if REQUIRE_ALL and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = (
            f"skipped, but RELEASEBOT_TEST_REQUIRE_ALL=1 forbids skips: {report.longrepr}"
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, object, None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if REQUIRE_ALL and report.skipped:
        report.outcome = "failed"
        report.longrepr = (
            f"module skipped, but RELEASEBOT_TEST_REQUIRE_ALL=1 forbids skips: {report.longrepr}"
        )
