"""Read model of the Risks page: the filtered register with scores, its grid, heat map, top-N, overdue, trend,
links to tasks, the catalogue still on offer and the deleted risks.

:func:`risks_view` is the page's one domain call; :func:`save_register` applies the grid's changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.risk import score_risks
from analytics.risk_register import TREND_FIELDS, HeatMap, heat_map, overdue, risk_trend, statement, top_by_emv
from db import repo
from db.editing import EditorSpec, EditorTable, Lookup, SaveResult, apply_changes, editor_table
from db.models import ChangeLog, Person, Project, Risk, RiskTaskLink, Task, Workspace
from db.plan_schedule import load_plan
from db.risks import missing_from_catalogue
from db.views import CRITICAL_SCORE, SCORE_BAND_EDGES, frame
from db.views_roadmap import PROJECT_LABEL, SimulationSettings, schedule_risk

# The register grid: the fields a founder re-estimates every week. Long text (cause, event, effect,
# mitigation, trigger) is edited in the detail form, where it has room.
RISKS = EditorSpec(
    Risk, "workspace_id",
    ("title", "kind", "category", "owner", "probability_pct", "impact", "impact_usd", "schedule_impact_days",
     "response", "status", "review_date", "private"),
    {"owner": Lookup("owner_id", Person)},
)
# Read-only columns the grid shows next to the editable ones; never written back.
COMPUTED = ("score", "emv_usd", "linked_tasks")
TOP_N = 10
TREND_WEEKS = 26
DELETED_SHOWN = 20  # restore buttons on the Risks page; older deletions are in the Projects page's paged list


@dataclass(frozen=True)
class RiskFilters:
    """Which risks to show; an empty tuple means no filter on that field."""

    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()  # owner names as the grid shows them; "(none)" for unowned risks

    def mask(self, register: pd.DataFrame) -> pd.Series:
        keep = pd.Series(True, index=register.index)
        for column, chosen in (("category", self.categories), ("status", self.statuses), ("kind", self.kinds),
                               ("owner", self.owners)):
            if chosen:
                keep &= register[column].fillna("(none)").isin(chosen)
        return keep


def score_bands(heat: HeatMap) -> pd.DataFrame:
    """The score band of each heat-map cell, 0 (low) … 3 (critical): probability level × impact against
    :data:`db.views.SCORE_BAND_EDGES`, shaped like ``heat.counts``."""
    counts = heat.counts
    score = np.outer(counts.index.to_numpy(), counts.columns.to_numpy())
    band = np.searchsorted(np.asarray(SCORE_BAND_EDGES[1:]), score, side="left")
    return pd.DataFrame(band, index=counts.index, columns=counts.columns)


@dataclass(frozen=True)
class RiskCards:
    """The page's headline figures, over the open (not closed) risks of the filtered register."""

    open_risks: int
    net_emv_usd: float  # Σ probability × $ impact: threats negative, opportunities positive
    critical: int  # score >= CRITICAL_SCORE
    overdue: int  # open risks past their review date


@dataclass(frozen=True)
class RisksView:
    workspace: str
    illustrative: bool
    total: int  # live risks in the workspace, before filters
    register: pd.DataFrame  # filtered and scored, indexed by risk id: statement, level, score, emv_usd, links…
    grid: EditorTable  # the same rows for st.data_editor, positions matching ``register``
    heat: HeatMap  # open (not closed) risks of the filtered register
    bands: pd.DataFrame  # score band (0 low … 3 critical) of each heat-map cell, shaped like heat.counts
    cards: RiskCards
    top: pd.DataFrame  # top risks by |EMV| (open, filtered)
    overdue: pd.DataFrame  # reviews due before today, not closed (filtered)
    trend: pd.DataFrame  # whole register per week from the history: open_risks, total_emv_usd, mean_score
    owners: list[str]  # filter choices
    catalogue: list[dict[str, Any]]  # catalogue entries not yet in the workspace
    tasks: dict[int, str]  # task id → "project › task", for the link editor
    links: dict[int, list[int]]  # risk id → linked task ids
    deleted: pd.DataFrame  # the DELETED_SHOWN most recently deleted risks, newest first: id, title, deleted_at
    deleted_total: int  # every deleted risk (the Projects page's restore list pages through them all)


def _links(session: Session, workspace_id: int) -> dict[int, list[int]]:
    stmt = (select(RiskTaskLink.risk_id, RiskTaskLink.task_id).join(Task, Task.id == RiskTaskLink.task_id)
            .where(RiskTaskLink.workspace_id == workspace_id, RiskTaskLink.deleted_at.is_(None),
                   Task.deleted_at.is_(None)).order_by(RiskTaskLink.id))
    out: dict[int, list[int]] = {}
    for risk_id, task_id in session.execute(stmt):
        out.setdefault(risk_id, []).append(task_id)
    return out


def _task_names(session: Session, workspace_id: int) -> dict[int, str]:
    stmt = (select(Task.id, Project.name, Task.name).join(Project, Project.id == Task.project_id)
            .where(Task.workspace_id == workspace_id, Task.deleted_at.is_(None), Project.deleted_at.is_(None))
            .order_by(Project.sort_order, Project.id, Task.id))
    return {task_id: f"{project} › {task}" for task_id, project, task in session.execute(stmt)}


def risk_log(*, session: Session, workspace_id: int) -> pd.DataFrame:
    """The risk table's change log of a workspace, oldest first: at, row_id, action and the trend's fields.

    The fields are read out of the ``after`` JSON by the database (SQLite and PostgreSQL alike), so a
    long history is not parsed row by row in Python.
    """
    after = ChangeLog.after
    fields = [after["status"].as_string(), after["kind"].as_string(), after["probability_pct"].as_float(),
              after["impact"].as_integer(), after["impact_usd"].as_float(), after["deleted_at"].as_string()]
    stmt = (select(ChangeLog.at, ChangeLog.row_id, ChangeLog.action, *fields)
            .where(ChangeLog.workspace_id == workspace_id, ChangeLog.table_name == Risk.__tablename__)
            .order_by(ChangeLog.id))
    return pd.DataFrame(session.execute(stmt).all(), columns=["at", "row_id", "action", *TREND_FIELDS])


def risks_view(
    *,
    session: Session,
    workspace_id: int,
    filters: RiskFilters = RiskFilters(),  # frozen, so one shared default is safe
    today: date | None = None,
) -> RisksView:
    """Everything the Risks page draws, for ``workspace_id`` with ``filters``."""
    today = today or date.today()
    ws = repo.get(session=session, model=Workspace, row_id=workspace_id)
    grid = editor_table(session=session, spec=RISKS, scope_id=workspace_id)
    extra = frame(session=session, model=Risk, workspace_id=workspace_id,
                  columns=["code", "cause", "event", "effect", "mitigation", "trigger", "sources"])
    links = _links(session, workspace_id)
    tasks = _task_names(session, workspace_id)
    register = grid.rows.copy()
    register.index = pd.Index(grid.ids, name="id")
    register = register.join(extra)
    scored = score_risks(register) if not register.empty else register.assign(level=[], score=[], emv_usd=[])
    scored["statement"] = [statement(c, v, f) for c, v, f in zip(scored["cause"], scored["event"],
                                                                  scored["effect"], strict=True)]
    scored["linked_tasks"] = [len(links.get(i, [])) for i in scored.index]
    keep = filters.mask(scored)
    shown = scored[keep]
    positions = [i for i, k in enumerate(keep) if k]
    filtered_grid = EditorTable(
        grid.rows.iloc[positions].reset_index(drop=True).assign(
            score=shown["score"].to_numpy(), emv_usd=shown["emv_usd"].to_numpy(),
            linked_tasks=shown["linked_tasks"].to_numpy()),
        [grid.ids[i] for i in positions], [grid.versions[i] for i in positions], grid.options)
    live = shown[shown["status"] != "closed"]
    # Paged in the database: a long-used register's bin is never loaded whole for one page run.
    deleted = repo.deleted_rows(session=session, workspace_id=workspace_id, limit=DELETED_SHOWN, table_name="risk")
    heat = heat_map(live)
    late = overdue(shown, today)
    cards = RiskCards(open_risks=len(live), net_emv_usd=float(live["emv_usd"].sum()),
                      critical=int((live["score"] >= CRITICAL_SCORE).sum()), overdue=len(late))
    return RisksView(
        workspace=ws.name, illustrative=ws.illustrative, total=len(scored), register=shown, grid=filtered_grid,
        heat=heat, bands=score_bands(heat), cards=cards, top=top_by_emv(live, TOP_N), overdue=late,
        trend=risk_trend(risk_log(session=session, workspace_id=workspace_id), today, weeks=TREND_WEEKS),
        owners=["(none)", *grid.options["owner"]], catalogue=missing_from_catalogue(session=session,
                                                                                    workspace_id=workspace_id),
        tasks=tasks, links=links,
        deleted=pd.DataFrame([{"id": r.id, "title": r.title, "deleted_at": r.deleted_at} for r in deleted],
                             columns=["id", "title", "deleted_at"]),
        deleted_total=repo.deleted_counts(session=session, workspace_id=workspace_id).get("risk", 0),
    )


def save_register(*, session: Session, workspace_id: int, grid: EditorTable, changes: dict[str, Any]) -> SaveResult:
    """Apply the register grid's change set (all-or-nothing); the read-only computed columns are ignored."""
    def strip(raw: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in raw.items() if k not in COMPUTED}

    cleaned = {
        "edited_rows": {k: strip(v) for k, v in changes.get("edited_rows", {}).items() if strip(v)},
        "added_rows": [strip(r) for r in changes.get("added_rows", [])],
        "deleted_rows": list(changes.get("deleted_rows", [])),
    }
    return apply_changes(session=session, spec=RISKS, scope_id=workspace_id, ids=grid.ids, versions=grid.versions,
                         changes=cleaned)


@dataclass(frozen=True)
class RiskAdjusted:
    """The Roadmap's schedule Monte Carlo with the open threats as events, summarised for the Risks page."""

    iterations: int
    working_days: bool  # days counted Monday to Friday only (else every calendar day)
    plan_finish: date | None  # CPM finish with most-likely durations and no risk events
    finish: pd.Series  # whole plan with risk events: p50_date, p80_date, p95_date
    cost: dict[str, float]  # p50/p80/p95 total cost, plan_cost, risk_mean (USD)
    events: pd.DataFrame  # title, probability_pct, delay_days, cost_usd, tasks, fired (share of iterations)


def risk_adjusted_schedule(*, session: Session, workspace_id: int, iterations: int = 2_000, seed: int = 0,
                           today: date | None = None, working_days: bool = False) -> RiskAdjusted | None:
    """P50/P80/P95 finish and cost of the plan with risk events (None if the plan has no tasks).

    ``working_days``: estimates, lags and risk delays count Monday to Friday only, as on the Roadmap when its
    switch is on (default: calendar days). Raises ValueError if the plan's dependencies form a cycle (the
    Roadmap page names it).
    """
    plan = load_plan(session=session, workspace_id=workspace_id, today=today, working_days=working_days)
    if plan.tasks.empty:
        return None
    result = schedule_risk(session=session, workspace_id=workspace_id, plan=plan,
                           settings=SimulationSettings(iterations=iterations, seed=seed))
    return RiskAdjusted(iterations=iterations, working_days=working_days, plan_finish=plan.tasks["finish"].max().date(),
                        finish=result.finish.loc[PROJECT_LABEL, ["p50_date", "p80_date", "p95_date"]],
                        cost=result.cost, events=result.events)
