"""Checklist repository: a workspace's ticks and notes on the Library's checklists.

One ``checklist_item`` row per workspace, checklist and item, created on the first tick or note and updated
after that, through :mod:`db.repo` (so validation, the version check and the change history apply). The
checklists themselves are reference data in ``analytics/data/library_reference.json``: a checklist or item
that is not there is refused, naming it, before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.library import Library, load_library
from db import repo
from db.models import ChecklistItem
from db.validation import FieldError, ValidationError

_TABLE = ChecklistItem.__label__


@dataclass(frozen=True)
class ItemState:
    done: bool
    note: str
    row_id: int | None  # None while the item has never been ticked or noted
    version: int | None


UNTOUCHED = ItemState(False, "", None, None)


def check_item(checklist: str, item: str, library: Library | None = None) -> None:
    """Refuse a checklist or item the Library does not have, naming it (ValidationError, field named)."""
    library = library or load_library()
    try:
        library.checklist(checklist)
    except KeyError as exc:
        raise ValidationError([FieldError(_TABLE, "checklist", exc.args[0])]) from None
    try:
        library.checklist_entry(checklist, item)
    except KeyError as exc:
        raise ValidationError([FieldError(_TABLE, "item", exc.args[0])]) from None


def _live(session: Session, workspace_id: int, checklist: str, item: str) -> ChecklistItem | None:
    stmt = select(ChecklistItem).where(
        ChecklistItem.workspace_id == workspace_id, ChecklistItem.checklist == checklist,
        ChecklistItem.item == item, ChecklistItem.deleted_at.is_(None))
    return session.scalars(stmt).first()


def set_item(
    *,
    session: Session,
    workspace_id: int,
    checklist: str,
    item: str,
    done: bool | None = None,
    note: str | None = None,
    expected_version: int | None = None,
) -> ChecklistItem:
    """Tick, untick or annotate one item (``None`` leaves a field as it is); returns the row.

    ``expected_version`` (from :func:`checklist_state`) refuses the change if someone else changed the
    item since it was read.
    """
    check_item(checklist, item)
    values = {k: v for k, v in (("done", done), ("note", note)) if v is not None}
    row = _live(session, workspace_id, checklist, item)
    if row is None:
        return repo.create(session=session, model=ChecklistItem,
                           values={"workspace_id": workspace_id, "checklist": checklist, "item": item, **values})
    if not values:
        return row
    return repo.update(session=session, model=ChecklistItem, row_id=row.id, values=values,
                       expected_version=expected_version)


def tick(*, session: Session, workspace_id: int, checklist: str, item: str) -> ChecklistItem:
    return set_item(session=session, workspace_id=workspace_id, checklist=checklist, item=item, done=True)


def untick(*, session: Session, workspace_id: int, checklist: str, item: str) -> ChecklistItem:
    return set_item(session=session, workspace_id=workspace_id, checklist=checklist, item=item, done=False)


def checklist_state(*, session: Session, workspace_id: int) -> dict[tuple[str, str], ItemState]:
    """The workspace's stored ticks and notes by (checklist, item); items never touched are absent."""
    stmt = select(ChecklistItem).where(ChecklistItem.workspace_id == workspace_id,
                                       ChecklistItem.deleted_at.is_(None)).order_by(ChecklistItem.id)
    return {(r.checklist, r.item): ItemState(r.done, r.note or "", r.id, r.version) for r in session.scalars(stmt)}
