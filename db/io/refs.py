"""Resolve the names and file ids an imported file uses for linked rows (project, milestone, person, GPU pool,
task).

A name is looked up first among the rows the same file brings, then among the workspace's live
rows. A name that matches more than one row is refused rather than guessed; a project or
milestone named nowhere is created (and the preview says so); an unknown person or task is refused.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import ComputeResource, Milestone, Person, Project, Task
from db.validation import FieldError


@dataclass(frozen=True)
class Ref:
    """A linked row: ``("db", id)``, ``("file", (sheet, row))`` or ``("new", name or (project, name))``."""

    kind: str
    key: Any


class UnresolvedError(ValueError):
    """A name that matches no row or several."""


def _by_name(rows: list[Any], attr: str = "name") -> dict[Any, list[Any]]:
    out: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        out[getattr(row, attr)].append(row.id)
    return out


class Resolver:
    """Name → :class:`Ref` for one workspace and one planned file."""

    def __init__(self, session: Session, workspace_id: int, planned: dict[str, list[Any]]) -> None:
        def live(model: type) -> list[Any]:
            stmt = select(model).where(model.workspace_id == workspace_id, model.deleted_at.is_(None))
            return list(session.scalars(stmt))

        self.planned = planned
        self.db_people = _by_name(live(Person))
        self.db_pools = _by_name(live(ComputeResource))
        self.db_projects = _by_name(live(Project))
        self.db_tasks = _by_name(live(Task))
        self.db_milestones: dict[tuple[int, str], list[int]] = defaultdict(list)
        for m in live(Milestone):
            self.db_milestones[(m.project_id, m.name)].append(m.id)
        self.file: dict[str, dict[Any, list[tuple[str, int]]]] = defaultdict(lambda: defaultdict(list))
        for sheet in ("people", "compute", "projects", "tasks"):
            for row in planned.get(sheet, []):
                self.file[sheet][row.values.get("name")].append((sheet, row.row))
        for row in planned.get("milestones", []):
            self.file["milestones"][(row.links.get("project"), row.values.get("name"))].append(("milestones", row.row))
        self.new_projects: list[str] = []
        self.new_milestones: list[tuple[str, str]] = []

    def _pick(self, what: str, name: Any, in_file: list, in_db: list[int]) -> Ref | None:
        if len(in_file) > 1:
            rows = ", ".join(str(r) for _s, r in in_file)
            raise UnresolvedError(f"{name!r} names {len(in_file)} {what}s in this file (rows {rows}); "
                                  "names must be unique")
        if in_file:
            return Ref("file", in_file[0])
        if len(in_db) > 1:
            raise UnresolvedError(f"{name!r} names {len(in_db)} {what}s in this workspace; "
                                  "rename one so the link is clear")
        return Ref("db", in_db[0]) if in_db else None

    def person(self, name: str) -> Ref:
        ref = self._pick("person", name, self.file["people"].get(name, []), self.db_people.get(name, []))
        if ref is None:
            raise UnresolvedError(f"no person is called {name!r} in this workspace or in the file's people sheet")
        return ref

    def gpu_pool(self, name: str) -> Ref:
        ref = self._pick("GPU pool", name, self.file["compute"].get(name, []), self.db_pools.get(name, []))
        if ref is None:
            raise UnresolvedError(f"no GPU pool is called {name!r} in this workspace or in the file's compute sheet")
        return ref

    def task(self, name: str) -> Ref:
        ref = self._pick("task", name, self.file["tasks"].get(name, []), self.db_tasks.get(name, []))
        if ref is None:
            raise UnresolvedError(f"no task is called {name!r} in this workspace or in the file's tasks sheet")
        return ref

    def project(self, name: str) -> Ref:
        ref = self._pick("project", name, self.file["projects"].get(name, []), self.db_projects.get(name, []))
        if ref is None:
            if name not in self.new_projects:
                self.new_projects.append(name)
            ref = Ref("new", name)
        return ref

    def milestone(self, project_name: str, project: Ref, name: str) -> Ref:
        in_db = self.db_milestones.get((project.key, name), []) if project.kind == "db" else []
        ref = self._pick("milestone", name, self.file["milestones"].get((project_name, name), []), in_db)
        if ref is None:
            if (project_name, name) not in self.new_milestones:
                self.new_milestones.append((project_name, name))
            ref = Ref("new", (project_name, name))
        return ref

    def resolve_all(self, problems: list[FieldError]) -> None:
        """Replace every link column's text with a :class:`Ref`, adding a problem for each that fails."""
        for sheet, rows in self.planned.items():
            for row in rows:
                for column in ("project", "milestone", "assignee", "owner", "person", "gpu_pool", "task", "tasks"):
                    if column not in row.links or row.links[column] is None:
                        continue
                    try:
                        row.links[column] = self._resolve(row, column)
                    except UnresolvedError as exc:
                        problems.append(FieldError(sheet, column, str(exc), row.row))
                        row.links[column] = None

    def _resolve(self, row: Any, column: str) -> Ref | list[Ref]:
        text = str(row.links[column]).strip()
        if column == "project":
            return self.project(text)
        if column == "milestone":
            project = row.links.get("project")
            if not isinstance(project, Ref):
                raise UnresolvedError("needs the task's project to be named")
            project_name = self._project_name(project)
            return self.milestone(project_name, project, text)
        if column in ("assignee", "owner", "person"):
            return self.person(text)
        if column == "gpu_pool":
            return self.gpu_pool(text)
        if column == "task":
            return self.task(text)
        return [self.task(part.strip()) for part in text.split(";") if part.strip()]

    def _project_name(self, ref: Ref) -> str:
        if ref.kind == "new":
            return ref.key
        if ref.kind == "file":
            row = next(r for r in self.planned["projects"] if r.row == ref.key[1])
            return row.values["name"]
        return next(name for name, ids in self.db_projects.items() if ref.key in ids)
