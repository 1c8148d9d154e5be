"""One entry point for an uploaded file: pick the reader from the kind the user chose, preview, import.

The uploaded file's name is only ever used to suggest a kind; it never becomes a path, and the
bytes are checked (size first, then content) whatever the name says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, BinaryIO

import pandas as pd
from sqlalchemy.orm import Session

from db.io import mspdi, tabular
from db.io.limits import MAX_FILE_BYTES, refuse
from db.io.loader import ImportPlan
from db.io.sheets import SHEETS
from db.io.writer import ImportResult
from db.validation import ValidationError

KINDS = {"csv": "CSV (one sheet)", "xlsx": "Excel workbook", "xml": "MS Project XML"}
PREVIEW_ROWS = 20


def kind_from_name(name: str) -> str | None:
    """The import kind an upload's name suggests (``"csv"``, ``"xlsx"``, ``"xml"``), or None."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return suffix if suffix in KINDS else None


def guess_sheet(data: bytes) -> str:
    """The sheet a CSV most likely holds: the one whose columns its header shares most (tasks on a tie)."""
    first = data[:4096].decode("utf-8-sig", errors="replace").splitlines()[:1]
    header = {c.strip().strip('"') for c in first[0].replace(";", ",").split(",")} if first else set()
    best = max(SHEETS.values(), key=lambda s: (len(header & set(s.columns)) - len(header - set(s.columns)),
                                               s.name == "tasks"))
    return best.name


@dataclass(frozen=True)
class UploadPreview:
    """What an import would do: the plan (None if the file could not be read) and its rows as tables."""

    plan: ImportPlan | None
    error: ValidationError | None
    tables: dict[str, pd.DataFrame]

    @property
    def importable(self) -> bool:
        return self.plan is not None and self.plan.ok


def _show(value: Any) -> Any:
    return value if value is None or isinstance(value, str | int | float) else str(getattr(value, "key", value))


def preview_upload(*, session: Session, workspace_id: int, data: bytes | BinaryIO, kind: str,
                   sheet: str | None = None, project: str | None = None) -> UploadPreview:
    """Read and check an upload without writing; a file that cannot be read comes back as ``error``."""
    try:
        if kind == "xml":
            plan = mspdi.preview_mspdi(session=session, workspace_id=workspace_id, data=data, project=project)
        elif kind in ("csv", "xlsx"):
            plan = tabular.preview(session=session, workspace_id=workspace_id, data=data, fmt=kind, sheet=sheet)
        else:
            raise refuse("file", f"kind {kind!r} is not one of {', '.join(KINDS)}", column="kind")
    except ValidationError as exc:
        return UploadPreview(None, exc, {})
    tables = {
        name: pd.DataFrame([{"row": r.row, **{k: _show(v) for k, v in r.links.items()}, **r.values}
                            for r in rows[:PREVIEW_ROWS]])
        for name, rows in plan.rows.items()
    }
    return UploadPreview(plan, None, tables)


def import_upload(*, session: Session, workspace_id: int, data: bytes | BinaryIO, kind: str,
                  sheet: str | None = None, project: str | None = None) -> ImportResult:
    """Import an upload whole in the caller's transaction, or raise ValidationError and write nothing."""
    if kind == "xml":
        return mspdi.import_mspdi(session=session, workspace_id=workspace_id, data=data, project=project)
    if kind in ("csv", "xlsx"):
        return tabular.import_file(session=session, workspace_id=workspace_id, data=data, fmt=kind, sheet=sheet)
    raise refuse("file", f"kind {kind!r} is not one of {', '.join(KINDS)}", column="kind")


__all__ = ["KINDS", "MAX_FILE_BYTES", "UploadPreview", "guess_sheet", "import_upload", "kind_from_name",
           "preview_upload"]
