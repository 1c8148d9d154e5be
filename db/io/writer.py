"""Write a checked :class:`~db.io.loader.ImportPlan` through the repositories, in the caller's transaction.

Repositories validate again and record history, so an import is as safe as typing the rows in;
the caller's single transaction makes it all-or-nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import repo
from db.io.loader import ImportPlan, PlannedRow
from db.io.refs import Ref
from db.io.sheets import LINK_FIELDS, SHEETS
from db.models import Milestone, Person, Project, RiskTaskLink, Task, TaskDependency, Workspace
from db.validation import FieldError, ValidationError

_COLUMN_OF = {v: k for k, v in LINK_FIELDS.items()} | {"predecessor_id": "predecessors", "successor_id": "predecessors"}


@dataclass(frozen=True)
class ImportResult:
    """Rows written per sheet, plus projects and milestones created because the file named them."""

    counts: dict[str, int]
    dependencies: int
    new_projects: int
    new_milestones: int

    def describe(self) -> str:
        """E.g. "120 tasks, 80 dependencies, 2 new projects"."""
        parts = [f"{n:,} {name.replace('_', ' ')}" for name, n in self.counts.items()]
        if self.dependencies:
            parts.append(f"{self.dependencies:,} dependencies")
        if self.new_projects:
            parts.append(f"{self.new_projects} new projects")
        if self.new_milestones:
            parts.append(f"{self.new_milestones} new milestones")
        return ", ".join(parts)


class _Writer:
    def __init__(self, session: Session, workspace_id: int) -> None:
        self.session, self.workspace_id = session, workspace_id
        self.ids: dict[Any, int] = {}  # ("file", (sheet, row)) / ("new", key) → database id
        # The session's identity map holds rows weakly: without these references every repository
        # check would reload the project, person or task it just saw (3x slower on 5,000 tasks).
        self.keep: list[Any] = [session.get(Workspace, workspace_id)]
        for model in (Person, Project, Milestone):
            self.keep.extend(session.scalars(select(model).where(model.workspace_id == workspace_id,
                                                                 model.deleted_at.is_(None))))

    def id_of(self, ref: Ref | None) -> int | None:
        if ref is None:
            return None
        return ref.key if ref.kind == "db" else self.ids[(ref.kind, ref.key)]

    def create(self, sheet: str, model: type, values: dict[str, Any], row: int) -> int:
        try:
            obj = repo.create(session=self.session, model=model, values=values, row=row)
        except ValidationError as exc:
            raise ValidationError([FieldError(sheet, _COLUMN_OF.get(e.field, e.field), e.message, row)
                                   for e in exc.errors]) from None
        self.keep.append(obj)
        return obj.id


def apply_plan(*, session: Session, workspace_id: int, plan: ImportPlan) -> ImportResult:
    """Write every planned row; raises the plan's problems (writing nothing) if it has any."""
    if not plan.ok:
        raise plan.error()
    w = _Writer(session, workspace_id)
    scope = {"workspace_id": workspace_id}
    for name, rows in plan.rows.items():
        if name in ("milestones", "tasks", "allocations", "gpu_reservations", "risks"):
            continue
        for row in rows:
            w.ids[("file", (name, row.row))] = w.create(name, SHEETS[name].model, {**scope, **row.values}, row.row)
    for project in plan.new_projects:
        w.ids[("new", project)] = w.create("tasks", Project, {**scope, "name": project}, None)
    for row in plan.rows.get("milestones", []):
        values = {**row.values, "project_id": w.id_of(row.links["project"])}
        w.ids[("file", ("milestones", row.row))] = w.create("milestones", Milestone, values, row.row)
    for project_name, milestone in plan.new_milestones:
        project_id = _project_id(w, plan, project_name)
        w.ids[("new", (project_name, milestone))] = w.create(
            "tasks", Milestone, {"project_id": project_id, "name": milestone}, None)
    dependencies = _write_tasks(w, plan.rows.get("tasks", []))
    for row in plan.rows.get("allocations", []):
        values = {**row.values, "task_id": w.id_of(row.links.get("task")),
                  "person_id": w.id_of(row.links.get("person")),
                  "compute_resource_id": w.id_of(row.links.get("gpu_pool"))}
        w.create("allocations", SHEETS["allocations"].model, values, row.row)
    for row in plan.rows.get("gpu_reservations", []):
        values = {**scope, **row.values, "task_id": w.id_of(row.links.get("task"))}
        w.create("gpu_reservations", SHEETS["gpu_reservations"].model, values, row.row)
    for row in plan.rows.get("risks", []):
        values = {**scope, **row.values, "owner_id": w.id_of(row.links.get("owner"))}
        risk_id = w.create("risks", SHEETS["risks"].model, values, row.row)
        for ref in row.links.get("tasks") or []:
            w.create("risks", RiskTaskLink, {"risk_id": risk_id, "task_id": w.id_of(ref)}, row.row)
    return ImportResult(plan.counts(), dependencies, len(plan.new_projects), len(plan.new_milestones))


def _project_id(w: _Writer, plan: ImportPlan, project_name: str) -> int:
    """The id of the project a new milestone belongs to (created, in the file, or existing)."""
    for row in plan.rows.get("tasks", []):
        ref = row.links.get("project")
        milestone = row.links.get("milestone")
        if isinstance(milestone, Ref) and milestone.kind == "new" and milestone.key[0] == project_name:
            return w.id_of(ref)  # type: ignore[return-value]
    raise KeyError(project_name)


def _write_tasks(w: _Writer, rows: list[PlannedRow]) -> int:
    """Tasks in file order (so ids follow it), then parents, then dependencies; returns the link count."""
    by_file_id: dict[int, int] = {}
    for row in rows:
        values = {**row.values, "project_id": w.id_of(row.links["project"]),
                  "milestone_id": w.id_of(row.links.get("milestone")),
                  "assignee_id": w.id_of(row.links.get("assignee"))}
        task_id = w.create("tasks", Task, values, row.row)
        w.ids[("file", ("tasks", row.row))] = task_id
        by_file_id[row.links["id"]] = task_id
    for row in rows:
        parent = row.links.get("parent")
        if parent is not None:
            try:
                repo.update(session=w.session, model=Task, row_id=by_file_id[row.links["id"]],
                            values={"parent_id": by_file_id[parent]}, row=row.row)
            except ValidationError as exc:
                raise ValidationError([FieldError("tasks", "parent", e.message, row.row) for e in exc.errors]) from None
    count = 0
    for row in rows:
        for pred, kind, lag in row.links.get("predecessors") or []:
            values = {"predecessor_id": by_file_id[pred], "successor_id": by_file_id[row.links["id"]],
                      "kind": kind, "lag_days": lag}
            w.create("tasks", TaskDependency, values, row.row)
            count += 1
    return count
