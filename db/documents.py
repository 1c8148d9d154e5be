"""A workspace's one document of a kind (``WorkspaceDocument``: the market model, the pitch narrative).

The market and pitch repositories check their own content; this module owns how a document is found and
written: the live row of (workspace, kind), created on the first save, then updated version-checked. A save
from a caller that loaded no document never overwrites one that exists (``expected_version`` None).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import repo
from db.models import WorkspaceDocument
from db.validation import StaleEditError


def document_row(session: Session, workspace_id: int, kind: str) -> WorkspaceDocument | None:
    """The live document of ``kind`` in the workspace, or None."""
    stmt = select(WorkspaceDocument).where(WorkspaceDocument.workspace_id == workspace_id,
                                           WorkspaceDocument.kind == kind, WorkspaceDocument.deleted_at.is_(None))
    return session.scalars(stmt).first()


def save_document(*, session: Session, workspace_id: int, kind: str, content: dict[str, Any],
                  expected_version: int | None, what: str) -> WorkspaceDocument:
    """Create or update the (already checked) ``content``; ``what`` names the document in refusals."""
    row = document_row(session, workspace_id, kind)
    if row is None:
        if expected_version is not None:
            raise StaleEditError(f"the {what} was deleted since you loaded it; reload and edit again")
        return repo.create(session=session, model=WorkspaceDocument,
                           values={"workspace_id": workspace_id, "kind": kind, "content": content})
    if expected_version is None:
        raise StaleEditError(f"a {what} already exists (version {row.version}); reload and edit it")
    return repo.update(session=session, model=WorkspaceDocument, row_id=row.id, values={"content": content},
                       expected_version=expected_version)
