"""Turn parsed sheets into a checked import plan, and apply a plan through the repositories.

:func:`plan_import` reads the database (to resolve names) but writes nothing; it finds every
problem in the file at once — columns, values, links, duplicate ids, cycles — each naming its
sheet, row and column. :func:`apply_plan` writes a clean plan in the caller's transaction, so a
failure half-way (or a killed process) leaves none of the rows.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import networkx as nx

from db.io.refs import Ref, Resolver
from db.io.sheets import LINK_FIELDS, SHEETS, SheetSpec
from db.validation import FieldError, ValidationError, clean_values

# Problems listed before "… and N more": enough to fix a file, few enough to read.
MAX_PROBLEMS = 100
# "12", "12FS", "12SS+2", "12FF-1.5d", "12 FS + 2 days": predecessor id, link type, lag in days.
_PREDECESSOR = re.compile(r"^\s*(\d+)\s*(FS|SS|FF|SF)?\s*(?:([+-])\s*(\d+(?:\.\d+)?)\s*(?:d|days?)?)?\s*$",
                          re.IGNORECASE)
# Text a spreadsheet would run as a formula; exports prefix it with ' (see db.io.tabular).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


@dataclass(frozen=True)
class RawSheet:
    """A sheet as read from a file: header cells and data rows numbered as a spreadsheet shows them."""

    header: list[Any]
    rows: list[tuple[int, list[Any]]]
    quoted: bool = False  # CSV: text cells may carry the ' that keeps spreadsheets from running formulas


@dataclass(frozen=True)
class PlannedRow:
    row: int
    values: dict[str, Any]  # cleaned model values (links excluded)
    links: dict[str, Any] = field(default_factory=dict)  # link column → Ref, list of Refs, or parsed value


@dataclass
class ImportPlan:
    """What an import will write, sheet by sheet, and every problem found; writes nothing by itself."""

    rows: dict[str, list[PlannedRow]]
    problems: list[FieldError]
    new_projects: list[str]
    new_milestones: list[tuple[str, str]]

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        """Rows to import per sheet."""
        return {name: len(rows) for name, rows in self.rows.items() if rows}

    def error(self) -> ValidationError:
        shown = self.problems[:MAX_PROBLEMS]
        more = len(self.problems) - len(shown)
        if more:
            shown = [*shown, FieldError("file", "…", f"and {more} more problems", None)]
        return ValidationError(shown)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _cell_value(spec: SheetSpec, column: str, value: Any, quoted: bool) -> Any:
    """A cell as the validator expects it: text columns get text, a formula guard is removed."""
    if column in spec.text_fields:
        if isinstance(value, bool):
            value = str(value).lower()
        elif isinstance(value, float) and value.is_integer():
            value = str(int(value))
        elif isinstance(value, int | float):
            value = str(value)
        elif isinstance(value, datetime | date):
            value = value.isoformat()
        elif quoted and isinstance(value, str) and len(value) > 1 and value[0] == "'" and \
                value[1] in FORMULA_START:
            value = value[1:]
    return value


def _check_header(name: str, spec: SheetSpec, header: list[Any]) -> tuple[list[str], list[FieldError]]:
    columns = ["" if c is None else str(c).strip() for c in header]
    problems: list[FieldError] = []
    expected = ", ".join(spec.columns)
    for column, count in Counter(columns).items():
        if column and count > 1:
            problems.append(FieldError(name, column, "appears more than once in the header", 1))
    for column in columns:
        if column and column not in spec.columns:
            problems.append(FieldError(name, column, f"is not a column of {name}; expected some of: {expected}", 1))
    for column in spec.required:
        if column not in columns:
            problems.append(FieldError(name, column, "is missing from the header (a required column)", 1))
    return columns, problems


def _plan_row(name: str, spec: SheetSpec, columns: list[str], number: int, cells: list[Any], quoted: bool,
              problems: list[FieldError]) -> PlannedRow | None:
    if len(cells) > len(columns) and any(not _blank(c) for c in cells[len(columns):]):
        problems.append(FieldError(name, f"column {len(columns) + 1}", "has a value but no header", number))
        return None
    table = spec.model.__table__
    values: dict[str, Any] = {}
    links: dict[str, Any] = {}
    cells = [*cells, *[None] * (len(columns) - len(cells))]  # a short row's missing cells are empty
    for index, (column, cell) in enumerate(zip(columns, cells, strict=False), start=1):
        if not column:
            if not _blank(cell):  # never drop a value silently
                problems.append(FieldError(name, f"column {index}", "has a value but no header", number))
            continue
        if column in spec.links:
            links[column] = None if _blank(cell) else (cell.strip() if isinstance(cell, str) else cell)
            continue
        if _blank(cell):
            # Empty: None where the column allows it; for a required column the validator names it;
            # otherwise the column's default applies.
            if table.c[column].nullable or table.c[column].default is None:
                values[column] = None
            continue
        values[column] = _cell_value(spec, column, cell, quoted)
    missing = [FieldError(name, c, "is required", number) for c in spec.required if c in spec.links and
               links.get(c) is None]
    # Links are checked separately; give their database fields a stand-in so required ones pass here.
    stand_in = {f: 0 for c in spec.links if (f := LINK_FIELDS.get(c)) and f in table.c and not table.c[f].nullable}
    scope = {"workspace_id": 0} if "workspace_id" in table.c else {}
    try:
        cleaned = clean_values(spec.model, {**values, **stand_in, **scope}, row=number)
        if missing:
            raise ValidationError(missing)
    except ValidationError as exc:
        problems.extend(FieldError(name, e.field, e.message, number) for e in dict.fromkeys([*exc.errors, *missing]))
        # Kept (unwritable, since the plan has problems) so rows linking to it are not blamed as well.
        return PlannedRow(number, values, links)
    for key in (*stand_in, *scope):
        cleaned.pop(key, None)
    return PlannedRow(number, cleaned, links)


def parse_predecessors(text: Any) -> list[tuple[int, str, float]]:
    """``"12FS+2;14SS"`` → ``[(12, "FS", 2.0), (14, "SS", 0.0)]``; raises ValueError naming the bad part."""
    if _blank(text):
        return []
    if isinstance(text, int | float) and not isinstance(text, bool):
        text = str(int(text)) if float(text).is_integer() else str(text)
    out = []
    for part in str(text).replace(",", ";").split(";"):
        if not part.strip():
            continue
        match = _PREDECESSOR.match(part)
        if not match:
            raise ValueError(f"{part.strip()!r} is not a predecessor like 12, 12SS or 12FS+2 (id, type, lag in days)")
        task_id, kind, sign, lag = match.groups()
        out.append((int(task_id), (kind or "FS").upper(), float(lag or 0) * (-1 if sign == "-" else 1)))
    return out


def _whole(raw: Any) -> int | None:
    """A file id: "12", 12 or 12.0 (Excel stores numbers as floats) → 12; anything else → None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() else None
    match = re.fullmatch(r"\s*(\d{1,12})(?:\.0*)?\s*", str(raw))
    return int(match.group(1)) if match else None


def _task_ids(name: str, rows: list[PlannedRow], problems: list[FieldError]) -> dict[int, PlannedRow]:
    """Each task row's file id (a positive whole number, unique in the file)."""
    by_id: dict[int, PlannedRow] = {}
    for row in rows:
        raw = row.links.get("id")
        number = _whole(raw)
        if number is None or number <= 0:
            problems.append(FieldError(name, "id", f"must be a positive whole number, got {raw!r}", row.row))
            continue
        if number in by_id:
            problems.append(FieldError(name, "id", f"{number} is used again (first in row {by_id[number].row})",
                                       row.row))
            continue
        by_id[number] = row
        row.links["id"] = number
    return by_id


def _check_task_graph(name: str, by_id: dict[int, PlannedRow], problems: list[FieldError]) -> None:
    """Parents and predecessors must be tasks of the file, without loops."""
    links, parents = nx.DiGraph(), nx.DiGraph()
    for number, row in by_id.items():
        parent = row.links.get("parent")
        if parent is not None:
            parent_id = _whole(parent)
            if parent_id not in by_id:
                problems.append(FieldError(name, "parent", f"{parent!r} is not the id of a task in this file", row.row))
            else:
                row.links["parent"] = parent_id
                parents.add_edge(number, parent_id)
        try:
            predecessors = parse_predecessors(row.links.get("predecessors"))
        except ValueError as exc:
            problems.append(FieldError(name, "predecessors", str(exc), row.row))
            continue
        seen: set[int] = set()
        for pred, _kind, _lag in predecessors:
            if pred not in by_id:
                problems.append(FieldError(name, "predecessors", f"unknown predecessor {pred}: no task has that id",
                                           row.row))
            elif pred == number:
                problems.append(FieldError(name, "predecessors", "a task cannot depend on itself", row.row))
            elif pred in seen:
                problems.append(FieldError(name, "predecessors", f"lists predecessor {pred} twice", row.row))
            else:
                links.add_edge(pred, number)
            seen.add(pred)
        row.links["predecessors"] = predecessors
    for graph, column, what in ((links, "predecessors", "dependency cycle"), (parents, "parent", "parent loop")):
        try:
            cycle = nx.find_cycle(graph)
        except nx.NetworkXNoCycle:
            continue
        ids = [a for a, _b in cycle]
        loop = " → ".join(f"{i} ({by_id[i].values.get('name')!r})" for i in [*ids, ids[0]])
        first = by_id[ids[-1] if column == "predecessors" else ids[0]]
        problems.append(FieldError(name, column, f"would create a {what}: {loop}", first.row))


def _check_allocations(name: str, rows: list[PlannedRow], problems: list[FieldError]) -> None:
    """An allocation names who or what works on the task: a person, a GPU pool, or both."""
    for row in rows:
        if row.links.get("person") is None and row.links.get("gpu_pool") is None:
            problems.append(FieldError(name, "person", "or 'gpu_pool' is required: who or what works on the task",
                                       row.row))


def plan_import(*, session: Any, workspace_id: int, sheets: dict[str, RawSheet]) -> ImportPlan:
    """Check every sheet against the workspace; writes nothing. ``sheets`` maps sheet names to contents."""
    problems: list[FieldError] = []
    planned: dict[str, list[PlannedRow]] = defaultdict(list)
    for name, raw in sheets.items():
        spec = SHEETS.get(name)
        if spec is None:
            problems.append(FieldError(name, "sheet", f"is not a sheet FounderDeck imports; use {', '.join(SHEETS)}"))
            continue
        columns, header_problems = _check_header(name, spec, raw.header)
        problems.extend(header_problems)
        if header_problems:
            continue
        for number, cells in raw.rows:
            if all(_blank(c) for c in cells):
                continue
            row = _plan_row(name, spec, columns, number, cells, raw.quoted, problems)
            if row is not None:
                planned[name].append(row)
    if not problems and not any(planned.values()):
        problems.append(FieldError(", ".join(sheets) or "file", "file", "has no data rows to import"))
    by_id = _task_ids("tasks", planned["tasks"], problems)
    _check_task_graph("tasks", by_id, problems)
    _check_allocations("allocations", planned["allocations"], problems)
    resolver = Resolver(session, workspace_id, planned)
    resolver.resolve_all(problems)
    ordered = {name: planned[name] for name in SHEETS if planned.get(name)}
    return ImportPlan(ordered, problems, resolver.new_projects, resolver.new_milestones)


__all__ = ["ImportPlan", "PlannedRow", "RawSheet", "Ref", "parse_predecessors", "plan_import"]
