"""Pitch narrative repository: problem, solution, why now, the ask and use of funds, what the money buys, and
the cost scenarios the founder keeps out of the pitch (``private_cost_scenarios``, names; on top of each cost
scenario's own ``private`` flag).

Stored in ``workspace_document`` (kind "pitch") through :mod:`db.repo` like :mod:`db.market`, so the version
check, soft delete and change history apply. Checked before anything is written; a bad field is refused naming
``content.<field>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from db.documents import document_row, save_document
from db.models import WorkspaceDocument
from db.validation import FieldError, ValidationError

KIND = "pitch"
TEXT_FIELDS = ("problem", "solution", "why_now", "milestones_money_buys")
USES = ("rd", "marketing", "operations")
_LABEL = WorkspaceDocument.__label__


@dataclass(frozen=True)
class StoredPitch:
    content: dict[str, Any]
    row_id: int | None
    version: int | None


def empty_pitch() -> dict[str, Any]:
    return {**{k: "" for k in TEXT_FIELDS}, "ask_usd": None, "use_of_funds": {k: 0.0 for k in USES},
            "private_cost_scenarios": []}


def checked(content: Any) -> dict[str, Any]:
    """``content`` normalised (defaults filled), or a ValidationError naming the field."""
    def bad(path: str, message: str) -> ValidationError:
        return ValidationError([FieldError(_LABEL, f"content.{path}", message)])

    if not isinstance(content, dict):
        raise ValidationError([FieldError(_LABEL, "content", "must be an object")])
    unknown = sorted(set(content) - set(TEXT_FIELDS) - {"ask_usd", "use_of_funds", "private_cost_scenarios"})
    if unknown:
        raise bad(unknown[0], "is not a pitch field")
    out = empty_pitch()
    for key in TEXT_FIELDS:
        value = content.get(key) or ""
        if not isinstance(value, str):
            raise bad(key, "must be text")
        out[key] = value.strip()
    ask = content.get("ask_usd")
    if ask is not None:
        if isinstance(ask, bool) or not isinstance(ask, int | float) or ask < 0:
            raise bad("ask_usd", "must be a non-negative number of USD")
        out["ask_usd"] = float(ask)
    uses = content.get("use_of_funds") or {}
    if not isinstance(uses, dict) or set(uses) - set(USES):
        raise bad("use_of_funds", f"must map {', '.join(USES)} to shares")
    for key in USES:
        value = uses.get(key) or 0.0
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise bad(f"use_of_funds.{key}", "must be a share between 0 and 1")
        out["use_of_funds"][key] = float(value)
    names = content.get("private_cost_scenarios") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise bad("private_cost_scenarios", "must be a list of cost-scenario names")
    out["private_cost_scenarios"] = sorted({n.strip() for n in names if n.strip()})
    total = sum(out["use_of_funds"].values())
    if total > 0 and abs(total - 1) > 0.011:
        raise bad("use_of_funds", f"shares add up to {total:.0%}, not 100%")
    return out


def _row(session: Session, workspace_id: int) -> WorkspaceDocument | None:
    return document_row(session, workspace_id, KIND)


def load_pitch(*, session: Session, workspace_id: int) -> StoredPitch:
    """The stored narrative, normalised; an empty one (row_id None) when there is none or it no longer checks."""
    row = _row(session, workspace_id)
    if row is None:
        return StoredPitch(empty_pitch(), None, None)
    try:
        return StoredPitch(checked(row.content), row.id, row.version)
    except ValidationError:
        return StoredPitch(empty_pitch(), row.id, row.version)


def save_pitch(*, session: Session, workspace_id: int, content: dict[str, Any],
               expected_version: int | None = None) -> WorkspaceDocument:
    """Store the narrative (checked first); ``expected_version`` None means the caller loaded none."""
    return save_document(session=session, workspace_id=workspace_id, kind=KIND, content=checked(content),
                         expected_version=expected_version, what="pitch narrative")
