"""The one error a hook raises: an HTTP status the sender should see, and why."""

from __future__ import annotations


class HookRejected(Exception):
    """The request is refused; retrying the same bytes never helps, fixing them does.

    ``reason`` is shown to the sender, so it never contains the secret or the expected
    signature.
    """

    def __init__(self, status_code: int, reason: str) -> None:
        super().__init__(f"{status_code}: {reason}")
        self.status_code = status_code
        self.reason = reason
