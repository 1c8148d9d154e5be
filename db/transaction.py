"""One unit of work: a transaction that commits whole or not at all, with errors a person can act on.

Pages, CLIs and background jobs write through :func:`transaction`, so every writer gets the same
guarantees: the actor is recorded in the history, a concurrent edit surfaces as
:class:`~db.validation.StaleEditError` (never a silent overwrite), and a storage failure — a
read-only file, a full disk, a lock held too long — becomes a :class:`StorageError` that says what
happened and that nothing was saved, instead of a driver traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import InternalError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from db.validation import StaleEditError


class StorageError(RuntimeError):
    """The database could not store the change; nothing was written."""


# Fragments of driver messages (SQLite, PostgreSQL) → what the user should be told.
_STORAGE_PROBLEMS = (
    ("readonly", "The database is read-only: nothing was saved. Check the file's permissions or DATABASE_URL."),
    ("read-only", "The database is read-only: nothing was saved. Check the file's permissions or DATABASE_URL."),
    ("disk is full", "The disk holding the database is full: nothing was saved. Free some space and try again."),
    ("no space left", "The disk holding the database is full: nothing was saved. Free some space and try again."),
    ("database is locked", "The database stayed busy with another writer for too long: nothing was saved. "
                           "Try again in a moment."),
    ("could not connect", "The database server cannot be reached: nothing was saved. Check DATABASE_URL."),
    ("connection refused", "The database server cannot be reached: nothing was saved. Check DATABASE_URL."),
)


def describe_storage_error(exc: BaseException) -> str:
    """A sentence for the user about a database failure (the driver's text is kept at the end)."""
    text = str(getattr(exc, "orig", exc)).lower()
    for fragment, message in _STORAGE_PROBLEMS:
        if fragment in text:
            return message
    return f"The database refused the change, so nothing was saved ({getattr(exc, 'orig', exc)})."


@contextmanager
def transaction(factory: sessionmaker[Session], *, actor: str = "system") -> Iterator[Session]:
    """A session in one transaction attributed to ``actor``; commits on success, rolls back on error."""
    try:
        with factory.begin() as session:
            session.info["actor"] = actor
            yield session
    except StaleDataError as exc:
        raise StaleEditError(
            "Someone else changed or deleted this row while you were editing it; nothing was saved. "
            "Reload to see their change, then edit again."
        ) from exc
    except (OperationalError, InternalError) as exc:
        # SQLite reports storage trouble as OperationalError; PostgreSQL reports a read-only
        # transaction or replica as InternalError (SQLSTATE class 25).
        raise StorageError(describe_storage_error(exc)) from exc
