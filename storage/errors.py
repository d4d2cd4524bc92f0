"""The storage errors callers act on; each says whether trying again can help."""

from __future__ import annotations

import uuid
from typing import ClassVar


class StorageError(Exception):
    """Base class; ``retryable`` tells the caller whether the same call may succeed later."""

    retryable: ClassVar[bool] = False


class DatabaseUnavailable(StorageError):
    """The database cannot be reached; callers fail closed (nothing is patched)."""

    retryable = True

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(
            f"cannot reach the database at {url}: {reason}. Nothing was changed; check that "
            "the database is running and that RELEASEBOT_DATABASE_URL points at it, then retry."
        )


class ConnectionLost(DatabaseUnavailable):
    """An open connection died under a statement (the server ended the session: a failover,
    ``pg_terminate_backend``). The server rolled the transaction back, and the pool opens a
    new connection for the next one, so the same unit of work may be run again at once."""


class ReleaseLocked(StorageError):
    """Another release is active for the same service and environment."""

    def __init__(
        self,
        *,
        service: str,
        environment: str,
        holder_id: uuid.UUID,
        holder_requester: str,
        holder_state: str,
    ) -> None:
        self.service = service
        self.environment = environment
        self.holder_id = holder_id
        self.holder_requester = holder_requester
        self.holder_state = holder_state
        super().__init__(
            f"{service} in {environment} already has an active release {holder_id} "
            f"(requested by {holder_requester}, state {holder_state}); wait for it to finish "
            "or cancel it first."
        )


class StaleState(StorageError):
    """A release was not in the expected state: another actor moved it first; re-read it."""

    def __init__(self, *, release_id: uuid.UUID, expected: str, actual: str | None) -> None:
        self.release_id = release_id
        self.expected = expected
        self.actual = actual
        found = "does not exist" if actual is None else f"is {actual}"
        super().__init__(f"release {release_id} was expected to be {expected} but {found}")


class BuildConflict(StorageError):
    """CI announced a version already recorded with a different image digest."""

    def __init__(self, *, service: str, version: str, known: str, announced: str) -> None:
        self.service = service
        self.version = version
        super().__init__(
            f"{service} {version} is already recorded with digest {known}, not {announced}; "
            "a version names one artifact, so publish the rebuild under a new version."
        )


class AuditAppendFailed(StorageError):
    """The audit log tail kept moving under us; the caller's transaction should be retried."""

    retryable = True
