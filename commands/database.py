"""What ``releasebot db`` and ``releasebot audit`` need before they touch a database: that it
exists, answers and (for reading) carries this release's schema. Each lack is one sentence
and exit code 2; a SQLite file that is not there is not created by asking about it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from commands import messages
from storage.engine import make_engine, normalize_url, redact
from storage.errors import DatabaseUnavailable
from storage.migrate import current_revision, head_revision

UNUSABLE = 2
"""Exit code when the database is missing, unreachable or not migrated: nothing was done."""


class Unusable(Exception):
    """The database cannot be used for this command; the message says what to do."""


def missing_file(url: str) -> Path | None:
    """The SQLite file ``url`` names, when it does not exist (None for any other database)."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in {None, "", ":memory:"}:
        return None
    path = Path(str(parsed.database))
    return None if path.exists() else path


def migrated_engine(url: str) -> Engine:
    """An engine on a database that exists, answers and is at the schema's head revision."""
    shown = redact(url)
    path = missing_file(url)
    if path is not None:
        raise Unusable(messages.DB_MISSING.format(url=shown, path=path))
    engine = make_engine(url)
    try:
        current = current_revision(engine)
    except DatabaseUnavailable as err:
        engine.dispose()
        raise Unusable(str(err)) from err
    head = head_revision()
    if current != head:
        engine.dispose()
        if current is None:
            raise Unusable(messages.DB_NOT_MIGRATED.format(url=shown, head=head))
        raise Unusable(messages.DB_OUTDATED.format(url=shown, current=current, head=head))
    return engine
