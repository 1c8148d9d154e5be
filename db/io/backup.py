"""Whole-workspace JSON backup, and restore into a new workspace.

A backup holds every row of every tracked table of one workspace (soft-deleted rows too, so
undo survives a restore), a format version and a SHA-256 checksum of the rest. Restore checks
the file completely — JSON, version, checksum, tables, columns, values, links — before it adds
anything, remaps every id, and writes in the caller's transaction: a corrupt, truncated or
tampered file is refused with the database unchanged.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any, BinaryIO

import networkx as nx
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db import repo
from db.io.limits import decode_utf8, read_limited, refuse
from db.io.restore_rows import RowRestorer
from db.models import TRACKED_MODELS, Base, Baseline, TaskDependency, Tracked, Workspace
from db.validation import FieldError, ValidationError

FORMAT = "founderdeck-backup"
VERSION = 1
# A whole workspace is bigger than one imported sheet: 5,000 tasks with their links are about 4 MB.
MAX_BACKUP_BYTES = 50 * 1024 * 1024  # = server.maxUploadSize in .streamlit/config.toml
_SOURCE = "backup"
_AUDIT = ("created_at", "updated_at", "deleted_at")


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _models_in_order() -> list[type[Tracked]]:
    """Tracked models, parents before children (the order the metadata sorts tables for creation)."""
    # A tracked table without a workspace column holds shared rows (none today): not a workspace's to back up.
    by_table = {m.__tablename__: m for m in TRACKED_MODELS if m is Workspace or "workspace_id" in m.__table__.c}
    ordered = [by_table[t.name] for t in Base.metadata.sorted_tables if t.name in by_table]
    # A baseline's snapshot is keyed by task ids inside JSON (no foreign key says so): tasks first.
    return [m for m in ordered if m is not Baseline] + [Baseline]


def checksum(document: dict[str, Any]) -> str:
    """SHA-256 of the document without its checksum, over canonical JSON (sorted keys, no spaces)."""
    body = {k: v for k, v in document.items() if k != "checksum"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def backup_document(*, session: Session, workspace_id: int) -> dict[str, Any]:
    """The workspace as a backup document (a dict ready for JSON)."""
    workspace = repo.get(session=session, model=Workspace, row_id=workspace_id)
    tables: dict[str, Any] = {}
    for model in _models_in_order():
        columns = [c.key for c in model.__table__.columns if c.key != "version"]
        if model is Workspace:
            rows = [workspace]
        else:
            rows = list(session.scalars(select(model).where(model.workspace_id == workspace_id).order_by(model.id)))
        tables[model.__tablename__] = {"columns": columns,
                                       "rows": [[_jsonable(getattr(r, c)) for c in columns] for r in rows]}
    document = {"format": FORMAT, "version": VERSION, "workspace": workspace.name,
                "written_at": datetime.now().astimezone().isoformat(timespec="seconds"), "tables": tables}
    document["checksum"] = checksum(document)
    return document


def write_backup(*, session: Session, workspace_id: int) -> bytes:
    """The backup as UTF-8 JSON bytes."""
    return json.dumps(backup_document(session=session, workspace_id=workspace_id), ensure_ascii=False,
                      indent=1).encode("utf-8")


def read_backup(data: bytes | BinaryIO, *, limit: int = MAX_BACKUP_BYTES) -> dict[str, Any]:
    """A backup document whose format, version and checksum are right; refused otherwise."""
    text = decode_utf8(read_limited(data, source=_SOURCE, limit=limit), source=_SOURCE)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        # A cut-off file is a valid prefix: the parser fails at its very end, or inside a string never closed.
        cut = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        end = "; the file ends early (truncated?)" if cut else ""
        raise refuse(_SOURCE, f"is not valid JSON at line {exc.lineno}, character {exc.colno}: {exc.msg}{end}",
                     row=exc.lineno) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise refuse(_SOURCE, "is not a FounderDeck backup (no 'format': 'founderdeck-backup')", column="format")
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= VERSION:
        raise refuse(_SOURCE, f"has format version {version!r}; this FounderDeck reads versions 1 to {VERSION}",
                     column="version")
    if document.get("checksum") != checksum(document):
        raise refuse(_SOURCE, "does not match the contents: the file was changed or damaged after it was written",
                     column="checksum")
    if not isinstance(document.get("tables"), dict):
        raise refuse(_SOURCE, "has no tables", column="tables")
    return document


def _unique_name(session: Session, wanted: str) -> str:
    taken = {w.name for w in repo.list_workspaces(session=session)}
    if wanted not in taken:
        return wanted
    n = 1
    while (name := f"{wanted} (restored{'' if n == 1 else f' {n}'})") in taken:
        n += 1
    return name[:120]


def _table_rows(document: dict[str, Any], model: type[Tracked]) -> list[tuple[int, dict[str, Any]]]:
    """(row number, column → value) of one table, checked for shape; row numbers count from 1."""
    name = model.__tablename__
    table = document["tables"].get(name, {"columns": [], "rows": []})
    columns, rows = table.get("columns") if isinstance(table, dict) else None, \
        table.get("rows") if isinstance(table, dict) else None
    if not isinstance(columns, list) or not isinstance(rows, list):
        raise refuse(name, "is not a table with 'columns' and 'rows'", column="table")
    known = {c.key for c in model.__table__.columns}
    for column in columns:
        if column not in known:
            raise refuse(name, f"is not a column of {name} (a backup from a newer FounderDeck?)", column=str(column))
    if rows and "id" not in columns:
        raise refuse(name, "is missing", column="id")
    out = []
    for number, cells in enumerate(rows, start=1):
        if not isinstance(cells, list) or len(cells) != len(columns):
            raise refuse(name, f"has {len(cells) if isinstance(cells, list) else 'no'} values for "
                               f"{len(columns)} columns", row=number, column="row")
        out.append((number, dict(zip(columns, cells, strict=True))))
    return out


def restore_backup(*, session: Session, data: bytes | BinaryIO, name: str | None = None) -> Workspace:
    """Restore a backup into a NEW workspace (ids remapped) and return it; raises ValidationError, writing nothing.

    The name is ``name`` if given (refused if taken), else the backup's, made unique with "(restored)".
    """
    document = read_backup(data)
    unknown = set(document["tables"]) - {m.__tablename__ for m in _models_in_order()}
    if unknown:
        raise refuse(_SOURCE, f"holds tables this FounderDeck does not know: {', '.join(sorted(unknown))}",
                     column="tables")
    models = _models_in_order()
    workspace_rows = _table_rows(document, Workspace)
    if len(workspace_rows) != 1:
        raise refuse("workspace", f"must hold exactly one row, not {len(workspace_rows)}", column="rows")
    old_id = workspace_rows[0][1].get("id")
    if not isinstance(old_id, int) or isinstance(old_id, bool):
        raise refuse("workspace", f"must be a row id, got {old_id!r}", column="id", row=1)
    values = {k: v for k, v in workspace_rows[0][1].items() if k not in ("id", *_AUDIT)}
    values["name"] = name if name is not None else _unique_name(session, str(values.get("name") or "Restored"))
    workspace = repo.create(session=session, model=Workspace, values=values, row=1)
    restorer = RowRestorer(session, workspace.id, old_id)
    try:
        for model in models:
            if model is not Workspace:
                restorer.restore_table(model, _table_rows(document, model))
        session.flush()
    except IntegrityError as exc:
        # E.g. the same dependency twice: the database's own rule, reported like any other refusal.
        raise refuse(_SOURCE, f"breaks a database rule ({str(exc.orig).splitlines()[0]})", column="rows") from None
    _refuse_dependency_cycles(session, workspace.id)
    return workspace


def _refuse_dependency_cycles(session: Session, workspace_id: int) -> None:
    edges = session.execute(select(TaskDependency.predecessor_id, TaskDependency.successor_id).where(
        TaskDependency.workspace_id == workspace_id, TaskDependency.deleted_at.is_(None))).all()
    try:
        cycle = nx.find_cycle(nx.DiGraph(list(edges)))
    except nx.NetworkXNoCycle:
        return
    raise ValidationError([FieldError("task_dependency", "predecessor_id",
                                      f"the backup's dependencies form a cycle through {len(cycle)} tasks")])


