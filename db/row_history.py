"""One row's change history as a readable diff, for any tracked table (the pages' "History" panels)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from db import repo
from db.models import ChangeLog

# Columns that identify the row or its place, not what changed.
_HIDDEN_FIELDS = frozenset({"id", "workspace_id", "created_at"})
COLUMNS = ["when (UTC)", "who", "action", "field", "before", "after"]


def _show(value: Any) -> str:
    return "" if value is None else str(value)


def history_diff(entries: list[ChangeLog]) -> pd.DataFrame:
    """Change-log entries as one line per changed field: when, who, action, field, before, after.

    A create (or purge) lists the fields it set (or removed); an update, delete or restore lists only
    the fields whose value changed. Order follows ``entries``.
    """
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
                          "before": _show(before.get(key)) if key else "",
                          "after": _show(after.get(key)) if key else ""})
    return pd.DataFrame(lines, columns=COLUMNS)


def row_changes(*, session: Session, workspace_id: int, table_name: str, row_id: int, limit: int = 200) -> pd.DataFrame:
    """The change history of one row (newest first), field by field, from the workspace's change log."""
    return history_diff(repo.history(session=session, workspace_id=workspace_id, table_name=table_name,
                                     row_id=row_id, limit=limit))
