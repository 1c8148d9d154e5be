"""Market document repository: a workspace's one market model, loaded and saved whole or a section at a time.

Stored in ``workspace_document`` (kind "market") through :mod:`db.repo`, so the version check, soft delete and
the change history apply. The document is checked by ``analytics.market_schema.parse_market`` (with the public
API price table, so a competitor's ``api_model`` must exist) before anything is written: a bad one is refused
with a ``ValidationError`` naming the field as ``content.<path>`` and nothing is stored. Saving is
version-checked both ways: an edit made against version N is refused once the row is at N+1, and a save that
believes there is no document yet (``expected_version=None``) is refused once one exists.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from analytics.gpu_catalogue import api_price_table
from analytics.market_schema import MarketError, empty_market, parse_market
from db.documents import document_row, save_document
from db.models import WorkspaceDocument
from db.validation import FieldError, ValidationError

KIND = "market"
SECTIONS = ("sizing", "own", "competitors", "business_model", "canvas", "pillars", "swot", "quality_metric",
            "output_share", "notes")
_LABEL = WorkspaceDocument.__label__


@dataclass(frozen=True)
class StoredMarket:
    """The workspace's market document as checked (defaults filled) and the row it lives in (None: none yet)."""

    content: dict[str, Any]
    row_id: int | None
    version: int | None
    problems: tuple[str, ...] = ()  # sections of the stored document that no longer pass the check


def checked(content: Any) -> dict[str, Any]:
    """``content`` normalised, or a ValidationError naming the field (``content.competitors[1].quality``)."""
    try:
        return parse_market(copy.deepcopy(content), api=api_price_table())
    except MarketError as exc:
        field = f"content.{exc.path}" if exc.path else "content"
        raise ValidationError([FieldError(_LABEL, field, str(exc).split(": ", 1)[-1] if exc.path else str(exc))]) \
            from None


def _row(session: Session, workspace_id: int) -> WorkspaceDocument | None:
    return document_row(session, workspace_id, KIND)


def load_market(*, session: Session, workspace_id: int) -> StoredMarket:
    """The stored document, normalised; an empty one (row_id None) when the workspace has none yet.

    A stored document that no longer passes the check (written by an older version, or edited in the database)
    keeps every section that does; the others are empty and named in ``problems``."""
    row = _row(session, workspace_id)
    if row is None:
        return StoredMarket(empty_market(), None, None)
    try:
        return StoredMarket(parse_market(copy.deepcopy(row.content)), row.id, row.version)
    except MarketError:
        pass
    content, problems = empty_market(), []
    raw = row.content if isinstance(row.content, dict) else {}
    for key, value in raw.items():
        try:
            content[key] = parse_market({key: copy.deepcopy(value)})[key]
        except MarketError as exc:
            problems.append(f"{exc} (section {key!r} shown empty; saving it replaces the stored one)")
    return StoredMarket(content, row.id, row.version, tuple(problems))


def save_market(*, session: Session, workspace_id: int, content: dict[str, Any],
                expected_version: int | None = None) -> WorkspaceDocument:
    """Store the whole document (checked first). ``expected_version`` is the version the caller loaded; None
    means it loaded none, so an existing document is not overwritten blindly."""
    return save_document(session=session, workspace_id=workspace_id, kind=KIND, content=checked(content),
                         expected_version=expected_version, what="market document")


def save_market_sections(*, session: Session, workspace_id: int, sections: dict[str, Any],
                         expected_version: int | None = None) -> WorkspaceDocument:
    """Replace some top-level sections (the page saves the competitor grid, the canvas, … a form at a time)."""
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        raise ValidationError([FieldError(_LABEL, "content", f"has no section {unknown[0]!r}; use one of "
                                                             f"{', '.join(SECTIONS)}")])
    current = load_market(session=session, workspace_id=workspace_id).content
    return save_market(session=session, workspace_id=workspace_id, content={**current, **sections},
                       expected_version=expected_version)


def save_market_section(*, session: Session, workspace_id: int, section: str, value: Any,
                        expected_version: int | None = None) -> WorkspaceDocument:
    """Replace one top-level section."""
    return save_market_sections(session=session, workspace_id=workspace_id, sections={section: value},
                                expected_version=expected_version)
