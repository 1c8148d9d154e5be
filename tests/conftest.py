"""Shared fixtures: a fresh database per test (SQLite file, or PostgreSQL when DATABASE_URL says so)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker
from streamlit.runtime.pages_manager import PagesManager

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import db.history  # noqa: E402,F401 - registers the change-history listener
from db import migrate, repo  # noqa: E402
from db.demo import create_demo_workspace  # noqa: E402
from db.engine import make_engine, make_session_factory  # noqa: E402
from db.models import Base  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# CI replays the same generated cases every run, so a red build always means a change broke
# something; `make reliability` (not CI) explores new random cases each time.
settings.register_profile("ci", derandomize=True, database=None)
if IN_CI and not os.environ.get("FOUNDERDECK_PROPERTY_EXAMPLES"):
    settings.load_profile("ci")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--quality", action="store_true", help="also run the long model quality-bar checks")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Quality-bar training that does not fit CI's budget runs only under ``make quality``."""
    if config.getoption("--quality"):
        return
    skip = pytest.mark.skip(reason="long quality-bar training: run `make quality`")
    for item in items:
        if "quality" in item.keywords:
            item.add_marker(skip)


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """URL of an empty database: PostgreSQL (schema reset) if DATABASE_URL points at one, else a SQLite file."""
    pg = _postgres_url()
    if pg:
        _reset_postgres(pg)
        yield pg
    else:
        yield f"sqlite:///{tmp_path / 'founderdeck-test.db'}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database holding the current schema (create_all; migrations have their own tests)."""
    eng = make_engine(db_url)
    Base.metadata.create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def workspace_id(factory: sessionmaker[Session]) -> int:
    with factory.begin() as session:
        return repo.create_workspace(session=session, name="Test Co").id


@pytest.fixture
def navigation_only(monkeypatch):
    """Make every AppTest run execute app.py, as the server does.

    AppTest resets PagesManager's class flag before each run, so a folder named ``pages/`` next
    to app.py switches it into the legacy folder-based mode, which runs the last page's file
    directly and skips the router (no sidebar). The server flips that flag off for good at the
    first st.navigation call; this does the same for the tests.
    """
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    """A migrated SQLite file holding the demo workspace and an empty one; DATABASE_URL points at it."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    migrate.upgrade(url)
    factory = make_session_factory(make_engine(url))
    with factory.begin() as s:
        demo = create_demo_workspace(session=s, today=date.today()).id
        empty = repo.create_workspace(session=s, name="Empty Co").id
    return {"factory": factory, "demo": demo, "empty": empty}



@pytest.fixture
def demo_doc() -> dict:
    """The shipped demo scenario file (examples/demo-scenario.json), as the CLI reads it."""
    import json

    return json.loads((ROOT / "examples" / "demo-scenario.json").read_text(encoding="utf-8"))
