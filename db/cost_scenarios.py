"""Repositories for the compute cost engine: a workspace's GPU catalogue rows and its cost scenarios.

Small functions over a caller-owned session (``with transaction(factory, actor=…) as session:``).
They check what the generic validation cannot (a well-formed, unique GPU key; positive peaks; a unique
scenario name) before writing through :mod:`db.repo`, so history and soft delete apply.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.gpu_catalogue import GPU_KEY
from db import repo
from db.models import CostScenario, GpuOverride
from db.validation import FieldError, ValidationError

# The columns of a workspace GPU row the page's grid edits, in display order (units as in gpus.csv).
GPU_EDIT_COLUMNS = ("gpu", "name", "bf16_tflops", "fp8_tflops", "fp32_tflops", "memory_gb", "bandwidth_tbs",
                    "usd_per_gpu_hour", "source", "as_of")
_POSITIVE = ("bf16_tflops", "fp8_tflops", "fp32_tflops", "memory_gb", "bandwidth_tbs")
_LABEL = GpuOverride.__label__


def _check_gpu_values(values: dict[str, Any], row: int | None) -> None:
    errors = []
    key = values.get("gpu")
    if key is not None and not GPU_KEY.match(str(key).strip()):
        message = f"must be lower-case letters, digits, '.' or '-' (at most 40), got {key!r}"
        errors.append(FieldError(_LABEL, "gpu", message, row))
    for field in _POSITIVE:
        value = values.get(field)
        if isinstance(value, int | float) and not isinstance(value, bool) and not (value > 0 or math.isnan(value)):
            errors.append(FieldError(_LABEL, field, f"must be greater than 0, got {value}", row))
    if errors:
        raise ValidationError(errors)


def _check_unique(session: Session, model: type, workspace_id: int, field: str, value: str, own_id: int | None,
                  row: int | None) -> None:
    stmt = select(model.id).where(model.workspace_id == workspace_id, getattr(model, field) == value,
                                  model.deleted_at.is_(None))
    clash = session.scalars(stmt).first()
    if clash is not None and clash != own_id:
        message = f"{value!r} is already used by another {model.__label__} in this workspace"
        raise ValidationError([FieldError(model.__label__, field, message, row)])


def add_gpu(*, session: Session, workspace_id: int, values: dict[str, Any], row: int | None = None) -> GpuOverride:
    """Add a workspace GPU row (a bundled key overrides the bundled figures); refuses a duplicate key."""
    _check_gpu_values(values, row)
    if isinstance(values.get("gpu"), str):
        _check_unique(session, GpuOverride, workspace_id, "gpu", values["gpu"].strip(), None, row)
    return repo.create(session=session, model=GpuOverride, values={**values, "workspace_id": workspace_id}, row=row)


def update_gpu(*, session: Session, row_id: int, values: dict[str, Any], expected_version: int | None = None,
               row: int | None = None) -> GpuOverride:
    """Change a workspace GPU row; a stale version or a duplicate key is refused."""
    _check_gpu_values(values, row)
    if isinstance(values.get("gpu"), str):
        current = repo.get(session=session, model=GpuOverride, row_id=row_id)
        _check_unique(session, GpuOverride, current.workspace_id, "gpu", values["gpu"].strip(), row_id, row)
    return repo.update(session=session, model=GpuOverride, row_id=row_id, values=values,
                       expected_version=expected_version, row=row)


def apply_gpu_edits(*, session: Session, workspace_id: int, ids: list[int], versions: list[int],
                    edited: dict[Any, dict[str, Any]]) -> int:
    """Apply a grid's edited rows (position → changed cells) through :func:`update_gpu`; returns how many changed.

    Rows are numbered from 1 in messages, as the grid shows them. Every problem of every row is collected and
    raised together as one :class:`ValidationError` (or a :class:`StaleEditError`); the caller's transaction then
    rolls back, so nothing is written.
    """
    errors: list[FieldError] = []
    changed = 0
    for position, raw in sorted((int(k), v) for k, v in edited.items()):
        row = position + 1
        if not 0 <= position < len(ids):
            errors.append(FieldError(_LABEL, "row", "is not in the table any more; reload the page", row))
            continue
        unknown = sorted(set(raw) - set(GPU_EDIT_COLUMNS))
        errors.extend(FieldError(_LABEL, c, "is not an editable column", row) for c in unknown)
        current = repo.get(session=session, model=GpuOverride, row_id=ids[position])
        if current.workspace_id != workspace_id:
            errors.append(FieldError(_LABEL, "gpu", "belongs to another workspace", row))
            continue
        if unknown or not raw:
            continue
        try:
            update_gpu(session=session, row_id=ids[position], values=dict(raw), expected_version=versions[position],
                       row=row)
            changed += 1
        except ValidationError as exc:
            errors.extend(exc.errors)
    if errors:
        raise ValidationError(errors)
    return changed


def gpu_frame(*, session: Session, workspace_id: int) -> pd.DataFrame:
    """The workspace's live GPU rows indexed by key, in the bundled catalogue's columns (+ price, id, version)."""
    rows = repo.list_rows(session=session, model=GpuOverride, workspace_id=workspace_id)
    columns = ["name", "bf16_tflops", "fp8_tflops", "fp32_tflops", "memory_gb", "bandwidth_tbs", "source", "as_of",
               "usd_per_gpu_hour", "id", "version"]
    data = [[getattr(r, c) for c in columns] for r in rows]
    return pd.DataFrame(data, columns=columns, index=pd.Index([r.gpu for r in rows], name="gpu"))


def save_scenario(*, session: Session, workspace_id: int, values: dict[str, Any]) -> CostScenario:
    """Save a named cost scenario; refuses a name the workspace already uses (nothing is overwritten)."""
    if isinstance(values.get("name"), str):
        _check_unique(session, CostScenario, workspace_id, "name", values["name"].strip(), None, None)
    return repo.create(session=session, model=CostScenario, values={**values, "workspace_id": workspace_id})


def _own_scenario(session: Session, workspace_id: int, scenario_id: int, include_deleted: bool) -> CostScenario:
    row = repo.get(session=session, model=CostScenario, row_id=scenario_id, include_deleted=include_deleted)
    if row.workspace_id != workspace_id:
        raise repo.NotFoundError(f"cost scenario {scenario_id} is not in this workspace")
    return row


def delete_scenario(*, session: Session, workspace_id: int, scenario_id: int,
                    expected_version: int | None = None) -> CostScenario:
    """Soft-delete a cost scenario (logged in the history; :func:`restore_scenario` brings it back)."""
    row = _own_scenario(session, workspace_id, scenario_id, include_deleted=False)
    repo.soft_delete(session=session, model=CostScenario, row_id=row.id, expected_version=expected_version)
    return row


def restore_scenario(*, session: Session, workspace_id: int, scenario_id: int) -> CostScenario:
    """Bring a deleted cost scenario back; refused while a live scenario uses its name (rename that one first)."""
    row = _own_scenario(session, workspace_id, scenario_id, include_deleted=True)
    if row.deleted_at is not None:
        _check_unique(session, CostScenario, workspace_id, "name", row.name, row.id, None)
        repo.restore(session=session, model=CostScenario, row_id=row.id)
    return row


def deleted_scenarios(*, session: Session, workspace_id: int, limit: int = 50) -> list[CostScenario]:
    """Soft-deleted cost scenarios of a workspace, most recently deleted first (the page's restore list)."""
    stmt = select(CostScenario).where(CostScenario.workspace_id == workspace_id, CostScenario.deleted_at.is_not(None))
    return list(session.scalars(stmt.order_by(CostScenario.deleted_at.desc(), CostScenario.id.desc()).limit(limit)))


def scenarios(*, session: Session, workspace_id: int, include_private: bool = True) -> list[CostScenario]:
    """Live cost scenarios of a workspace, oldest first; ``include_private=False`` for pitch and exports."""
    rows = repo.list_rows(session=session, model=CostScenario, workspace_id=workspace_id)
    return [r for r in rows if include_private or not r.private]


def scenario_costs(*, session: Session, workspace_id: int, include_private: bool = True) -> pd.DataFrame:
    """What the revenue engine reads, indexed by scenario id: serving $/1M input and output tokens (COGS: the
    cost of the fleet sized for the scenario's load, per token), the training cost in USD, and how it is
    booked: ``training_amortise_months`` (None: one-off) and ``training_monthly_usd`` (cost ÷ months, None
    when one-off)."""
    rows = scenarios(session=session, workspace_id=workspace_id, include_private=include_private)
    columns = ["name", "kind", "gpu", "serving_usd_per_m_input", "serving_usd_per_m_output", "training_cost_usd",
               "training_amortise_months", "private"]
    frame = pd.DataFrame([[getattr(r, c) for c in columns] for r in rows], columns=columns,
                         index=pd.Index([r.id for r in rows], name="id"))
    frame["training_amortise_months"] = frame["training_amortise_months"].astype("Int64")  # whole months or <NA>
    frame["training_monthly_usd"] = frame["training_cost_usd"].astype(float) / frame["training_amortise_months"]
    return frame
