"""The economics tables (issues 6 and 8): revenue scenarios, a workspace's market and pitch documents, checklists.

Split out of ``db.models`` (which keeps its 400-line cap) and re-exported from it, like ``db.models_compute``.
A revenue scenario and the market and pitch documents are nested assumptions (streams, tiers, ranges,
competitors), so each is one validated JSON document in the format of ``python -m analytics revenue FILE.json``
rather than a dozen narrow tables; what other code filters on (name, kind, private) are real columns.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base, Tracked

DOCUMENT_KINDS = ("market", "pitch")


class RevenueScenario(Tracked, Base):
    """A saved revenue scenario: its streams and ranges, checked by ``analytics.revenue.spec``."""

    __tablename__ = "revenue_scenario"
    __label__ = "revenue scenario"
    __unique_live__ = (("workspace_id", "name"),)

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Private scenarios stay internal: never in the pitch view or an export.
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")


class WorkspaceDocument(Tracked, Base):
    """One JSON document per workspace and kind: the market model, the pitch's narrative fields."""

    __tablename__ = "workspace_document"
    __label__ = "workspace document"
    __unique_live__ = (("workspace_id", "kind"),)

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40), info={"choices": DOCUMENT_KINDS})
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ChecklistItem(Tracked, Base):
    """A ticked (or unticked) item of one of the Library's checklists, per workspace."""

    __tablename__ = "checklist_item"
    __label__ = "checklist item"
    __unique_live__ = (("workspace_id", "checklist", "item"),)

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id"), index=True)
    checklist: Mapped[str] = mapped_column(String(60))
    item: Mapped[str] = mapped_column(String(80))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
