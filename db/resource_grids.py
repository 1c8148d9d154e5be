"""Grid definitions for the Resources page (people, compute, budget, funding, reservations, allocations).

They reuse :mod:`db.editing`: each grid is an :class:`~db.editing.EditorSpec`, saved all-or-nothing by
:func:`save_grid`, which adds the one cross-field rule the schema cannot express: an allocation must name a
person or a GPU pool.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from db.editing import EditorSpec, Lookup, SaveResult, apply_changes
from db.models import (
    Allocation,
    BudgetLine,
    ComputeResource,
    FundingRound,
    GpuReservation,
    Person,
    Task,
)
from db.validation import FieldError, ValidationError

PEOPLE = EditorSpec(Person, "workspace_id", ("name", "role", "monthly_cost_usd", "weekly_capacity_hours",
                                             "start_date", "end_date"))
COMPUTE = EditorSpec(ComputeResource, "workspace_id", ("name", "gpu_type", "count", "hourly_rate_usd", "pricing",
                                                       "utilisation", "start_date", "end_date"))
BUDGET = EditorSpec(BudgetLine, "workspace_id", ("category", "name", "month", "planned_usd", "actual_usd"))
FUNDING = EditorSpec(FundingRound, "workspace_id", ("name", "kind", "amount_usd", "close_date", "status"))
RESERVATIONS = EditorSpec(
    GpuReservation, "workspace_id",
    ("task", "gpu_type", "provider", "count", "start_date", "end_date", "hourly_rate_usd", "status"),
    {"task": Lookup("task_id", Task)},
)
ALLOCATIONS = EditorSpec(
    Allocation, "workspace_id", ("task", "person", "gpu_pool", "hours_per_week", "gpu_count"),
    {"task": Lookup("task_id", Task), "person": Lookup("person_id", Person),
     "gpu_pool": Lookup("compute_resource_id", ComputeResource)},
)
GRIDS: dict[str, EditorSpec] = {"People": PEOPLE, "Compute": COMPUTE, "Budget lines": BUDGET,
                                "Funding rounds": FUNDING, "GPU reservations": RESERVATIONS,
                                "Allocations": ALLOCATIONS}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or (isinstance(value, str)
                                                                                and not value.strip())


def check_allocation_rows(rows: pd.DataFrame, changes: dict[str, Any]) -> None:
    """Every added or edited allocation row names a person or a GPU pool (rows numbered from 1, as shown)."""
    errors: list[FieldError] = []
    candidates: list[tuple[int, dict[str, Any]]] = []
    for key, edits in changes.get("edited_rows", {}).items():
        position = int(key)
        merged = {**rows.iloc[position].to_dict(), **edits}
        candidates.append((position + 1, merged))
    for offset, raw in enumerate(changes.get("added_rows", [])):
        if any(not _blank(v) for v in raw.values()):
            candidates.append((len(rows) + offset + 1, raw))
    for row, values in candidates:
        if _blank(values.get("person")) and _blank(values.get("gpu_pool")):
            errors.append(FieldError("allocation", "person", "or 'gpu_pool' is required: who or what works on "
                                     "the task", row))
    if errors:
        raise ValidationError(errors)


def save_grid(*, session: Session, spec: EditorSpec, workspace_id: int, rows: pd.DataFrame, ids: list[int],
              versions: list[int], changes: dict[str, Any]) -> SaveResult:
    """Apply a Resources grid's change set through the repositories (all-or-nothing in the caller's transaction)."""
    if spec is ALLOCATIONS:
        check_allocation_rows(rows, changes)
    return apply_changes(session=session, spec=spec, scope_id=workspace_id, ids=ids, versions=versions,
                         changes=changes)
