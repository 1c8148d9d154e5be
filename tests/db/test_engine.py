"""Engine factory: DATABASE_URL selects the database; SQLite gets WAL, foreign keys and a busy timeout."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from db.engine import DEFAULT_SQLITE_PATH, SQLITE_BUSY_TIMEOUT_MS, database_url, make_engine
from db.models import Task

pytestmark = pytest.mark.db


def test_database_url_defaults_to_the_embedded_sqlite_file(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url() == f"sqlite:///{DEFAULT_SQLITE_PATH}"
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert database_url() == "postgresql+psycopg://u@h/db"


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")  # the folder is created too
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS
    engine.dispose()


def test_the_database_itself_refuses_a_dangling_foreign_key(engine):
    """Validation names the field first; the schema is the last line of defence on every dialect."""
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(Task.__table__.insert().values(workspace_id=999, project_id=999, name="orphan", kind="task",
                                                    status="todo", percent_done=0, notes="", version=1,
                                                    created_at=text("CURRENT_TIMESTAMP"),
                                                    updated_at=text("CURRENT_TIMESTAMP")))
