"""A workspace's live rows as the sheets of :mod:`db.io.sheets` show them: links by name or file id."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.io.sheets import SHEETS
from db.models import ComputeResource, Milestone, Person, Project, RiskTaskLink, Task, TaskDependency


def _live(session: Session, model: type, workspace_id: int) -> list[Any]:
    stmt = select(model).where(model.workspace_id == workspace_id, model.deleted_at.is_(None)).order_by(model.id)
    return list(session.scalars(stmt))


def format_predecessor(file_id: int, kind: str, lag: float) -> str:
    """``(12, "FS", 0)`` → ``"12"``; ``(12, "SS", 0)`` → ``"12SS"``; ``(12, "FS", 2)`` → ``"12FS+2"``."""
    if not lag:
        return f"{file_id}" if kind == "FS" else f"{file_id}{kind}"
    return f"{file_id}{kind}{lag:+g}" if float(f"{lag:g}") == lag else f"{file_id}{kind}{lag:+}"


def sheet_rows(*, session: Session, workspace_id: int, sheet: str, include_private: bool = False) -> list[dict]:
    """Rows of ``sheet`` (column → Python value) for the live rows of a workspace.

    Tasks get file ids 1, 2, 3 … in creation order; private risks are left out unless asked for,
    because an exported file leaves the company's control.
    """
    spec = SHEETS[sheet]
    rows = _live(session, spec.model, workspace_id)
    if sheet == "risks" and not include_private:
        rows = [r for r in rows if not r.private]
    names = {m: {r.id: r.name for r in _live(session, m, workspace_id)}
             for m in (Project, Milestone, Person, Task, ComputeResource)}
    file_ids = {t: n for n, t in enumerate(names[Task], start=1)}
    links: dict[str, dict[int, Any]] = defaultdict(dict)
    if sheet == "tasks":
        preds: dict[int, list[str]] = defaultdict(list)
        for dep in _live(session, TaskDependency, workspace_id):
            if dep.predecessor_id in file_ids and dep.successor_id in file_ids:
                preds[dep.successor_id].append(format_predecessor(file_ids[dep.predecessor_id], dep.kind,
                                                                  dep.lag_days))
        for task in rows:
            links["id"][task.id] = file_ids[task.id]
            links["project"][task.id] = names[Project].get(task.project_id)
            links["milestone"][task.id] = names[Milestone].get(task.milestone_id)
            links["parent"][task.id] = file_ids.get(task.parent_id)
            links["assignee"][task.id] = names[Person].get(task.assignee_id)
            links["predecessors"][task.id] = ";".join(preds[task.id]) or None
    elif sheet == "milestones":
        links["project"] = {m.id: names[Project].get(m.project_id) for m in rows}
    elif sheet == "allocations":
        # One whose person and GPU pool were both deleted loads nothing, and no file could name them.
        rows = [a for a in rows if a.person_id in names[Person] or a.compute_resource_id in names[ComputeResource]]
        for a in rows:
            links["task"][a.id] = names[Task].get(a.task_id)
            links["person"][a.id] = names[Person].get(a.person_id)
            links["gpu_pool"][a.id] = names[ComputeResource].get(a.compute_resource_id)
    elif sheet == "gpu_reservations":
        links["task"] = {g.id: names[Task].get(g.task_id) for g in rows}
    elif sheet == "risks":
        linked: dict[int, list[str]] = defaultdict(list)
        for link in _live(session, RiskTaskLink, workspace_id):
            if link.task_id in names[Task]:
                linked[link.risk_id].append(names[Task][link.task_id])
        for risk in rows:
            links["owner"][risk.id] = names[Person].get(risk.owner_id)
            links["tasks"][risk.id] = "; ".join(linked[risk.id]) or None
    return [{**{c: links[c].get(r.id) for c in spec.links}, **{f: getattr(r, f) for f in spec.fields}} for r in rows]
