"""``python -m db backup WORKSPACE FILE`` and ``python -m db restore FILE [--name NAME]``."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from db import repo
from db.io.backup import MAX_BACKUP_BYTES, restore_backup, write_backup
from db.transaction import transaction


def _workspace_id(session: Session, wanted: str) -> int | None:
    workspaces = repo.list_workspaces(session=session)
    for ws in workspaces:
        if ws.name == wanted:
            return ws.id
    if wanted.isdigit() and int(wanted) in {w.id for w in workspaces}:
        return int(wanted)
    return None


def backup_command(factory: sessionmaker[Session], workspace: str, file: str) -> int:
    """Write the backup next to FILE first and rename it into place, so a failure never leaves half a file."""
    with factory() as session:
        workspace_id = _workspace_id(session, workspace)
        if workspace_id is None:
            names = ", ".join(repr(w.name) for w in repo.list_workspaces(session=session)) or "none"
            print(f"error: no workspace {workspace!r} (by name or id); workspaces: {names}", file=sys.stderr)
            return 2
        data = write_backup(session=session, workspace_id=workspace_id)
    target = Path(file)
    if "\0" not in file and target.is_dir():
        print(f"error: {file} is a directory; give a file name", file=sys.stderr)
        return 2
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".", prefix=".backup-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, target)
    except (OSError, ValueError) as exc:
        print(f"error: cannot write {file!r}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(data):,} bytes to {file}")
    return 0


def restore_command(factory: sessionmaker[Session], file: str, name: str | None) -> int:
    """Restore FILE into a new workspace; ValidationError (refusals) is reported by the CLI's main."""
    try:
        handle = open(file, "rb")  # noqa: SIM115 - closed below, after the transaction
    except (OSError, ValueError) as exc:  # missing, a directory, no permission, a NUL in the name
        print(f"error: cannot read {file!r}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return 2
    with handle, transaction(factory, actor="restore") as session:
        workspace = restore_backup(session=session, data=handle, name=name)
        print(f"restored workspace {workspace.name!r} (id {workspace.id}) from {file}")
    return 0


__all__ = ["MAX_BACKUP_BYTES", "backup_command", "restore_command"]
