"""Test helpers shared by several modules."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from db.models import Base


def table_counts(factory: sessionmaker[Session]) -> dict[str, int]:
    """Rows per table, to prove a refused call changed nothing."""
    with factory() as session:
        return {name: session.scalar(select(func.count()).select_from(t)) for name, t in Base.metadata.tables.items()}


def table_dump(factory: sessionmaker[Session]) -> dict[str, list[tuple]]:
    """Every row of every table, ordered, for exact before/after comparisons."""
    with factory() as session:
        return {
            name: [tuple(r) for r in session.execute(select(t).order_by(*t.primary_key.columns))]
            for name, t in Base.metadata.tables.items()
        }


def open_page(page: str, workspace_id: int, *, timeout: float = 60):
    """An AppTest of the router, switched to ``page`` on ``workspace_id``, that ran without an exception."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.session_state["workspace_id"] = workspace_id
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at
