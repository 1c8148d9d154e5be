"""Insert one backup table's rows into a new workspace with fresh ids, after checking each value and link."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from db.models import Baseline, Tracked
from db.validation import SYSTEM_FIELDS, FieldError, ValidationError, clean_values

_AUDIT = ("created_at", "updated_at", "deleted_at")


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class RowRestorer:
    """Remembers old id → new id per table, so later tables' links point at the restored rows."""

    def __init__(self, session: Session, workspace_id: int, old_workspace_id: Any) -> None:
        self.session, self.workspace_id, self.old_workspace_id = session, workspace_id, old_workspace_id
        self.ids: dict[str, dict[Any, int]] = {"workspace": {old_workspace_id: workspace_id}}

    def _audit(self, table: str, number: int, values: dict[str, Any],
               keys: tuple[str, ...] = _AUDIT) -> dict[str, Any]:
        """Date-times from their ISO text (JSON has no date type)."""
        out: dict[str, Any] = {}
        for key in keys:
            raw = values.get(key)
            if raw is None:
                if key != "deleted_at":
                    continue
                out[key] = None
                continue
            try:
                out[key] = datetime.fromisoformat(str(raw))
            except ValueError:
                raise ValidationError([FieldError(table, key, f"must be a date and time, got {raw!r}", number)]) \
                    from None
        return out

    def _link(self, table: str, number: int, column: Any, value: Any) -> Any:
        target = next(iter(column.foreign_keys)).column.table.name
        if value is None:
            return None
        if not _is_id(value):
            raise ValidationError([FieldError(table, column.key, f"must be a row id, got {value!r}", number)])
        if target not in self.ids and target != table:
            return value  # a global table outside the workspace (none today) keeps its id
        mapped = self.ids.get(target, {}).get(value)
        if mapped is None:
            message = f"refers to {target} {value!r}, which is not in the backup"
            raise ValidationError([FieldError(table, column.key, message, number)])
        return mapped

    def _values(self, model: type[Tracked], number: int, row: dict[str, Any]) -> dict[str, Any]:
        table = model.__tablename__
        columns = model.__table__.c
        values = {k: v for k, v in row.items() if k not in SYSTEM_FIELDS}
        for key in list(values):
            if columns[key].foreign_keys:
                values[key] = self._link(table, number, columns[key], values[key])
            elif columns[key].type.python_type is datetime and values[key] is not None:
                values[key] = self._audit(table, number, {key: values[key]}, (key,))[key]
        for key, value in values.items():
            if columns[key].type.python_type is dict and value is not None and not isinstance(value, dict):
                raise ValidationError([FieldError(table, key, f"must be a JSON object, got {value!r}", number)])
        if model is Baseline and isinstance(values.get("snapshot"), dict):
            tasks = self.ids.get("task", {})
            unknown = [k for k in values["snapshot"] if not str(k).isdigit() or int(k) not in tasks]
            if unknown:
                message = f"names task {unknown[0]!r}, which is not in the backup"
                raise ValidationError([FieldError(table, "snapshot", message, number)])
            values["snapshot"] = {str(tasks[int(k)]): v for k, v in values["snapshot"].items()}
        try:
            cleaned = clean_values(model, values, row=number)
        except ValidationError as exc:
            raise ValidationError([FieldError(table, e.field, e.message, number) for e in exc.errors]) from None
        return {**cleaned, **self._audit(table, number, row)}

    def restore_table(self, model: type[Tracked], rows: list[tuple[int, dict[str, Any]]]) -> None:
        """Add every row of one table in the backup's order (so new ids keep it).

        Links to rows of the same table (a task's parent) are set once the whole table is in, which
        the history records as an update by the same actor.
        """
        table = model.__tablename__
        mapping = self.ids.setdefault(table, {})
        for number, row in rows:
            if not _is_id(row.get("id")):
                raise ValidationError([FieldError(table, "id", f"must be a row id, got {row.get('id')!r}", number)])
        olds = [row["id"] for _n, row in rows]
        if len(set(olds)) != len(olds):
            raise ValidationError([FieldError(table, "id", "holds the same id twice", None)])
        own = [c.key for c in model.__table__.columns if any(fk.column.table.name == table for fk in c.foreign_keys)]
        objects = []
        for number, row in rows:
            obj = model(**self._values(model, number, {**row, **dict.fromkeys(own)}))
            self.session.add(obj)
            objects.append((number, row, obj))
        self.session.flush()
        for _number, row, obj in objects:
            mapping[row["id"]] = obj.id
        for number, row, obj in objects:
            if any(row.get(key) is not None for key in own):
                for key in own:
                    setattr(obj, key, self._link(table, number, model.__table__.c[key], row.get(key)))
                flag_modified(obj, "updated_at")  # keep the backup's time, not the moment of the restore
        if own:
            self._refuse_loops(model, own, objects)
        self.session.flush()

    def _refuse_loops(self, model: type[Tracked], own: list[str], objects: list[tuple[int, dict, Any]]) -> None:
        """A row may not be its own ancestor (a tampered backup could say so)."""
        by_id = {obj.id: (number, obj) for number, _row, obj in objects}
        for number, _row, obj in objects:
            for key in own:
                seen, current = {obj.id}, getattr(obj, key)
                while current is not None:
                    if current in seen:
                        message = "makes a row its own ancestor"
                        raise ValidationError([FieldError(model.__tablename__, key, message, number)])
                    seen.add(current)
                    current = getattr(by_id[current][1], key) if current in by_id else None
