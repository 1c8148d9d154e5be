"""Apply a table editor's change set (edited, added and deleted rows) through the repositories.

A page shows rows in a grid; the grid reports changes by row position. This module turns
them into repository calls, resolves display names of linked rows (milestone, assignee) into
ids, and names the row and field of every problem. The caller's transaction makes a save
all-or-nothing: one bad row and nothing is written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from db import repo
from db.models import Milestone, Person, Project, Task, Tracked
from db.validation import FieldError, StaleEditError, ValidationError


@dataclass(frozen=True)
class Lookup:
    """A column shown by name that is stored as a foreign key."""

    field: str  # e.g. "assignee_id"
    model: type[Tracked]  # e.g. Person
    label: str = "name"  # the target's column shown in the grid
    # Offered first: rows whose ``first[0]`` column equals ``first[1]`` (e.g. summary tasks as parents).
    first: tuple[str, Any] | None = None


@dataclass(frozen=True)
class EditorSpec:
    model: type[Tracked]
    scope: str  # "workspace_id" or "project_id": the parent every row belongs to
    columns: tuple[str, ...]  # editable columns, in display order
    lookups: dict[str, Lookup] = field(default_factory=dict)  # display column → lookup


PROJECTS = EditorSpec(Project, "workspace_id", ("name", "phase", "status", "start_date", "target_date", "description"))
MILESTONES = EditorSpec(Milestone, "project_id", ("name", "due_date", "status", "description"))
TASKS = EditorSpec(
    Task,
    "project_id",
    ("name", "kind", "parent", "milestone", "assignee", "status", "start_date", "end_date",
     "optimistic_days", "likely_days", "pessimistic_days", "percent_done"),
    # A parent is a task of the same project (the repository refuses another project's and a loop);
    # summaries are listed first because a summary is what a parent is meant to be.
    {"parent": Lookup("parent_id", Task, first=("kind", "summary")), "milestone": Lookup("milestone_id", Milestone),
     "assignee": Lookup("assignee_id", Person)},
)


@dataclass(frozen=True)
class EditorTable:
    """What a grid shows: the rows, their ids and versions by position, and lookup choices."""

    rows: pd.DataFrame
    ids: list[int]
    versions: list[int]
    options: dict[str, list[str]]


@dataclass(frozen=True)
class SaveResult:
    created: int
    updated: int
    deleted: int

    @property
    def total(self) -> int:
        return self.created + self.updated + self.deleted

    def describe(self) -> str:
        """E.g. "1 changed, 0 added, 0 deleted"."""
        return f"{self.updated} changed, {self.created} added, {self.deleted} deleted"


def pending_changes(changes: dict[str, Any]) -> SaveResult:
    """What a grid's change set would do if saved (untouched blank rows the grid appends are not counted)."""
    added = sum(1 for raw in changes.get("added_rows", []) if any(v not in (None, "") for v in raw.values()))
    return SaveResult(added, len(changes.get("edited_rows", {})), len(changes.get("deleted_rows", [])))


def _lookup_rows(session: Session, spec: EditorSpec, scope_id: int, workspace_id: int) -> dict[str, dict[str, int]]:
    """For each lookup column: display name → id of the live rows it may point at."""
    out: dict[str, dict[str, int]] = {}
    for column, lookup in spec.lookups.items():
        target = lookup.model
        stmt = select(target).where(target.deleted_at.is_(None))
        if hasattr(target, "project_id") and spec.scope == "project_id":
            stmt = stmt.where(target.project_id == scope_id)
        else:
            stmt = stmt.where(target.workspace_id == workspace_id)  # type: ignore[attr-defined]
        rows = list(session.scalars(stmt.order_by(target.id)))
        if lookup.first is not None:
            column_name, wanted = lookup.first
            rows.sort(key=lambda r: getattr(r, column_name) != wanted)  # stable: by id within each part
        names = Counter(getattr(r, lookup.label) for r in rows)
        # Two people called "Alex" must stay two choices: repeated names carry their id.
        out[column] = {
            (name if names[name] == 1 else f"{name} (#{r.id})"): r.id
            for r in rows
            for name in [getattr(r, lookup.label)]
        }
    return out


def _workspace_of(session: Session, spec: EditorSpec, scope_id: int) -> int:
    if spec.scope == "workspace_id":
        return scope_id
    return repo.get(session=session, model=Project, row_id=scope_id).workspace_id


def editor_table(*, session: Session, spec: EditorSpec, scope_id: int) -> EditorTable:
    """The live rows under ``scope_id`` as the grid shows them (lookups by name)."""
    model = spec.model
    workspace_id = _workspace_of(session, spec, scope_id)
    lookups = _lookup_rows(session, spec, scope_id, workspace_id)
    stmt = select(model).where(getattr(model, spec.scope) == scope_id, model.deleted_at.is_(None)).order_by(model.id)
    objs = list(session.scalars(stmt))
    labels = {column: {row_id: label for label, row_id in lookups[column].items()} for column in spec.lookups}
    rows = pd.DataFrame.from_records(
        [
            {
                column: labels[column].get(getattr(obj, spec.lookups[column].field))
                if column in spec.lookups
                else getattr(obj, column)
                for column in spec.columns
            }
            for obj in objs
        ],
        columns=list(spec.columns),
    )
    return EditorTable(rows, [o.id for o in objs], [o.version for o in objs],
                       {c: list(m) for c, m in lookups.items()})


def _project_scoped(spec: EditorSpec, lookup: Lookup) -> bool:
    """Whether a lookup's choices are limited to the grid's project (a task's parent or milestone)."""
    return spec.scope == "project_id" and hasattr(lookup.model, "project_id")


def _unknown_choice(session: Session, spec: EditorSpec, column: str, value: Any, scope_id: int,
                    workspace_id: int, row: int) -> FieldError:
    """Why ``value`` is not a choice: a row of another project says so; anything else is unknown."""
    lookup = spec.lookups[column]
    target = lookup.model
    if _project_scoped(spec, lookup) and isinstance(value, str):
        label = getattr(target, lookup.label)
        others = session.execute(select(target.id, label).where(  # type: ignore[attr-defined]
            target.workspace_id == workspace_id, target.project_id != scope_id,  # type: ignore[attr-defined]
            target.deleted_at.is_(None))).all()
        if any(value in (name, f"{name} (#{row_id})") for row_id, name in others):
            return FieldError(spec.model.__label__, column, f"{value!r} is a {target.__label__} of another project; "
                              f"pick one of this project's", row)
    return FieldError(spec.model.__label__, column, f"{value!r} is not one of the choices", row)


def _to_values(
    spec: EditorSpec, raw: dict[str, Any], lookups: dict[str, dict[str, int]], row: int,
    unknown: Callable[[str, Any], FieldError],
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    for column, value in raw.items():
        if column in spec.lookups:
            lookup = spec.lookups[column]
            if value is None or (isinstance(value, str) and not value.strip()):
                values[lookup.field] = None
            elif value in lookups[column]:
                values[lookup.field] = lookups[column][value]
            else:
                errors.append(unknown(column, value))
        elif column not in spec.columns:
            errors.append(FieldError(spec.model.__label__, column, "is not a column of this table", row))
        else:
            values[column] = value
    if errors:
        raise ValidationError(errors)
    return values


def _in_grid_terms(spec: EditorSpec, raw: dict[str, Any], errors: list[FieldError]) -> list[FieldError]:
    """A repository error on a lookup's key (``parent_id``) named as the grid shows it (``parent 'Build'``)."""
    columns = {lookup.field: column for column, lookup in spec.lookups.items()}
    out = []
    for error in errors:
        column = columns.get(error.field)
        if column is None:
            out.append(error)
        else:
            shown = f"{raw[column]!r} " if raw.get(column) not in (None, "") else ""
            out.append(FieldError(error.table, column, f"{shown}{error.message}", error.row))
    return out


def apply_changes(
    *,
    session: Session,
    spec: EditorSpec,
    scope_id: int,
    ids: list[int],
    versions: list[int],
    changes: dict[str, Any],
) -> SaveResult:
    """Apply ``changes`` (``edited_rows``, ``added_rows``, ``deleted_rows``) to the rows ``ids``.

    Rows are numbered from 1 in messages, as the grid shows them; added rows continue the count.
    Raises :class:`ValidationError` with every problem, or :class:`StaleEditError`; the caller's
    transaction then rolls back, so nothing is written.
    """
    workspace_id = _workspace_of(session, spec, scope_id)
    lookups = _lookup_rows(session, spec, scope_id, workspace_id)
    errors: list[FieldError] = []
    updated = created = 0
    for position, raw in sorted((int(k), v) for k, v in changes.get("edited_rows", {}).items()):
        try:
            values = _to_values(spec, raw, lookups, position + 1, lambda c, v, r=position + 1: _unknown_choice(
                session, spec, c, v, scope_id, workspace_id, r))
            repo.update(session=session, model=spec.model, row_id=ids[position], values=values,
                        expected_version=versions[position], row=position + 1)
            updated += 1
        except ValidationError as exc:
            errors.extend(_in_grid_terms(spec, raw, exc.errors))
    for offset, raw in enumerate(changes.get("added_rows", [])):
        row = len(ids) + offset + 1
        if not any(v not in (None, "") for v in raw.values()):
            continue  # an untouched blank row the grid appended (pending_changes skips it too)
        try:
            values = _to_values(spec, raw, lookups, row, lambda c, v, r=row: _unknown_choice(
                session, spec, c, v, scope_id, workspace_id, r))
            repo.create(session=session, model=spec.model, values={**values, spec.scope: scope_id}, row=row)
            created += 1
        except ValidationError as exc:
            errors.extend(_in_grid_terms(spec, raw, exc.errors))
    if errors:
        raise ValidationError(errors)
    deleted = 0
    for position in sorted(changes.get("deleted_rows", [])):
        repo.soft_delete(session=session, model=spec.model, row_id=ids[position],
                         expected_version=versions[position])
        deleted += 1
    return SaveResult(created, updated, deleted)


__all__ = ["MILESTONES", "PROJECTS", "TASKS", "EditorSpec", "EditorTable", "SaveResult", "StaleEditError",
           "apply_changes", "editor_table", "pending_changes"]
