"""Read models for pages: load a workspace's rows as DataFrames and hand them to analytics.

Each function here is the one domain call a page makes; it returns plain data, never widgets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.burn import Runway, cash_balance, month_starts, monthly_burn, runway
from analytics.risk import score_risks
from db import repo
from db.models import BudgetLine, ComputeResource, FundingRound, Person, Project, Risk, Task, Tracked, Workspace

BURN_HORIZON_MONTHS = 18
# Score bands of the 25-point probability × impact grid: 1–4 low, 5–9 medium, 10–14 high, 15–25 critical
# (the Overview's count and the Risks page's heat-map colours use the same edges).
SCORE_BAND_EDGES = (0, 4, 9, 14, 25)
SCORE_BAND_LABELS = ("low (1–4)", "medium (5–9)", "high (10–14)", "critical (15–25)")
CRITICAL_SCORE = SCORE_BAND_EDGES[-2] + 1


def frame(
    *, session: Session, model: type[Tracked], workspace_id: int, columns: list[str] | None = None
) -> pd.DataFrame:
    """Live rows of ``model`` in a workspace as a DataFrame indexed by id (all columns by default)."""
    names = columns or [c.key for c in model.__table__.columns]
    stmt = select(*[getattr(model, c) for c in ["id", *names]]).where(
        model.workspace_id == workspace_id,  # type: ignore[attr-defined]
        model.deleted_at.is_(None),
    )
    rows = session.execute(stmt.order_by(model.id)).all()
    return pd.DataFrame(rows, columns=["id", *names]).set_index("id")


@dataclass(frozen=True)
class Overview:
    workspace: str
    illustrative: bool
    projects: pd.DataFrame  # name, phase, status, tasks, done, progress_pct, target_date
    top_risks: pd.DataFrame  # title, category, probability_pct, impact, score, emv_usd
    open_risks_by_score: pd.DataFrame  # score band → count
    burn: pd.DataFrame  # per month: people, compute, rd, marketing, operations, total
    runway: Runway
    cash: pd.Series  # cash left at the end of each month of ``burn``
    cash_source: str
    funding: pd.DataFrame  # name, kind, amount_usd, close_date, status


def project_progress(projects: pd.DataFrame, tasks: pd.DataFrame) -> pd.DataFrame:
    """Per project: task count, tasks done and progress weighted by most-likely duration."""
    work = tasks[tasks["kind"] != "milestone"].copy()
    work["weight"] = work["likely_days"].fillna(1.0).clip(lower=0.5)
    work["earned"] = work["weight"] * work["percent_done"].astype(float) / 100.0
    grouped = work.groupby("project_id").agg(
        tasks=("name", "size"), done=("status", lambda s: int((s == "done").sum())),
        weight=("weight", "sum"), earned=("earned", "sum"),
    )
    out = projects.join(grouped, how="left")
    out[["tasks", "done"]] = out[["tasks", "done"]].fillna(0).astype(int)
    out["progress_pct"] = (100.0 * out["earned"] / out["weight"]).fillna(0.0).round(1)
    return out.drop(columns=["weight", "earned"])


@dataclass(frozen=True)
class BurnPlan:
    """Monthly burn (people, compute, rd, marketing, operations, total) and the cash and runway it gives."""

    burn: pd.DataFrame
    cash: pd.Series  # cash left at each month's end
    runway: Runway
    cash_source: str  # where the starting cash comes from, in words

def burn_plan(*, session: Session, workspace_id: int, today: date | None = None,
              months: int = BURN_HORIZON_MONTHS) -> BurnPlan:
    """Burn and runway month by month from the workspace's people, GPU pools and budget lines (USD).

    Cash starts from the workspace's cash on hand or, when none is entered, the closed funding rounds.
    """
    today = today or date.today()
    ws = repo.get(session=session, model=Workspace, row_id=workspace_id)
    burn = monthly_burn(
        frame(session=session, model=Person, workspace_id=workspace_id,
              columns=["monthly_cost_usd", "start_date", "end_date"]),
        frame(session=session, model=ComputeResource, workspace_id=workspace_id,
              columns=["count", "hourly_rate_usd", "pricing", "utilisation", "start_date", "end_date"]),
        frame(session=session, model=BudgetLine, workspace_id=workspace_id,
              columns=["category", "month", "planned_usd"]),
        month_starts(today, months),
    )
    if ws.cash_on_hand_usd is not None:
        cash, source = ws.cash_on_hand_usd, f"cash on hand entered for {ws.cash_as_of or 'today'}"
    else:
        funding = frame(session=session, model=FundingRound, workspace_id=workspace_id,
                        columns=["amount_usd", "status"])
        cash = float(funding.loc[funding["status"] == "closed", "amount_usd"].sum())
        source = "sum of closed funding rounds (no cash on hand entered; assumes none of it spent)"
    return BurnPlan(burn, cash_balance(cash, burn["total"], today), runway(cash, burn["total"], today), source)


def overview(*, session: Session, workspace_id: int, today: date | None = None) -> Overview:
    """The workspace at a glance: project progress, open risks, burn and runway."""
    today = today or date.today()
    ws = repo.get(session=session, model=Workspace, row_id=workspace_id)
    projects = frame(session=session, model=Project, workspace_id=workspace_id,
                     columns=["name", "phase", "status", "start_date", "target_date", "sort_order"])
    tasks = frame(session=session, model=Task, workspace_id=workspace_id,
                  columns=["project_id", "name", "kind", "status", "percent_done", "likely_days"])
    progress = project_progress(projects, tasks).sort_values(["sort_order", "name"]).drop(columns="sort_order")

    risks = frame(session=session, model=Risk, workspace_id=workspace_id,
                  columns=["title", "category", "kind", "probability_pct", "impact", "impact_usd", "status"])
    open_risks = score_risks(risks[risks["status"] != "closed"]) if not risks.empty else risks.assign(
        level=[], score=[], emv_usd=[])
    top = open_risks.sort_values(["score", "emv_usd"], ascending=[False, True]).head(10)
    bands = pd.cut(open_risks["score"], bins=list(SCORE_BAND_EDGES), labels=list(SCORE_BAND_LABELS))
    by_score = bands.value_counts().reindex(bands.cat.categories, fill_value=0).rename("risks").to_frame()

    plan = burn_plan(session=session, workspace_id=workspace_id, today=today)
    funding = frame(session=session, model=FundingRound, workspace_id=workspace_id,
                    columns=["name", "kind", "amount_usd", "close_date", "status"])
    return Overview(
        workspace=ws.name, illustrative=ws.illustrative, projects=progress, top_risks=top,
        open_risks_by_score=by_score, burn=plan.burn, runway=plan.runway, cash=plan.cash,
        cash_source=plan.cash_source, funding=funding,
    )
