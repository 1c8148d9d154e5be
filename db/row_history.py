"""One row's change history as a readable diff, for any tracked table (the pages' "History" panels)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from db import repo
from db.models import (
    TRACKED_MODELS,
    Allocation,
    ChangeLog,
    ComputeResource,
    GpuReservation,
    Milestone,
    Person,
    Project,
    Risk,
    RiskTaskLink,
    Task,
    TaskDependency,
    Tracked,
)

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


def _fmt_number(value: float | None) -> str:
    return f"{value or 0:g}"


def row_labels(*, session: Session, workspace_id: int, table_name: str) -> dict[int, str]:
    """Live rows of one tracked table as {id: label}, oldest first, for a "History of this row" picker.

    Rows with a name (or a title) show it, tasks and milestones after their project; link rows, which have
    none, show what they connect: "Train › Tune → Train › Ship (FS+2)", "Tune ← Ada (20 h/week)".
    """
    model = _model(table_name)
    if model is None:
        raise ValueError(f"{table_name!r} is not a tracked table")

    def live(m: type[Tracked]) -> Any:
        return (m.workspace_id == workspace_id) & m.deleted_at.is_(None)  # type: ignore[attr-defined]

    def rows(stmt: Any) -> list[tuple]:
        return [tuple(r) for r in session.execute(stmt)]

    if model in (Task, Milestone):
        stmt = (select(model.id, Project.name, model.name).join(Project, Project.id == model.project_id)
                .where(live(model)).order_by(model.id))
        return {i: f"{project} › {name}" for i, project, name in rows(stmt)}
    if model is TaskDependency:
        tasks = _task_names(session, workspace_id)
        stmt = select(model.id, model.predecessor_id, model.successor_id, model.kind, model.lag_days).where(
            live(model)).order_by(model.id)
        return {i: f"{tasks.get(a, f'#{a}')} → {tasks.get(b, f'#{b}')} ({kind}"
                   f"{f'{lag:+g}' if lag else ''})" for i, a, b, kind, lag in rows(stmt)}
    if model is Allocation:
        tasks = _task_names(session, workspace_id)
        stmt = (select(model.id, model.task_id, Person.name, ComputeResource.name, model.hours_per_week,
                       model.gpu_count)
                .outerjoin(Person, Person.id == model.person_id)
                .outerjoin(ComputeResource, ComputeResource.id == model.compute_resource_id)
                .where(live(model)).order_by(model.id))
        out = {}
        for i, task, person, pool, hours, gpus in rows(stmt):
            amounts = [f"{_fmt_number(hours)} h/week" if person else "", f"{_fmt_number(gpus)} GPUs" if pool else ""]
            who = " + ".join(n for n in (person, pool) if n) or "nobody"
            out[i] = f"{tasks.get(task, f'#{task}')} ← {who} ({', '.join(a for a in amounts if a)})"
        return out
    if model is GpuReservation:
        stmt = select(model.id, model.count, model.gpu_type, model.start_date, model.end_date,
                      model.provider).where(live(model)).order_by(model.id)
        return {i: f"{count} × {gpu}, {start} to {end}" + (f" ({provider})" if provider else "")
                for i, count, gpu, start, end, provider in rows(stmt)}
    if model is RiskTaskLink:
        tasks = _task_names(session, workspace_id)
        stmt = (select(model.id, Risk.title, model.task_id).join(Risk, Risk.id == model.risk_id)
                .where(live(model)).order_by(model.id))
        return {i: f"{title} → {tasks.get(task, f'#{task}')}" for i, title, task in rows(stmt)}
    label = next((a for a in ("name", "title") if hasattr(model, a)), None)
    if label is None:
        return {i: f"#{i}" for (i,) in rows(select(model.id).where(live(model)).order_by(model.id))}
    stmt = select(model.id, getattr(model, label)).where(live(model)).order_by(model.id)
    return {i: str(name) for i, name in rows(stmt)}


def _task_names(session: Session, workspace_id: int) -> dict[int, str]:
    """Every task of the workspace as "project › task" (deleted ones too, so old link rows still read)."""
    stmt = (select(Task.id, Project.name, Task.name).join(Project, Project.id == Task.project_id)
            .where(Task.workspace_id == workspace_id))
    return {i: f"{project} › {name}" for i, project, name in session.execute(stmt)}
