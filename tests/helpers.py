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
