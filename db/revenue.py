"""Revenue scenarios: save, list and delete them, and resolve a scenario against its workspace.

A scenario is stored as the JSON document ``python -m analytics revenue FILE.json`` reads, checked by
``analytics.revenue.spec.parse`` before it is written (a malformed one is refused naming the field, and
nothing is stored). With ``use_tracker`` the app fills in, each time it runs the scenario, what the
workspace already knows: its cash, the monthly opex of its people, GPU pools and budget lines, its planned
funding rounds, and the serving and training costs of the cost scenarios a stream or training run names.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.revenue.spec import TRACKER_SOURCE as TRACKER
from analytics.revenue.spec import SpecError, parse
from db import repo
from db.cost_scenarios import scenario_costs
from db.models import FundingRound, RevenueScenario
from db.validation import FieldError, ValidationError
from db.views import burn_plan

_LABEL = RevenueScenario.__label__


def _checked(spec: dict[str, Any], row: int | None = None) -> dict[str, Any]:
    """The spec as stored: parsed (defaults filled), or a ValidationError naming the field."""
    probe = dict(spec)
    probe.setdefault("start_month", "2000-01")  # the app fills the current month when it runs the scenario
    try:
        parse(probe)
    except SpecError as exc:
        raise ValidationError([FieldError(_LABEL, f"spec.{exc.path}", str(exc).split(": ", 1)[-1], row)]) from None
    return copy.deepcopy(spec)


def save_revenue_scenario(*, session: Session, workspace_id: int, name: str, spec: dict[str, Any], notes: str = "",
                          private: bool = False, row_id: int | None = None,
                          expected_version: int | None = None) -> RevenueScenario:
    """Add a scenario, or replace scenario ``row_id``'s document (a stale ``expected_version`` is refused)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError([FieldError(_LABEL, "name", "is required", None)])
    stored = _checked({**spec, "name": name})
    values = {"name": name, "spec": stored, "notes": notes, "private": private}
    if row_id is None:
        return repo.create(session=session, model=RevenueScenario, values={**values, "workspace_id": workspace_id})
    return repo.update(session=session, model=RevenueScenario, row_id=row_id, values=values,
                       expected_version=expected_version)


def delete_revenue_scenario(*, session: Session, row_id: int, expected_version: int | None = None) -> None:
    """Soft-delete a scenario (restorable from the Data page's deleted list)."""
    repo.soft_delete(session=session, model=RevenueScenario, row_id=row_id, expected_version=expected_version)


def revenue_scenarios(*, session: Session, workspace_id: int, include_private: bool = True) -> list[RevenueScenario]:
    """The workspace's live scenarios, by name; private ones left out when ``include_private`` is False."""
    stmt = select(RevenueScenario).where(RevenueScenario.workspace_id == workspace_id,
                                         RevenueScenario.deleted_at.is_(None)).order_by(RevenueScenario.name)
    rows = list(session.scalars(stmt))
    return rows if include_private else [r for r in rows if not r.private]


@dataclass(frozen=True)
class Resolved:
    """A scenario with the workspace's figures filled in, and what could not be filled."""

    doc: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    # Fields a run overwrites from a cost scenario (path → its name): the assumptions grid leaves them out,
    # since an edit there would be replaced on the next run.
    linked: dict[str, str] = field(default_factory=dict)


def _month_index(start: date, when: date) -> int:
    return (when.year - start.year) * 12 + when.month - start.month


def _blended_serving(row: pd.Series) -> float:
    """$/1M tokens of a stream that meters tokens without splitting them: the cost scenario's own prompt/output mix
    is not stored in its columns, so input and output are weighted 3:1, the demo request's (illustrative) mix."""
    return 0.75 * float(row["serving_usd_per_m_input"] or 0) + 0.25 * float(row["serving_usd_per_m_output"] or 0)


def resolve(*, session: Session, workspace_id: int, spec: dict[str, Any], today: date | None = None,
            tracker: bool = True, costs: pd.DataFrame | None = None) -> Resolved:
    """Fill ``spec`` from the workspace (when ``use_tracker`` is set and ``tracker``) and the cost scenarios it
    names. A caller resolving many scenarios for their prices alone (the Market page) passes ``tracker=False``
    and the ``scenario_costs`` frame it read once."""
    today = today or date.today()
    doc = copy.deepcopy(spec)
    warnings: list[str] = []
    linked: dict[str, str] = {}
    doc.setdefault("start_month", f"{today.year:04d}-{today.month:02d}")
    costs = scenario_costs(session=session, workspace_id=workspace_id) if costs is None else costs
    by_name = {str(r["name"]): r for _, r in costs.iterrows()}

    def cost_row(name: str, where: str) -> pd.Series | None:
        if not name:
            return None
        if name not in by_name:
            warnings.append(f"{where}: cost scenario {name!r} not found; its saved figures are used")
            return None
        return by_name[name]

    for i, stream in enumerate(doc.get("streams", [])):
        row = cost_row(str(stream.get("cost_scenario", "")), f"streams[{i}] ({stream.get('name', '')})")
        if row is None:
            continue
        if stream.get("kind") == "maas":
            stream["serving_usd_per_m_input"] = float(row["serving_usd_per_m_input"] or 0)
            stream["serving_usd_per_m_output"] = float(row["serving_usd_per_m_output"] or 0)
            linked |= {f"streams[{i}].{k}": str(row["name"]) for k in ("serving_usd_per_m_input",
                                                                      "serving_usd_per_m_output")}
        elif "serving_usd_per_m_tokens" in stream or stream.get("kind") in ("saas", "subscription"):
            stream["serving_usd_per_m_tokens"] = _blended_serving(row)
            linked[f"streams[{i}].serving_usd_per_m_tokens"] = str(row["name"])
    for i, run in enumerate(doc.get("training", [])):
        row = cost_row(str(run.get("cost_scenario", "")), f"training[{i}] ({run.get('name', '')})")
        if row is not None and row["training_cost_usd"] is not None and not pd.isna(row["training_cost_usd"]):
            run["cost_usd"] = float(row["training_cost_usd"])
            linked[f"training[{i}].cost_usd"] = str(row["name"])
    if doc.get("use_tracker") and tracker:
        _fill_from_tracker(session, workspace_id, doc, today, warnings)
    return Resolved(doc=doc, warnings=warnings, linked=linked)


def _fill_from_tracker(session: Session, workspace_id: int, doc: dict[str, Any], today: date,
                       warnings: list[str]) -> None:
    year, month = (int(p) for p in str(doc["start_month"]).split("-"))
    start = date(year, month, 1)
    months = int(doc.get("months", 36))
    plan = burn_plan(session=session, workspace_id=workspace_id, today=start, months=months)
    doc["starting_cash_usd"] = float(plan.runway.cash_usd)
    own = [line for line in doc.get("opex", []) if line.get("source") != TRACKER]
    tracker_lines = [{"name": f"{c} (from the tracker)", "category": c, "source": TRACKER,
                      "monthly_usd": [round(float(v), 2) for v in plan.burn[c].to_numpy()]}
                     for c in ("people", "compute", "rd", "marketing", "operations") if plan.burn[c].abs().sum() > 0]
    doc["opex"] = tracker_lines + own
    rounds = session.scalars(select(FundingRound).where(FundingRound.workspace_id == workspace_id,
                                                        FundingRound.deleted_at.is_(None),
                                                        FundingRound.status != "closed")).all()
    own_rounds = [r for r in doc.get("funding", []) if r.get("source") != TRACKER]
    tracked = []
    for r in sorted(rounds, key=lambda r: r.close_date):
        at = max(0, _month_index(start, r.close_date))
        if at >= months:
            warnings.append(f"funding round {r.name!r} closes after the horizon and is left out")
            continue
        tracked.append({"name": f"{r.name} ({r.status})", "month": at, "amount_usd": float(r.amount_usd),
                        "source": TRACKER})
    doc["funding"] = tracked + own_rounds
    warnings.append(f"starting cash: {plan.cash_source}")
