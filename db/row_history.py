"""One row's change history as a readable diff, for any tracked table (the pages' "History" panels)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from db import repo
from db.models import TRACKED_MODELS, ChangeLog, Tracked

# Columns that identify the row or its place, not what changed.
_HIDDEN_FIELDS = frozenset({"id", "workspace_id", "created_at"})
COLUMNS = ["when (UTC)", "who", "action", "field", "before", "after"]


def _show(value: Any, names: dict[int, str] | None = None) -> str:
    if value is None:
        return ""
    if names is not None and value in names:
        return f"{names[value]} (#{value})"
    return str(value)


def history_diff(entries: list[ChangeLog], names: dict[str, dict[int, str]] | None = None) -> pd.DataFrame:
    """Change-log entries as one line per changed field: when, who, action, field, before, after.

    A create (or purge) lists the fields it set (or removed); an update, delete or restore lists only
    the fields whose value changed. ``names`` maps a foreign-key field to {id: name}, so a change of
    owner reads "Mei Chen (#3)" rather than "3". Order follows ``entries``.
    """
    names = names or {}
    lines: list[dict[str, Any]] = []
    for e in entries:
        before, after = e.before or {}, e.after or {}
        if e.action in ("create", "purge"):
            whole = after or before
            fields = [k for k, v in whole.items() if k not in _HIDDEN_FIELDS and v not in (None, "", False)]
        else:
            fields = [k for k in after if k not in _HIDDEN_FIELDS and before.get(k) != after.get(k)]
        for key in fields or [""]:
            lines.append({"when (UTC)": e.at, "who": e.actor, "action": e.action, "field": key,
                          "before": _show(before.get(key), names.get(key)) if key else "",
                          "after": _show(after.get(key), names.get(key)) if key else ""})
    return pd.DataFrame(lines, columns=COLUMNS)


def _model(table_name: str) -> type[Tracked] | None:
    return next((m for m in TRACKED_MODELS if m.__tablename__ == table_name), None)


def _reference_names(session: Session, table_name: str, entries: list[ChangeLog]) -> dict[str, dict[int, str]]:
    """For each foreign key of the table (but the workspace): the names of the rows the entries point at."""
    model = _model(table_name)
    if model is None:
        return {}
    out: dict[str, dict[int, str]] = {}
    for column in model.__table__.columns:
        if not column.foreign_keys or column.key in _HIDDEN_FIELDS:
            continue
        target = _model(next(iter(column.foreign_keys)).column.table.name)
        label = next((a for a in ("name", "title") if target is not None and hasattr(target, a)), None)
        ids = {v for e in entries for v in ((e.before or {}).get(column.key), (e.after or {}).get(column.key))
               if isinstance(v, int)}
        if target is None or label is None or not ids:
            continue
        # Deleted rows too: the history must still say who the owner was.
        rows = session.execute(select(target.id, getattr(target, label)).where(target.id.in_(ids)))
        out[column.key] = {row_id: str(name) for row_id, name in rows}
    return out


def row_changes(*, session: Session, workspace_id: int, table_name: str, row_id: int, limit: int = 200) -> pd.DataFrame:
    """The change history of one row (newest first), field by field, from the workspace's change log."""
    entries = repo.history(session=session, workspace_id=workspace_id, table_name=table_name, row_id=row_id,
                           limit=limit)
    return history_diff(entries, _reference_names(session, table_name, entries))
