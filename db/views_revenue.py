"""Read model of the Revenue page: the workspace's scenarios, the chosen one resolved and computed."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from analytics.revenue.editing import assumption_table, what_if
from analytics.revenue.report import RevenueReport, build_report, compare
from analytics.revenue.spec import SpecError, input_label, parse
from db import repo
from db.models import Workspace
from db.revenue import resolve, revenue_scenarios


@dataclass(frozen=True)
class WhatIf:
    """Unsaved multipliers from the page's sliders (1 = as saved)."""

    demand: float = 1.0
    churn: float = 1.0
    price: float = 1.0

    @property
    def active(self) -> bool:
        return (self.demand, self.churn, self.price) != (1.0, 1.0, 1.0)


@dataclass(frozen=True)
class RevenueView:
    workspace: str
    illustrative: bool
    scenarios: pd.DataFrame  # id, name, private, version, notes, compared (in the comparison)
    scenario_id: int | None
    stored: dict[str, Any] | None  # the scenario as saved
    resolved: dict[str, Any] | None  # with the workspace's figures filled in (what runs; what a download holds)
    warnings: list[str]
    error: str | None  # why nothing could be computed, in words
    assumptions: pd.DataFrame  # every number of the stored scenario, for the grid
    report: RevenueReport | None
    comparison: pd.DataFrame  # every saved scenario side by side (deterministic)
    linked: dict[str, str] = field(default_factory=dict)  # input label → the cost scenario it is refreshed from


COMPARED_BY_DEFAULT = 3  # a workspace may hold dozens of scenarios: compare a few unless asked


def revenue_view(*, session: Session, workspace_id: int, scenario_id: int | None = None,
                 whatif: WhatIf | None = None, mc_paths: int = 0, seed: int = 0, tornado_output: str | None = None,
                 tornado_month: int | None = None, compare_ids: list[int] | None = None,
                 today: date | None = None) -> RevenueView:
    """The page's one read: scenarios, the chosen one (default: the first), its report and the comparison of
    ``compare_ids`` (default: the first three scenarios by name)."""
    ws = repo.get(session=session, model=Workspace, row_id=workspace_id)
    rows = revenue_scenarios(session=session, workspace_id=workspace_id)
    table = pd.DataFrame([{"id": r.id, "name": r.name, "private": r.private, "version": r.version, "notes": r.notes}
                          for r in rows], columns=["id", "name", "private", "version", "notes"])
    table["compared"] = table["id"].isin(
        set(compare_ids) if compare_ids is not None else {r.id for r in rows[:COMPARED_BY_DEFAULT]})
    empty = RevenueView(ws.name, ws.illustrative, table, None, None, None, [], None,
                        assumption_table({}), None, pd.DataFrame())
    if not rows:
        return empty
    chosen = next((r for r in rows if r.id == scenario_id), rows[0])
    wanted = set(compare_ids) if compare_ids is not None else {r.id for r in rows[:COMPARED_BY_DEFAULT]}
    compared = [r for r in rows if r.id in wanted]
    resolved_all = {r.id: resolve(session=session, workspace_id=workspace_id, spec=r.spec, today=today)
                    for r in {*compared, chosen}}
    res = resolved_all[chosen.id]
    doc = what_if(res.doc, whatif.demand, whatif.churn, whatif.price) if whatif and whatif.active else res.doc
    warnings = list(res.warnings)
    try:
        parsed = parse(doc)
        report = build_report(parsed, mc_paths=mc_paths, seed=seed, tornado_output=tornado_output,
                              tornado_month=tornado_month)
    except SpecError as exc:
        return RevenueView(ws.name, ws.illustrative, table, chosen.id, copy.deepcopy(chosen.spec), res.doc, warnings,
                           f"the scenario cannot run: {exc}", assumption_table(chosen.spec, res.linked), None,
                           pd.DataFrame())
    others = []
    for r in compared:
        try:
            others.append(parse(resolved_all[r.id].doc))
        except SpecError as exc:
            warnings.append(f"scenario {r.name!r} is left out of the comparison: {exc}")
    return RevenueView(ws.name, ws.illustrative, table, chosen.id, copy.deepcopy(chosen.spec), res.doc, warnings,
                       None, assumption_table(chosen.spec, res.linked), report, compare(others),
                       {input_label(res.doc, path): name for path, name in res.linked.items()})
