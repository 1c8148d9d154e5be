"""Engine and session factory, chosen by ``DATABASE_URL``.

SQLite is the embedded default (``data/founderdeck.db``); any SQLAlchemy URL, e.g.
``postgresql+psycopg://user@host/db``, selects another database with no code change.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "founderdeck.db"

# Writers wait this long for SQLite's single write lock instead of failing at once with
# "database is locked"; the app has a handful of concurrent writers at most.
SQLITE_BUSY_TIMEOUT_MS = 15_000
# Fixed statements (PRAGMA takes no bound parameters, so none is built from a variable).
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",  # readers (the UI) keep reading while a background job writes
    "PRAGMA foreign_keys=ON",  # SQLite ignores REFERENCES unless told so, per connection
    "PRAGMA busy_timeout=15000",  # = SQLITE_BUSY_TIMEOUT_MS; a test keeps the two equal
    "PRAGMA synchronous=NORMAL",  # safe with WAL; fsync at checkpoints, not every commit
)


def database_url() -> str:
    """The URL the app uses: ``DATABASE_URL`` if set, else the embedded SQLite file."""
    url = os.environ.get("DATABASE_URL", "").strip()
    return url or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _configure_sqlite(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API types vary
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def make_engine(url: str | None = None, *, echo: bool = False) -> Engine:
    """Create an engine for ``url`` (default: :func:`database_url`), configured per dialect."""
    url = url or database_url()
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and not path.startswith("file:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            # The UI thread and Streamlit's script threads share the pool.
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit, so pages can render them."""
    return sessionmaker(bind=engine, expire_on_commit=False)
