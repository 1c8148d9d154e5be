"""CSV and Excel (.xlsx) export and import of tasks, resources and risks.

One CSV file holds one sheet (tasks, people, compute, budget, funding, gpu_reservations, risks,
projects, milestones); one workbook holds any of them, one worksheet each. Import is
all-or-nothing through the repositories: :func:`preview` lists what would be written and every
problem (sheet, row, column) without writing; :func:`import_file` writes it in the caller's transaction.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from db.io.export_rows import sheet_rows
from db.io.limits import check_zip, decode_utf8, read_limited, refuse
from db.io.loader import FORMULA_START, ImportPlan, RawSheet, plan_import
from db.io.sheets import SHEETS
from db.io.writer import ImportResult, apply_plan

FORMATS = ("csv", "xlsx")


def _csv_cell(value: Any, *, text: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    value = str(value)
    # A spreadsheet opening the CSV would run "=HYPERLINK(…)" as a formula (CSV injection); a leading '
    # keeps it text, and import removes it again.
    return "'" + value if text and value.startswith(FORMULA_START) else value


def export_csv(*, session: Session, workspace_id: int, sheet: str, include_private: bool = False) -> bytes:
    """One sheet as UTF-8 CSV (with a byte-order mark, so Excel reads the accents right)."""
    spec = SHEETS[sheet]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(spec.columns)
    text = spec.text_fields
    for row in sheet_rows(session=session, workspace_id=workspace_id, sheet=sheet, include_private=include_private):
        writer.writerow([_csv_cell(row[c], text=c in text) for c in spec.columns])
    return out.getvalue().encode("utf-8-sig")


def export_excel(*, session: Session, workspace_id: int, sheets: tuple[str, ...] | None = None,
                 include_private: bool = False) -> bytes:
    """A workbook with one worksheet per sheet (default: all, in import order)."""
    from openpyxl import Workbook

    book = Workbook(write_only=False)
    book.remove(book.active)
    for name in sheets or tuple(SHEETS):
        spec = SHEETS[name]
        ws = book.create_sheet(name)
        ws.append(list(spec.columns))
        rows = sheet_rows(session=session, workspace_id=workspace_id, sheet=name, include_private=include_private)
        for r, row in enumerate(rows, start=2):
            for c, column in enumerate(spec.columns, start=1):
                cell = ws.cell(row=r, column=c, value=row[column])
                if isinstance(row[column], str):
                    cell.data_type = "s"  # text, never a formula, whatever it starts with
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_csv(data: bytes | BinaryIO, *, sheet: str) -> dict[str, RawSheet]:
    """A CSV file as one sheet; refused if empty, too large, not UTF-8 or not parseable."""
    if sheet not in SHEETS:
        raise refuse(sheet, f"is not a sheet FounderDeck imports; use {', '.join(SHEETS)}", column="sheet")
    text = decode_utf8(read_limited(data, source=sheet), source=sheet)
    first = text.split("\n", 1)[0]
    # Excel in many locales saves CSV with semicolons; a header with none of the commas gives it away.
    delimiter = "," if "," in first else ";" if ";" in first else "\t" if "\t" in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[Any]]] = []
    try:
        header = next(reader, None)
        for number, cells in enumerate(reader, start=2):
            rows.append((number, cells))
    except csv.Error as exc:
        raise refuse(sheet, f"is not readable CSV: {exc}", row=len(rows) + 2) from None
    if not header or not any(c.strip() for c in header):
        raise refuse(sheet, "has no header row; the first row must name the columns", row=1)
    return {sheet: RawSheet(header, rows, quoted=True)}


def read_excel(data: bytes | BinaryIO) -> dict[str, RawSheet]:
    """Every worksheet of an .xlsx file; refused if too large, not a safe zip, or not a workbook."""
    from openpyxl import load_workbook

    raw = read_limited(data, source="workbook")
    check_zip(raw, source="workbook")
    try:
        # openpyxl parses the XML with defusedxml when it is installed (it is: requirements.txt).
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise refuse("workbook", f"is not a readable Excel workbook ({type(exc).__name__})") from None
    sheets: dict[str, RawSheet] = {}
    try:
        for ws in book.worksheets:
            rows = [(n, list(cells)) for n, cells in enumerate(ws.iter_rows(values_only=True), start=1)]
            if not rows:
                continue
            sheets[ws.title.strip()] = RawSheet(rows[0][1], rows[1:])
    except Exception as exc:  # read-only mode parses each sheet lazily, here
        raise refuse("workbook", f"has a damaged worksheet ({type(exc).__name__})") from None
    finally:
        book.close()
    if not sheets:
        raise refuse("workbook", "has no worksheet with a header row")
    return sheets


def read_file(data: bytes | BinaryIO, *, fmt: str, sheet: str | None = None) -> dict[str, RawSheet]:
    """Sheets of a CSV (``sheet`` names what it holds) or an .xlsx file."""
    if fmt == "csv":
        return read_csv(data, sheet=sheet or "tasks")
    if fmt == "xlsx":
        return read_excel(data)
    raise refuse("file", f"format {fmt!r} is not one of {', '.join(FORMATS)}", column="format")


def preview(*, session: Session, workspace_id: int, data: bytes | BinaryIO, fmt: str,
            sheet: str | None = None) -> ImportPlan:
    """What importing the file would write and every problem in it; writes nothing."""
    return plan_import(session=session, workspace_id=workspace_id, sheets=read_file(data, fmt=fmt, sheet=sheet))


def import_file(*, session: Session, workspace_id: int, data: bytes | BinaryIO, fmt: str,
                sheet: str | None = None) -> ImportResult:
    """Import a CSV or .xlsx file whole, or raise ValidationError naming every problem and write nothing."""
    plan = preview(session=session, workspace_id=workspace_id, data=data, fmt=fmt, sheet=sheet)
    return apply_plan(session=session, workspace_id=workspace_id, plan=plan)
