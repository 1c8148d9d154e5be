"""Read model of the Pitch page and its exports: every input of the deck gathered in one call.

Internal-only data is left out where it is read, not filtered after: people are read as name and role only
(never ``monthly_cost_usd``), risks with ``private`` false, revenue scenarios with ``include_private=False``,
cost scenarios with ``include_private=False`` and without the names the pitch narrative marks private. What
the deck shows is chosen and ordered by :mod:`analytics.pitch`; every figure comes from a domain function.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics import market
from analytics.gpu_catalogue import api_price_table
from analytics.pitch import Deck, PitchInputs, build_deck, yearly
from analytics.revenue.montecarlo import monte_carlo
from analytics.revenue.report import build_report, metric_months
from analytics.revenue.spec import SpecError, parse
from analytics.risk import score_risks
from db import repo
from db.cost_scenarios import scenario_costs
from db.market import load_market
from db.modelhub_repo import list_runs
from db.models import FundingRound, Person, Risk, Workspace
from db.pitch import StoredPitch, load_pitch
from db.revenue import resolve, revenue_scenarios
from db.views import burn_plan
from db.views_roadmap import PROJECT_LABEL, SimulationSettings, roadmap

MC_PATHS = 500  # the financials' P10–P90 range: enough for stable deciles, fast enough to build on every view
UNIT_METRICS = ("gross margin", "LTV/CAC", "CAC payback", "NRR", "burn multiple")
BENCHMARKS_SHOWN = 8


@dataclass(frozen=True)
class PitchView:
    workspace_id: int
    deck: Deck
    narrative: StoredPitch
    cost_scenarios: list[str]  # every live cost-scenario name (for the form's "keep out of the pitch" choice)
    warnings: list[str]


def pitch_workspace(*, session: Session, selector: str = "") -> int | None:
    """The workspace pitch mode serves: ``selector`` as an id or a name, else the first; None when none exists."""
    workspaces = repo.list_workspaces(session=session)
    selector = selector.strip()
    for ws in workspaces:
        if selector and (str(ws.id) == selector or ws.name == selector):
            return ws.id
    return workspaces[0].id if workspaces and not selector else None


def _cost_names(spec: dict[str, Any]) -> set[str]:
    """The cost scenarios a revenue spec draws serving or training cost from."""
    parts = [*spec.get("streams", []), *spec.get("training", [])]
    return {str(p["cost_scenario"]) for p in parts if p.get("cost_scenario")}


def _chosen_scenario(session: Session, workspace_id: int, today: date | None, hidden: set[str],
                     warnings: list[str]):
    """The public revenue scenario the financials come from: one named 'base', else the first by name. A public
    revenue scenario that draws on a private or pitch-hidden cost scenario is skipped: its margins would carry
    that scenario's serving cost into the export."""
    every = set(scenario_costs(session=session, workspace_id=workspace_id)["name"])
    public = scenario_costs(session=session, workspace_id=workspace_id, include_private=False)
    public = public[~public["name"].isin(hidden)]
    closed = every - set(public["name"])
    rows = revenue_scenarios(session=session, workspace_id=workspace_id, include_private=False)
    rows = sorted(rows, key=lambda r: (not r.name.lower().startswith("base"), r.name))
    for row in rows:
        if _cost_names(row.spec) & closed:  # the warning names no private scenario: pitch mode shows it
            warnings.append(f"revenue scenario {row.name!r} draws on a private or pitch-hidden cost scenario; "
                            "it is left out of the pitch")
            continue
        res = resolve(session=session, workspace_id=workspace_id, spec=row.spec, today=today, costs=public)
        try:
            return row.name, parse(res.doc)
        except SpecError as exc:
            warnings.append(f"revenue scenario {row.name!r} cannot run ({exc}); the next one is used")
    return "", None


def _streams(parsed: Any) -> list[dict[str, Any]]:
    """Each stream's kind and its price inputs (base values of ranges), tiers and plans by name."""
    out = []
    for i, s in enumerate(parsed.doc["streams"]):
        prefix, prices = f"streams[{i}].", {}
        for key, value in parsed.values.items():
            if not key.startswith(prefix) or "price" not in key:
                continue
            label = key[len(prefix):]
            for part in ("tiers", "plans"):
                for k, item in enumerate(s.get(part, [])):
                    label = label.replace(f"{part}[{k}].", f"{item.get('name', k)} ")
            prices[label] = float(value.base)
        out.append({"name": s["name"], "kind": s["kind"], "prices": prices})
    return out


def _financial_inputs(session: Session, workspace_id: int, today: date | None, hidden: set[str],
                      warnings: list[str]) -> dict[str, Any]:
    name, parsed = _chosen_scenario(session, workspace_id, today, hidden, warnings)
    if parsed is None:
        return {}
    report = build_report(parsed)
    mc = monte_carlo(parsed, MC_PATHS, 0)
    table = report.table
    months = metric_months(len(table))
    chosen = sorted({months[0], months[-1]}) if months else []
    metrics = [{"month": m, **{k: getattr(x, k) for k in ("name", "value", "unit", "band", "verdict")}}
               for m in chosen for x in report.metrics[m] if x.name in UNIT_METRICS]
    margins = {c.split(" · ", 1)[1] + f" (month {len(table)})": float(table[c].iloc[-1])
               for c in table.columns if c.startswith("gross margin · ")}
    monthly = {"months": [d.strftime("%Y-%m") for d in table.index], "revenue": table["revenue"].tolist(),
               "cash": table["cash"].tolist(), "cash_p10": mc.cash[10].tolist(), "cash_p90": mc.cash[90].tolist()}
    return {"scenario": name, "headline": asdict(report.headline), "metrics": metrics, "stream_margins": margins,
            "yearly": yearly(table), "monthly": monthly, "streams": _streams(parsed)}


def _market_inputs(session: Session, workspace_id: int, api: pd.DataFrame) -> dict[str, Any]:
    doc = load_market(session=session, workspace_id=workspace_id).content
    sizing = market.sizing_table(doc)[["method", "level", "usd", "formula"]].to_dict("records")
    keep = ("name", "offering", "pricing", "price_per_m_input", "price_per_m_output", "price_per_seat_month",
            "quality", "strengths", "weaknesses", "as_of")
    competitors = [{k: c[k] for k in keep if k in c and not (isinstance(c[k], float) and pd.isna(c[k]))}
                   for c in market.competitor_table(doc, api).to_dict("records")]
    return {"sizing": sizing, "competitors": competitors}


def _traction_inputs(session: Session, workspace_id: int, hidden: set[str], api: pd.DataFrame) -> dict[str, Any]:
    newest: dict[str, Any] = {}
    for run in list_runs(session=session, limit=500):
        newest.setdefault(run.model_name, run)
    benchmarks = [{"model": r.model_name, "metric": r.metric_name or "quality", "value":
                   f"{r.metric_value:.4g}" if r.metric_value is not None else "not measured",
                   "throughput": f"{r.units_per_second:,.0f} {r.unit}s/s on {r.device_name}"}
                  for r in list(newest.values())[:BENCHMARKS_SHOWN]]
    costs = scenario_costs(session=session, workspace_id=workspace_id, include_private=False)
    costs = costs[~costs["name"].isin(hidden)].dropna(subset=["serving_usd_per_m_input", "serving_usd_per_m_output"])
    serving = [{"scenario": r["name"], "usd_per_m_input": float(r["serving_usd_per_m_input"]),
                "usd_per_m_output": float(r["serving_usd_per_m_output"])} for _, r in costs.iterrows()]
    prices = api.sort_values("usd_per_m_output")
    api_rows = [{"provider": r["provider"], "model": r["model"], "input": float(r["usd_per_m_input"]),
                 "output": float(r["usd_per_m_output"]), "as_of": str(r["as_of"])} for _, r in prices.iterrows()]
    return {"benchmarks": benchmarks, "serving": serving, "api_prices": api_rows}


def _plan_inputs(session: Session, workspace_id: int, today: date | None) -> dict[str, Any]:
    team = [{"name": n, "role": r} for n, r in session.execute(
        select(Person.name, Person.role).where(Person.workspace_id == workspace_id, Person.deleted_at.is_(None))
        .order_by(Person.id))]
    funding = [{"name": f.name, "kind": f.kind, "amount_usd": float(f.amount_usd), "close_date": str(f.close_date),
                "status": f.status} for f in session.scalars(select(FundingRound).where(
                    FundingRound.workspace_id == workspace_id, FundingRound.deleted_at.is_(None))
                    .order_by(FundingRound.close_date))]
    plan = burn_plan(session=session, workspace_id=workspace_id, today=today)
    budget = {c: float(plan.burn[c].sum()) for c in ("rd", "marketing", "operations") if plan.burn[c].sum() > 0}
    burn = {"monthly_burn_usd": float(plan.runway.monthly_burn_usd), "cash_usd": float(plan.runway.cash_usd),
            "runway_months": float(plan.runway.months), "source": plan.cash_source}
    rows = session.execute(select(Risk.title, Risk.kind, Risk.probability_pct, Risk.impact, Risk.impact_usd,
                                  Risk.response, Risk.mitigation).where(
        Risk.workspace_id == workspace_id, Risk.deleted_at.is_(None), Risk.private.is_(False),
        Risk.status != "closed")).all()
    frame = pd.DataFrame(rows, columns=["title", "kind", "probability_pct", "impact", "impact_usd", "response",
                                        "mitigation"])
    risks = score_risks(frame).to_dict("records") if len(frame) else []
    milestones = []
    try:
        road = roadmap(session=session, workspace_id=workspace_id, simulation=SimulationSettings(), today=today)
    except ValueError:  # a dependency loop: the Roadmap page names it; the deck shows no dates
        road = None
    if road is not None and road.risk is not None:
        n = road.risk.settings.iterations
        for label, row in road.risk.finish.iterrows():
            milestones.append({"name": "Whole plan" if label == PROJECT_LABEL else str(label),
                               "date": str(row["p80_date"]), "basis": f"P80 of a {n:,}-run schedule Monte Carlo"})
    return {"team": team, "funding": funding, "budget_categories": budget, "burn": burn, "risks": risks,
            "milestones": milestones}


def pitch_view(*, session: Session, workspace_id: int, today: date | None = None) -> PitchView:
    """The deck of ``workspace_id`` (private data never read) and the stored narrative."""
    ws = repo.get(session=session, model=Workspace, row_id=workspace_id)
    stored = load_pitch(session=session, workspace_id=workspace_id)
    hidden = set(stored.content["private_cost_scenarios"])
    warnings: list[str] = []
    api = api_price_table()
    inputs = PitchInputs(
        workspace=ws.name, illustrative=ws.illustrative, narrative=stored.content,
        **_market_inputs(session, workspace_id, api),
        **_financial_inputs(session, workspace_id, today, hidden, warnings),
        **_traction_inputs(session, workspace_id, hidden, api), **_plan_inputs(session, workspace_id, today))
    public = scenario_costs(session=session, workspace_id=workspace_id, include_private=False)
    names = public["name"].tolist()
    return PitchView(workspace_id, build_deck(inputs), stored, names, warnings)
