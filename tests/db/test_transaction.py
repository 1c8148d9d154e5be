"""Units of work: stale edits, read-only and full databases give a clear message and write nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from db import repo
from db.engine import SQLITE_BUSY_TIMEOUT_MS, SQLITE_PRAGMAS, make_engine, make_session_factory
from db.models import Base, Project, Task
from db.transaction import StorageError, describe_storage_error, transaction
from db.validation import StaleEditError, ValidationError
from tests.helpers import table_dump

pytestmark = pytest.mark.db


def test_transaction_records_the_actor_and_commits(factory, workspace_id):
    with transaction(factory, actor="mei") as s:
        repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": "P"})
    with factory() as s:
        assert repo.history(session=s, workspace_id=workspace_id, table_name="project")[0].actor == "mei"


def test_a_concurrent_change_between_read_and_write_is_refused_not_overwritten(factory, workspace_id):
    with transaction(factory) as s:
        project_id = repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": "P"}).id
        task_id = repo.create(session=s, model=Task, values={"project_id": project_id, "name": "original"}).id
    with pytest.raises(StaleEditError, match="Someone else changed"), transaction(factory) as mine:
        task = mine.get(Task, task_id)  # I read version 1 ...
        with transaction(factory, actor="other") as theirs:  # ... someone else saves version 2 ...
            repo.update(session=theirs, model=Task, row_id=task_id, values={"name": "theirs"})
        task.name = "mine"  # ... and my save must not overwrite theirs.
    with factory() as s:
        assert repo.get(session=s, model=Task, row_id=task_id).name == "theirs"


def _read_only_engine(db_url: str):
    """The same database, opened read-only: SQLite's mode=ro, or a PostgreSQL read-only session."""
    if db_url.startswith("sqlite"):
        return make_engine(f"sqlite:///file:{db_url.split('///', 1)[1]}?mode=ro&uri=true")
    engine = make_engine(db_url)

    @event.listens_for(engine, "connect")
    def _read_only(dbapi_connection, _record):
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET default_transaction_read_only = on")
        dbapi_connection.commit()

    return engine


def test_read_only_database_gives_a_clear_message(engine, db_url, workspace_id):
    read_only = make_session_factory(_read_only_engine(db_url))
    with pytest.raises(StorageError, match="read-only: nothing was saved"), transaction(read_only) as s:
        repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": "P"})


def test_full_disk_gives_a_clear_message_and_keeps_what_was_there(db_url, workspace_id, factory):
    if not db_url.startswith("sqlite"):
        pytest.skip("a full disk is simulated with SQLite's max_page_count")
    before = table_dump(factory)
    engine = make_engine(db_url)

    @event.listens_for(engine, "connect")
    def _no_room(dbapi_connection, _record):
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count={int(pages)}")

    full = make_session_factory(engine)
    with pytest.raises(StorageError, match="disk holding the database is full"), transaction(full) as s:
        for i in range(50):
            repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": f"P{i}",
                                                          "description": "x" * 20_000})
    assert table_dump(factory) == before


def test_storage_messages_for_server_failures():
    assert "cannot be reached" in describe_storage_error(Exception("connection refused"))
    assert "nothing was saved" in describe_storage_error(Exception("something odd"))


def test_sqlite_pragmas_carry_the_busy_timeout():
    assert f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}" in SQLITE_PRAGMAS


def test_whole_numbers_must_fit_both_databases(factory, workspace_id):
    with pytest.raises(ValidationError, match="'sort_order' must be between"), transaction(factory) as s:
        repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": "P",
                                                      "sort_order": 2**40})


def test_schema_is_created_with_named_constraints(engine):
    """Named constraints let later migrations alter tables on SQLite (batch mode)."""
    fks = [fk.name for t in Base.metadata.sorted_tables for fk in t.foreign_key_constraints]
    assert all(fks) and "fk_task_project_id_project" in fks
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
