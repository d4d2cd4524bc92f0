"""Waiting in tests for something another thread or process makes true.

Prefer an event the code under test already gives (a ``threading.Event``, a queue, a watch
event, ``join``); poll with :func:`wait_until` only when there is none. A poll ends as soon as
the condition holds, so its timeout costs nothing when things work and only bounds how long a
broken test hangs before it says what it was waiting for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

INTERVAL = 0.01
"""Real seconds between two looks: short, since most conditions hold within milliseconds."""


def wait_until(
    predicate: Callable[[], T],
    *,
    what: str | Callable[[], str],
    timeout: float = 5.0,
    interval: float = INTERVAL,
) -> T:
    """Return ``predicate()``'s first truthy value; raise AssertionError naming ``what`` if
    none comes within ``timeout`` real seconds. A callable ``what`` is asked at the timeout,
    so the message can show the state the test gave up on."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            described = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout:g} s waiting for {described}")
        time.sleep(interval)
