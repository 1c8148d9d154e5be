"""Read model of the Market page: the workspace's market document and everything drawn from it, in one call."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from analytics import market, market_docs
from analytics.gpu_catalogue import api_price_table
from db import repo
from db.cost_scenarios import scenario_costs
from db.market import load_market
from db.models import Workspace
from db.revenue import resolve, revenue_scenarios


@dataclass(frozen=True)
class MarketView:
    workspace: str
    illustrative: bool
    row_id: int | None  # None: the workspace has no market document yet (the page shows an empty one)
    version: int | None
    doc: dict[str, Any]  # the stored document, checked, defaults filled
    problems: list[str]  # stored sections that no longer pass the check, scenarios that could not be read
    sizing: dict[str, market.Sizing]  # "top-down", "bottom-up"
    sizing_table: pd.DataFrame
    competitor_grid: pd.DataFrame  # the competitors as stored (the editable grid: API prices are not copied in)
    competitors: pd.DataFrame  # the matrix shown: API models' dated prices and source filled in
    own_prices: pd.DataFrame  # MaaS streams and SaaS tiers of the workspace's revenue scenarios
    positioning: pd.DataFrame
    benchmark: pd.DataFrame  # public API prices beside own prices and serving cost, by blended $/1M
    standing: pd.DataFrame  # each own MaaS price against the public ones
    api_dates: list[str]  # the public price table's as-of dates
    api_models: list[str]
    business_types: pd.DataFrame
    stream_classes: pd.DataFrame
    suggested_type: str | None
    canvas: pd.DataFrame
    pillars: pd.DataFrame
    radar: pd.DataFrame
    pillar_flags: list[tuple[str, str]]
    swot_items: pd.DataFrame
    swot: dict[str, pd.DataFrame] = field(default_factory=dict)


def _scenarios(session: Session, workspace_id: int, today: date | None,
               problems: list[str]) -> tuple[list[tuple[str, dict[str, Any]]], list[tuple[str, str, str, str]]]:
    """Each revenue scenario resolved against the workspace (its cost scenario's serving cost filled in), and
    every stream as (scenario, name, kind, units category)."""
    resolved, streams = [], []
    costs = scenario_costs(session=session, workspace_id=workspace_id)  # read once for every scenario
    for row in revenue_scenarios(session=session, workspace_id=workspace_id):
        # Prices and serving costs only: the tracker's opex and rounds are not needed here.
        res = resolve(session=session, workspace_id=workspace_id, spec=row.spec, today=today, tracker=False,
                      costs=costs)
        problems += [f"revenue scenario {row.name!r}: {w}" for w in res.warnings if "cost scenario" in w]
        resolved.append((row.name, res.doc))
        streams += [(row.name, str(s.get("name", "")), str(s.get("kind", "")), str(s.get("category", "licence")))
                    for s in res.doc.get("streams", []) if isinstance(s, dict)]
    return resolved, streams


def market_view(*, session: Session, workspace_id: int, today: date | None = None) -> MarketView:
    """The page's one read: the document, sizing both ways, competitors, positioning, the API price benchmark,
    classification, canvas, pillars and the challenge/opportunity grid."""
    ws = repo.get(session=session, model=Workspace, row_id=workspace_id)
    stored = load_market(session=session, workspace_id=workspace_id)
    doc, problems = stored.content, list(stored.problems)
    api = api_price_table()
    scenarios, streams = _scenarios(session, workspace_id, today, problems)
    own = market.own_prices(scenarios)
    competitors = market.competitor_table(doc, api)
    classes = market_docs.stream_classes(streams)
    return MarketView(
        workspace=ws.name, illustrative=ws.illustrative, row_id=stored.row_id, version=stored.version, doc=doc,
        problems=problems,
        sizing={"top-down": market.top_down(doc), "bottom-up": market.bottom_up(doc)},
        sizing_table=market.sizing_table(doc),
        competitor_grid=pd.DataFrame(doc["competitors"], columns=market.COMPETITOR_COLUMNS),
        competitors=competitors, own_prices=own, positioning=market.positioning(doc, competitors, own),
        benchmark=market.api_benchmark(api, own, doc["output_share"]),
        standing=market.price_standing(api, own, doc["output_share"]),
        api_dates=sorted(set(api["as_of"].astype(str))), api_models=sorted(api["model"]),
        business_types=market_docs.business_types(), stream_classes=classes,
        suggested_type=market_docs.suggested_type(classes), canvas=market_docs.canvas_table(doc),
        pillars=market_docs.pillar_scores(doc), radar=market_docs.radar(doc), pillar_flags=market_docs.pillar_flags(),
        swot_items=market_docs.swot_items(doc), swot=market_docs.swot_grid(doc),
    )
