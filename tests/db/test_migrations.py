"""Alembic migrations: empty → head → base, models match head, and data survives every upgrade."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, MetaData, String, Text, inspect, select

from db import migrate
from db.demo import create_demo_workspace
from db.engine import make_engine, make_session_factory
from db.models import Base
from tests.conftest import ROOT

pytestmark = pytest.mark.db


def _user_tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_empty_database_to_head_then_down_to_base(db_url):
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    assert _user_tables(engine) == set(Base.metadata.tables)
    assert migrate.current_revision(engine) == migrate.revisions()[-1]
    migrate.downgrade(db_url, "base")
    assert _user_tables(engine) == set()
    engine.dispose()


def test_models_and_migrations_agree(db_url):
    """A model change without a migration (or the reverse) fails here, not in production."""
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert diff == []


def _sample(column) -> object:
    kind = column.type
    if isinstance(kind, Boolean):
        return True
    if isinstance(kind, Integer):
        return 1
    if isinstance(kind, Float):
        return 1.5
    if isinstance(kind, DateTime):
        return datetime(2026, 1, 2, 3, 4, 5)
    if isinstance(kind, Date):
        return date(2026, 1, 2)
    if isinstance(kind, JSON):
        return {"k": 1}
    if isinstance(kind, String | Text):
        return "FS"[: getattr(kind, "length", None) or 2]
    raise AssertionError(f"no sample for {column!r}")


@pytest.mark.parametrize("revision", migrate.revisions())
def test_data_written_at_each_revision_survives_upgrade_to_head(db_url, revision):
    migrate.upgrade(db_url, revision)
    engine = make_engine(db_url)
    old = MetaData()
    old.reflect(engine)
    written: dict[str, dict] = {}
    with engine.begin() as conn:
        for table in old.sorted_tables:
            if table.name == "alembic_version":
                continue
            row = {c.name: _sample(c) for c in table.columns}
            conn.execute(table.insert().values(row))
            written[table.name] = row
    migrate.upgrade(db_url)
    new = MetaData()
    new.reflect(engine)
    with engine.connect() as conn:
        for name, row in written.items():
            stored = conn.execute(select(new.tables[name])).mappings().one()
            for column, value in row.items():
                if column in stored:
                    assert stored[column] == value, (name, column)
    engine.dispose()


def test_cli_upgrade_and_demo_are_idempotent(db_url):
    env = {**os.environ, "DATABASE_URL": db_url}
    run = lambda *args: subprocess.run([sys.executable, "-m", "db", *args], cwd=ROOT, env=env,  # noqa: E731
                                       capture_output=True, text=True, check=True).stdout
    assert "database at" in run("upgrade")
    assert "created demo workspace" in run("demo")
    assert "no demo added" in run("demo")
    assert "'Lexora AI (demo 2)'" in run("demo", "--force")
    assert run("current").strip() == migrate.revisions()[-1]


def _demo_rows(tmp_path) -> dict[str, list[dict]]:
    """Every row of a demo workspace built by today's code on a head-revision SQLite file."""
    url = f"sqlite:///{tmp_path / 'demo-at-head.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine).begin() as session:
        create_demo_workspace(session=session, today=date(2026, 6, 1))
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        rows = {t.name: [dict(r) for r in conn.execute(select(t)).mappings()] for t in meta.sorted_tables}
    engine.dispose()
    return rows


@pytest.mark.parametrize("revision", migrate.revisions()[:-1])
def test_demo_workspace_written_at_an_earlier_revision_upgrades_intact(db_url, tmp_path, revision):
    """A database in use at ``revision`` — holding the demo workspace's rows as far as that schema
    has room for them — keeps every row and value when upgraded to head."""
    demo = _demo_rows(tmp_path)
    migrate.upgrade(db_url, revision)
    engine = make_engine(db_url)
    old = MetaData()
    old.reflect(engine)
    written: dict[str, list[dict]] = {}
    with engine.begin() as conn:
        for table in old.sorted_tables:
            if table.name == "alembic_version" or not demo.get(table.name):
                continue
            rows = [{c.name: row[c.name] for c in table.columns} for row in demo[table.name]]
            conn.execute(table.insert(), rows)
            written[table.name] = rows
    assert written.get("task"), "the demo should put tasks in every revision's schema"
    migrate.upgrade(db_url)
    new = MetaData()
    new.reflect(engine)
    with engine.connect() as conn:
        for name, rows in written.items():
            table = new.tables[name]
            stored = {r["id"]: r for r in conn.execute(select(table)).mappings()}
            assert len(stored) == len(rows), name
            for row in rows:
                assert {c: stored[row["id"]][c] for c in row} == row, (name, row["id"])
    engine.dispose()
