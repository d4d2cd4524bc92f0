"""Constraint violations as answers, without spoiling the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

T = TypeVar("T")


def attempt(session: Session, write: Callable[[], T]) -> T | IntegrityError:
    """Run ``write`` and flush inside a SAVEPOINT; on a constraint violation roll back just that.

    On PostgreSQL a failed statement aborts the whole transaction; the savepoint keeps the
    caller's earlier work (and its transaction) usable, so the violation can be reported as a
    project error and the caller decides whether to commit what it did before.
    """
    savepoint = session.begin_nested()
    try:
        result = write()
        session.flush()
    except IntegrityError as err:
        savepoint.rollback()
        return err
    savepoint.commit()
    return result
