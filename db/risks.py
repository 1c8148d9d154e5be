"""Risk repositories: the documents' catalogue into a workspace, risk → task links, response/kind pairing.

Functions take a caller-owned session (keyword arguments only) and write through :mod:`db.repo`, so
validation and history apply to every row they touch.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import repo
from db.catalogues import risk_catalogue
from db.models import Risk, RiskTaskLink
from db.validation import FieldError, ValidationError, check_references

# Responses that make sense for each kind (PMBOK Guide 6th ed., §11.5.2.4–5): a threat is avoided,
# mitigated, transferred, accepted or escalated; an opportunity is exploited, enhanced, shared or accepted.
RESPONSES_BY_KIND: dict[str, tuple[str, ...]] = {
    "threat": ("avoid", "mitigate", "transfer", "accept", "escalate"),
    "opportunity": ("exploit", "enhance", "share", "accept"),
}
# Column defaults, for a create that names neither field.
_DEFAULT_KIND, _DEFAULT_RESPONSE = "threat", "mitigate"


def check_response_pairing(values: dict[str, Any], *, existing: Risk | None = None, row: int | None = None) -> None:
    """Refuse a response that does not fit the risk's kind, naming the ``response`` field.

    ``values`` are cleaned values of a create, or the changed fields of an update of ``existing``.
    """
    kind = values.get("kind", existing.kind if existing is not None else _DEFAULT_KIND)
    response = values.get("response", existing.response if existing is not None else _DEFAULT_RESPONSE)
    allowed = RESPONSES_BY_KIND.get(kind)
    if allowed is not None and response not in allowed:
        message = f"{response!r} is not a response to a {kind}; use one of {', '.join(allowed)}"
        raise ValidationError([FieldError("risk", "response", message, row)])


def catalogue_values(item: dict[str, Any]) -> dict[str, Any]:
    """A catalogue entry as risk field values: its statement, mitigations (one per line) and sources."""
    return {
        "code": item["code"], "kind": item.get("kind", "threat"), "category": item["category"],
        "title": item["title"], "cause": item["cause"], "event": item["event"], "effect": item["effect"],
        # The documents give no probabilities or dollar figures: these starting values are illustrative.
        "probability_pct": item["probability_pct"], "impact": item["impact"], "impact_usd": item["impact_usd"],
        "response": item["response"], "mitigation": "\n".join(f"• {m}" for m in item["mitigations"]),
        "sources": ", ".join(item["sources"]),
    }


def _live_codes(session: Session, workspace_id: int) -> set[str]:
    stmt = select(Risk.code).where(Risk.workspace_id == workspace_id, Risk.deleted_at.is_(None),
                                   Risk.code.is_not(None))
    return set(session.scalars(stmt))


def missing_from_catalogue(*, session: Session, workspace_id: int) -> list[dict[str, Any]]:
    """Catalogue entries the workspace does not hold yet (no live risk with that code), in catalogue order."""
    present = _live_codes(session, workspace_id)
    return [item for item in risk_catalogue() if item["code"] not in present]


def add_from_catalogue(
    *,
    session: Session,
    workspace_id: int,
    codes: Iterable[str] | None = None,
    owner_id: int | None = None,
    review_date: date | None = None,
) -> list[Risk]:
    """Add the catalogue's risks (all, or those with ``codes``) that the workspace does not hold yet.

    Idempotent: a code already present as a live risk is skipped, so adding twice adds nothing
    the second time. An unknown code is refused naming it. Returns the risks added.
    """
    catalogue = {item["code"]: item for item in risk_catalogue()}
    wanted = list(catalogue) if codes is None else list(dict.fromkeys(codes))
    unknown = [c for c in wanted if c not in catalogue]
    if unknown:
        raise ValidationError([FieldError("risk", "code", f"{', '.join(map(repr, unknown))} is not in the catalogue")])
    present = _live_codes(session, workspace_id)
    extra = {"owner_id": owner_id, "review_date": review_date}
    return [
        repo.create(session=session, model=Risk,
                    values={**catalogue_values(catalogue[code]), **extra, "workspace_id": workspace_id})
        for code in wanted
        if code not in present
    ]


def linked_task_ids(*, session: Session, risk_id: int) -> list[int]:
    """Ids of the live tasks a risk is linked to, in link order."""
    stmt = select(RiskTaskLink.task_id).where(RiskTaskLink.risk_id == risk_id, RiskTaskLink.deleted_at.is_(None))
    return list(session.scalars(stmt.order_by(RiskTaskLink.id)))


def link_task(*, session: Session, risk_id: int, task_id: int) -> RiskTaskLink:
    """Link a risk to a task it would delay; an existing link is kept, a deleted one comes back."""
    repo.get(session=session, model=Risk, row_id=risk_id)
    stmt = select(RiskTaskLink).where(RiskTaskLink.risk_id == risk_id, RiskTaskLink.task_id == task_id)
    link = session.scalars(stmt).first()
    if link is None:
        return repo.create(session=session, model=RiskTaskLink, values={"risk_id": risk_id, "task_id": task_id})
    if link.deleted_at is not None:
        # The pair is unique in the table (deleted rows included), so bring the old row back.
        check_references(session, RiskTaskLink, {"task_id": task_id}, workspace_id=link.workspace_id)
        repo.restore(session=session, model=RiskTaskLink, row_id=link.id)
    return link


def unlink_task(*, session: Session, risk_id: int, task_id: int) -> bool:
    """Remove a risk → task link (soft delete, so history can undo it); False if there was none."""
    stmt = select(RiskTaskLink.id).where(RiskTaskLink.risk_id == risk_id, RiskTaskLink.task_id == task_id,
                                         RiskTaskLink.deleted_at.is_(None))
    link_id = session.scalar(stmt)
    if link_id is None:
        return False
    repo.soft_delete(session=session, model=RiskTaskLink, row_id=link_id)
    return True


def set_linked_tasks(*, session: Session, risk_id: int, task_ids: Iterable[int]) -> tuple[int, int]:
    """Make the risk's live links exactly ``task_ids``; returns (links added, links removed)."""
    wanted = list(dict.fromkeys(task_ids))
    current = linked_task_ids(session=session, risk_id=risk_id)
    added = [t for t in wanted if t not in current]
    removed = [t for t in current if t not in wanted]
    for task_id in added:
        link_task(session=session, risk_id=risk_id, task_id=task_id)
    for task_id in removed:
        unlink_task(session=session, risk_id=risk_id, task_id=task_id)
    return len(added), len(removed)


def save_risk_detail(
    *, session: Session, risk_id: int, values: dict[str, Any], task_ids: Iterable[int], expected_version: int
) -> tuple[int, int]:
    """Update a risk's fields and set its linked tasks in one go; returns (links added, links removed).

    ``expected_version`` refuses the save if someone changed the risk since the form was drawn.
    """
    repo.update(session=session, model=Risk, row_id=risk_id, values=values, expected_version=expected_version)
    return set_linked_tasks(session=session, risk_id=risk_id, task_ids=task_ids)

