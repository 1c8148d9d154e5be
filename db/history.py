"""Change history recorded automatically on every flush.

Hooked on the Session class rather than called from each repository, so no write path can
forget it: a create, an update, a soft delete or a restore of any tracked row leaves one
``change_log`` row with the values before and after, the actor and the time.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from db.models import ChangeLog, Tracked, Workspace, utcnow

_PENDING = "_founderdeck_pending_history"
# Bookkeeping columns that change on every write and would only add noise to a diff.
_NOISE = {"updated_at", "version"}
# Built once: every flush writes through it, and a statement object keeps its compiled-cache key.
_INSERT = insert(ChangeLog.__table__)


@cache
def _keys(mapper: Any) -> tuple[str, ...]:
    """The column attributes a snapshot records, per mapper (fixed once mapped; looked up per written row)."""
    return tuple(a.key for a in mapper.column_attrs if a.key not in _NOISE)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _snapshot(obj: Tracked, *, before: bool = False) -> dict[str, Any]:
    state = inspect(obj)
    values: dict[str, Any] = {}
    for key in _keys(state.mapper):
        if before:
            hist = state.attrs[key].history
            value = hist.deleted[0] if hist.deleted else getattr(obj, key)
        else:
            value = getattr(obj, key)
        values[key] = _jsonable(value)
    return values


def _workspace_id(obj: Tracked) -> int | None:
    if isinstance(obj, Workspace):
        return obj.id
    return getattr(obj, "workspace_id", None)


def _entry(session: Session, obj: Tracked, action: str, before: dict | None, after: dict | None) -> dict:
    return {
        "at": utcnow(),
        "actor": str(session.info.get("actor", "system")),
        "workspace_id": _workspace_id(obj),
        "table_name": obj.__tablename__,
        "row_id": obj.id,
        "action": action,
        "before": before,
        "after": after,
    }


@event.listens_for(Session, "before_flush")
def _collect_changes(session: Session, _ctx: Any, _instances: Any) -> None:
    pending: list[dict] = session.info.setdefault(_PENDING, [])
    for obj in session.dirty:
        if not isinstance(obj, Tracked) or not session.is_modified(obj, include_collections=False):
            continue
        before, after = _snapshot(obj, before=True), _snapshot(obj)
        changed = {k for k in after if before.get(k) != after.get(k)}
        if not changed:
            continue
        if "deleted_at" in changed:
            action = "delete" if after["deleted_at"] else "restore"
        else:
            action = "update"
        pending.append(_entry(session, obj, action, before, after))
    for obj in session.deleted:
        if isinstance(obj, Tracked):
            pending.append(_entry(session, obj, "purge", _snapshot(obj), None))


@event.listens_for(Session, "after_flush")
def _write_changes(session: Session, _ctx: Any) -> None:
    pending: list[dict] = session.info.pop(_PENDING, [])
    # New rows have their primary keys only now, after the INSERT.
    for obj in session.new:
        if isinstance(obj, Tracked):
            pending.append(_entry(session, obj, "create", None, _snapshot(obj)))
    if pending:
        session.connection().execute(_INSERT, pending)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
