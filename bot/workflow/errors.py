"""What the workflow refuses, in words for the person who asked.

Every message says what happened and what to do next; the Slack layer shows it ephemerally
as it is. ``retryable`` says whether the same request may work later unchanged.
"""

from __future__ import annotations


class WorkflowError(Exception):
    """``mentions``: the user and group IDs the message itself names as ``<@U…>`` or
    ``<!subteam^S…>``; a surface shows those as mentions and everything else as text."""

    retryable = False

    def __init__(self, message: str, *, mentions: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.mentions = mentions


class BadRequest(WorkflowError):
    """Unknown service/environment/version, an image outside the repository, bad syntax."""


class NotAllowed(WorkflowError):
    """The actor may not do this (not an approver, the requester voting, another workspace)."""


class Conflict(WorkflowError):
    """Another release holds the (service, environment), or the release moved on meanwhile."""


class PromotionRequired(WorkflowError):
    """The digest has not succeeded in the environment named by promote_from."""


class Unavailable(WorkflowError):
    """The database or the cluster cannot be reached; nothing was changed (fail closed)."""

    retryable = True
