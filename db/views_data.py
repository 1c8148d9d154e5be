"""Read model of the Import & export page: what the workspace holds that can be exported."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import repo
from db.io.sheets import SHEETS
from db.models import Project, Risk, Workspace


@dataclass(frozen=True)
class DataPage:
    workspace_name: str
    illustrative: bool
    counts: dict[str, int]  # live rows per sheet
    projects: dict[int, str]  # id → name, for the MS Project export
    private_risks: int


def data_page(*, session: Session, workspace_id: int) -> DataPage:
    """Row counts per exportable sheet, the projects, and how many risks are private."""
    workspace = repo.get(session=session, model=Workspace, row_id=workspace_id)
    counts = {}
    for name, spec in SHEETS.items():
        model = spec.model
        counts[name] = session.scalar(select(func.count()).select_from(model).where(
            model.workspace_id == workspace_id, model.deleted_at.is_(None))) or 0
    projects = {p.id: p.name for p in repo.list_rows(session=session, model=Project, workspace_id=workspace_id)}
    private = session.scalar(select(func.count()).select_from(Risk).where(
        Risk.workspace_id == workspace_id, Risk.deleted_at.is_(None), Risk.private.is_(True))) or 0
    return DataPage(workspace.name, workspace.illustrative, counts, projects, private)
