"""Repository of a workspace's own GPU prices: $/GPU-hour per GPU, provider and kind, with source and date.

Small functions over a caller-owned session (``with transaction(factory, actor=…) as session:``), writing
through :mod:`db.repo` so history, soft delete and restore apply. They check what the generic validation
cannot: a price above zero, a GPU key the workspace knows (bundled or its own GPU row) and one live row per
(GPU, provider, kind). :func:`save_price_grid` applies a whole grid or nothing. How these rows change the
estimate: :func:`analytics.gpu_catalogue.merge_prices`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.gpu_catalogue import PRICE_COLUMNS, gpu_table
from db import repo
from db.editing import SaveResult
from db.models import GpuOverride, GpuPrice
from db.validation import FieldError, StaleEditError, ValidationError, clean_values

# The grid's columns, in display order (the bundled price table's).
PRICE_EDIT_COLUMNS = ("gpu", "provider", "kind", "usd_per_gpu_hour", "source", "as_of")
_LABEL = GpuPrice.__label__
_KEY = ("gpu", "provider", "kind")


def _known_gpus(session: Session, workspace_id: int) -> set[str]:
    own = session.scalars(select(GpuOverride.gpu).where(GpuOverride.workspace_id == workspace_id,
                                                        GpuOverride.deleted_at.is_(None)))
    return set(gpu_table().index) | set(own)


def _validate(session: Session, workspace_id: int, values: dict[str, Any], current: GpuPrice | None,
              row: int | None) -> None:
    """Every problem of one row at once: the column rules (kind, required source and date, …) and the checks
    beyond them, on the row as it would be stored (the current values with ``values`` on top)."""
    errors: list[FieldError] = []
    try:
        cleaned = clean_values(GpuPrice, values, existing=current, row=row)
    except ValidationError as exc:
        errors.extend(exc.errors)
        bad = {e.field for e in exc.errors}
        cleaned = {k: v for k, v in values.items() if k not in bad}
    merged = {**({f: getattr(current, f) for f in PRICE_EDIT_COLUMNS} if current is not None else {}), **cleaned}
    price = merged.get("usd_per_gpu_hour")
    if isinstance(price, int | float) and not isinstance(price, bool) and not price > 0:
        errors.append(FieldError(_LABEL, "usd_per_gpu_hour", f"must be greater than 0, got {price}", row))
    key = merged.get("gpu")
    if isinstance(key, str) and key.strip() and key.strip() not in _known_gpus(session, workspace_id):
        errors.append(FieldError(_LABEL, "gpu", f"{key.strip()!r} is neither a catalogue GPU nor one of this "
                                 "workspace's GPU rows (add the GPU row first)", row))
    if all(isinstance(merged.get(f), str) and merged[f].strip() for f in _KEY):
        gpu, provider, kind = (merged[f].strip() for f in _KEY)
        own_id = current.id if current is not None else -1
        clash = session.scalar(select(GpuPrice.id).where(
            GpuPrice.workspace_id == workspace_id, GpuPrice.gpu == gpu, GpuPrice.provider == provider,
            GpuPrice.kind == kind, GpuPrice.deleted_at.is_(None), GpuPrice.id != own_id).limit(1))
        if clash is not None:
            errors.append(FieldError(_LABEL, "provider", f"{provider!r} already has a {kind} price for {gpu!r} in "
                                     "this workspace (edit that row instead)", row))
    if errors:
        raise ValidationError(errors)


def add_price(*, session: Session, workspace_id: int, values: dict[str, Any], row: int | None = None) -> GpuPrice:
    """Add a workspace price row; refuses a price ≤ 0, an unknown GPU and a second row for the same key."""
    values = {**values, "workspace_id": workspace_id}
    _validate(session, workspace_id, values, None, row)
    return repo.create(session=session, model=GpuPrice, values=values, row=row)


def _own_price(session: Session, workspace_id: int, price_id: int, row: int | None) -> GpuPrice:
    current = repo.get(session=session, model=GpuPrice, row_id=price_id)
    if current.workspace_id != workspace_id:
        raise ValidationError([FieldError(_LABEL, "gpu", "belongs to another workspace", row)])
    return current


def update_price(*, session: Session, workspace_id: int, price_id: int, values: dict[str, Any],
                 expected_version: int | None = None, row: int | None = None) -> GpuPrice:
    """Change a workspace price row; a stale version, a price ≤ 0, an unknown GPU or a duplicate is refused."""
    current = _own_price(session, workspace_id, price_id, row)
    if expected_version is not None and current.version != expected_version:
        raise StaleEditError(f"{_LABEL} {price_id} was changed by someone else since you loaded it; reload and "
                             "edit again")
    if "workspace_id" in values:
        raise ValidationError([FieldError(_LABEL, "workspace_id", "cannot be changed", row)])
    _validate(session, workspace_id, values, current, row)
    return repo.update(session=session, model=GpuPrice, row_id=price_id, values=values,
                       expected_version=expected_version, row=row)


def delete_price(*, session: Session, workspace_id: int, price_id: int,
                 expected_version: int | None = None) -> GpuPrice:
    """Soft-delete a workspace price row (the bundled prices of its kind come back; restorable, logged)."""
    current = _own_price(session, workspace_id, price_id, None)
    repo.soft_delete(session=session, model=GpuPrice, row_id=current.id, expected_version=expected_version)
    return current


def _blank(raw: dict[str, Any]) -> bool:
    return not any(v not in (None, "") and not (isinstance(v, float) and pd.isna(v)) for v in raw.values())


def save_price_grid(*, session: Session, workspace_id: int, ids: list[int], versions: list[int],
                    changes: dict[str, Any]) -> SaveResult:
    """Apply a grid's change set (``edited_rows``, ``added_rows``, ``deleted_rows``) all-or-nothing.

    Rows are numbered from 1 as the grid shows them; added rows continue the count. Deletes go first, so a
    row can be removed and added again in one save. Every problem of every row is collected into one
    :class:`ValidationError` (or a :class:`StaleEditError` is raised); the caller's transaction then rolls
    back, so nothing is written.
    """
    errors: list[FieldError] = []
    deleted = updated = created = 0
    for position in sorted(int(p) for p in changes.get("deleted_rows", [])):
        if not 0 <= position < len(ids):
            errors.append(FieldError(_LABEL, "row", "is not in the table any more; reload the page", position + 1))
            continue
        delete_price(session=session, workspace_id=workspace_id, price_id=ids[position],
                     expected_version=versions[position])
        deleted += 1
    gone = {int(p) for p in changes.get("deleted_rows", [])}
    for position, raw in sorted((int(k), v) for k, v in changes.get("edited_rows", {}).items()):
        row = position + 1
        if position in gone or not raw:
            continue
        if not 0 <= position < len(ids):
            errors.append(FieldError(_LABEL, "row", "is not in the table any more; reload the page", row))
            continue
        unknown = sorted(set(raw) - set(PRICE_EDIT_COLUMNS))
        if unknown:
            errors.extend(FieldError(_LABEL, c, "is not an editable column", row) for c in unknown)
            continue
        try:
            update_price(session=session, workspace_id=workspace_id, price_id=ids[position], values=dict(raw),
                         expected_version=versions[position], row=row)
            updated += 1
        except ValidationError as exc:
            errors.extend(exc.errors)
    for offset, raw in enumerate(changes.get("added_rows", [])):
        row = len(ids) + offset + 1
        if _blank(raw):
            continue  # an untouched blank row the grid appended
        unknown = sorted(set(raw) - set(PRICE_EDIT_COLUMNS))
        if unknown:
            errors.extend(FieldError(_LABEL, c, "is not an editable column", row) for c in unknown)
            continue
        # A cell never typed into is absent: the column rules then say which required field is missing.
        try:
            add_price(session=session, workspace_id=workspace_id, values=dict(raw), row=row)
            created += 1
        except ValidationError as exc:
            errors.extend(exc.errors)
    if errors:
        raise ValidationError(errors)
    return SaveResult(created, updated, deleted)


def price_frame(*, session: Session, workspace_id: int) -> pd.DataFrame:
    """The workspace's live price rows in the bundled table's columns, plus id and version (oldest first)."""
    rows = repo.list_rows(session=session, model=GpuPrice, workspace_id=workspace_id)
    columns = [*PRICE_COLUMNS, "id", "version"]
    return pd.DataFrame([[getattr(r, c) for c in columns] for r in rows], columns=columns)
