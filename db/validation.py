"""Validation of user values before they reach the ORM.

Every refusal names the table, the field (and the row, for bulk edits) so the user can fix it;
nothing is written when validation fails, because repositories validate before they add.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Column, String
from sqlalchemy.orm import Session

from db.models import Tracked

# Columns the system owns; a user value for one of them is refused.
SYSTEM_FIELDS = frozenset({"id", "created_at", "updated_at", "deleted_at", "version"})
# INTEGER is 32-bit on PostgreSQL; refuse what one of the two databases could not store.
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_TRUE = {"true", "yes", "y", "1"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FALSE = {"false", "no", "n", "0"}


@dataclass(frozen=True)
class FieldError:
    table: str
    field: str
    message: str
    row: int | None = None

    def __str__(self) -> str:
        where = f"{self.table} row {self.row}" if self.row is not None else self.table
        return f"{where}: '{self.field}' {self.message}"


class ValidationError(ValueError):
    """One or more field errors; ``str()`` lists each on its own line."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class StaleEditError(ValueError):
    """The row changed since the caller read it: their edit would overwrite someone else's."""


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    # pandas' NaT and NA compare unequal to themselves, like NaN.
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return False


@cache
def _columns(model: type[Tracked]) -> dict[str, tuple[Column, type, bool]]:
    """Each column of ``model`` by key with its Python type and whether a value is required.

    Cached per model: tables are fixed once the models are imported, and rebuilding this per validated row
    (every cell asks for ``type.python_type``) was a fifth of a bulk import's checking.
    """
    return {c.key: (c, c.type.python_type, _required(c)) for c in model.__table__.columns}


@cache
def _references(model: type[Tracked]) -> tuple[tuple[str, str], ...]:
    """(column key, target table name) of each foreign key of ``model``, in column order (cached, as above)."""
    return tuple((c.key, next(iter(c.foreign_keys)).column.table.name)
                 for c in model.__table__.columns if c.foreign_keys)


def _coerce(column: Column, value: Any, kind: type | None = None) -> Any:
    """Convert ``value`` to the column's Python type (``kind``, looked up when not given) or raise ValueError
    with the reason."""
    kind = column.type.python_type if kind is None else kind
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise ValueError(f"must be true or false, got {value!r}")
    if kind is int:
        if isinstance(value, bool):
            raise ValueError(f"must be a whole number, got {value!r}")
        if isinstance(value, int):
            number = value
        else:
            try:
                number = float(str(value).strip()) if not isinstance(value, float) else value
            except ValueError:
                raise ValueError(f"must be a whole number, got {value!r}") from None
            if not math.isfinite(number) or number != int(number):
                raise ValueError(f"must be a whole number, got {value!r}")
        if not _INT_MIN <= number <= _INT_MAX:
            raise ValueError(f"must be between {_INT_MIN:,} and {_INT_MAX:,}, got {value!r}")
        return int(number)
    if kind is float:
        if isinstance(value, bool):
            raise ValueError(f"must be a number, got {value!r}")
        try:
            number = float(value.strip()) if isinstance(value, str) else float(value)
        except (TypeError, ValueError):
            raise ValueError(f"must be a number, got {value!r}") from None
        if not math.isfinite(number):
            raise ValueError(f"must be a finite number, got {value!r}")
        return number
    if kind is date:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip()[:10])
            except ValueError:
                pass
        raise ValueError(f"must be a date (YYYY-MM-DD), got {value!r}")
    if kind is str:
        if not isinstance(value, str):
            raise ValueError(f"must be text, got {value!r}")
        if _CONTROL.search(value):
            # PostgreSQL cannot store NUL at all; the other control characters are never typed on purpose.
            raise ValueError(f"must not contain control characters, got {value!r}")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"must be valid Unicode text, got {value!r}") from None
        value = value.strip()
        length = column.type.length if isinstance(column.type, String) else None
        if length and len(value) > length:
            raise ValueError(f"must be at most {length} characters, got {len(value)}")
        return value
    return value


def _check_bounds(column: Column, value: Any) -> str | None:
    info = column.info
    choices = info.get("choices")
    if choices and value not in choices:
        return f"must be one of {', '.join(choices)}; got {value!r}"
    if "min" in info and value < info["min"]:
        return f"must be at least {info['min']}, got {value}"
    if "max" in info and value > info["max"]:
        return f"must be at most {info['max']}, got {value}"
    return None


def _required(column: Column) -> bool:
    return not column.nullable and column.default is None and column.server_default is None


def clean_values(
    model: type[Tracked], values: dict[str, Any], *, existing: Tracked | None = None, row: int | None = None
) -> dict[str, Any]:
    """Validate and coerce ``values`` for ``model``; ``existing`` marks a partial update.

    Raises :class:`ValidationError` listing every problem found, not only the first.
    """
    table = model.__label__
    columns = _columns(model)
    errors: list[FieldError] = []
    cleaned: dict[str, Any] = {}
    for field, raw in values.items():
        if field not in columns or field in SYSTEM_FIELDS:
            errors.append(FieldError(table, field, "is not a field you can set", row))
            continue
        column, kind, required = columns[field]
        if _is_missing(raw) or (isinstance(raw, str) and not raw.strip() and kind is not str):
            if not column.nullable:
                errors.append(FieldError(table, field, "is required", row))
            else:
                cleaned[field] = None
            continue
        try:
            value = _coerce(column, raw, kind)
        except ValueError as exc:
            errors.append(FieldError(table, field, str(exc), row))
            continue
        if isinstance(value, str) and not value and required:
            errors.append(FieldError(table, field, "must not be empty", row))
            continue
        problem = _check_bounds(column, value)
        if problem:
            errors.append(FieldError(table, field, problem, row))
            continue
        cleaned[field] = value
    if existing is None:
        for field, (_column, _kind, required) in columns.items():
            if field not in SYSTEM_FIELDS and required and field not in values:
                errors.append(FieldError(table, field, "is required", row))
    merged = {f: getattr(existing, f) for f in columns} if existing is not None else {}
    merged.update(cleaned)
    for low, high in model.__ordered__:
        a, b = merged.get(low), merged.get(high)
        if a is not None and b is not None and a > b:
            errors.append(FieldError(table, high, f"({b}) must not be before/below '{low}' ({a})", row))
    if errors:
        raise ValidationError(errors)
    return cleaned


def check_references(
    session: Session, model: type[Tracked], values: dict[str, Any], *, workspace_id: int | None, row: int | None = None
) -> None:
    """Every foreign key in ``values`` must point at a live row of the same workspace."""
    errors: list[FieldError] = []
    for key, target_table in _references(model):
        value = values.get(key)
        if value is None:
            continue
        target = _model_for_table(target_table)
        obj = session.get(target, value)
        label = target.__label__
        if obj is None or obj.deleted_at is not None:
            message = f"refers to {label} {value}, which does not exist"
            errors.append(FieldError(model.__label__, key, message, row))
            continue
        owner = obj.id if target.__tablename__ == "workspace" else getattr(obj, "workspace_id", None)
        if workspace_id is not None and owner is not None and owner != workspace_id:
            message = f"refers to {label} {value}, which is in another workspace"
            errors.append(FieldError(model.__label__, key, message, row))
    if errors:
        raise ValidationError(errors)


@cache  # a table's model never changes; a KeyError (unknown table) is not cached and raises again
def _model_for_table(name: str) -> type[Tracked]:
    from db.models import TRACKED_MODELS

    for model in TRACKED_MODELS:
        if model.__tablename__ == name:
            return model
    raise KeyError(name)
