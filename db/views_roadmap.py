"""Read model of the Roadmap page: schedule, links, baselines and slip, schedule risk.

:func:`roadmap` is the one domain call the page makes; it reads the workspace, runs the critical
path (and, when asked, the Monte Carlo with the open risks as events) and returns plain data.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.burn import month_starts, monthly_burn
from analytics.schedule_mc import finish_table, quantiles, s_curve, simulate
from db import repo
from db.baselines import compare_with, list_baselines
from db.models import BudgetLine, ComputeResource, Person, Risk, RiskTaskLink, Workspace
from db.plan_schedule import Plan, load_plan, milestone_groups
from db.views import frame

PROJECT_LABEL = "Whole plan"
# Plans up to this size are simulated on every view (well under a second); larger ones on request.
AUTO_SIMULATE_TASKS = 400


@dataclass(frozen=True)
class SimulationSettings:
    """What the user asked the Monte Carlo for."""

    iterations: int = 2_000
    distribution: str = "pert"
    seed: int = 0
    target: date | None = None


@dataclass(frozen=True)
class PlannedSpend:
    """The planned burn (people, GPU pools, budget lines) over a span of days, for the P80 cost to face."""

    start: date
    end: date  # inclusive
    people: float
    compute: float
    budget_lines: float

    @property
    def total(self) -> float:
        return self.people + self.compute + self.budget_lines


@dataclass(frozen=True)
class ScheduleRisk:
    """Monte Carlo results ready to draw."""

    settings: SimulationSettings
    finish: pd.DataFrame  # per group (whole plan first, then milestones): p50/p80/p95 days and dates, p_target, due
    curves: dict[str, pd.DataFrame]  # group → date, iterations, probability (histogram and S-curve)
    criticality: pd.DataFrame  # top tasks: name, project, criticality (0–1), total_float (plan, days)
    cost: dict[str, float]  # p50/p80/p95 total cost, plan_cost (most-likely durations, no events), risk_mean
    events: pd.DataFrame  # risk events used: title, probability_pct, delay_days, cost_usd, tasks, fired
    budget: PlannedSpend | None = None  # from the plan's start to its P80 finish
    fingerprint: str = ""  # of the inputs and settings: an unchanged plan can reuse this result


@dataclass(frozen=True)
class Roadmap:
    workspace: str
    illustrative: bool
    plan: Plan
    links: pd.DataFrame  # id, version, predecessor_id, successor_id, predecessor, successor, kind, lag_days
    baselines: pd.DataFrame  # id, name, taken_at, tasks
    baseline_id: int | None = None
    slip_tasks: pd.DataFrame | None = None
    slip_milestones: pd.DataFrame | None = None
    moved_tasks: pd.DataFrame | None = None  # slip_tasks rows that moved or changed, largest finish slip first
    risk: ScheduleRisk | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def finish(self) -> date | None:
        """The plan's finish date (CPM, most-likely durations)."""
        return None if self.plan.tasks.empty else self.plan.tasks["finish"].max().date()


def task_labels(plan: Plan) -> dict[int, str]:
    """Task id → "Project › Task" for pickers."""
    labels = plan.tasks["project"].astype(str) + " › " + plan.tasks["name"].astype(str)
    return dict(zip(plan.tasks["id"].astype(int).tolist(), labels.tolist(), strict=True))


def planned_spend(*, session: Session, workspace_id: int, start: date, end: date) -> PlannedSpend:
    """The burn the Resources page plans, from ``start`` to ``end`` (inclusive), each month prorated by its days
    in the span (a budget line, planned per month, too)."""
    months = month_starts(start, (end.year - start.year) * 12 + end.month - start.month + 1)
    burn = monthly_burn(
        frame(session=session, model=Person, workspace_id=workspace_id,
              columns=["monthly_cost_usd", "start_date", "end_date"]),
        frame(session=session, model=ComputeResource, workspace_id=workspace_id,
              columns=["count", "hourly_rate_usd", "pricing", "utilisation", "start_date", "end_date"]),
        frame(session=session, model=BudgetLine, workspace_id=workspace_id,
              columns=["category", "month", "planned_usd"]),
        months)
    month_end = months + pd.offsets.MonthBegin(1)
    inside = (np.minimum(month_end, pd.Timestamp(end) + pd.Timedelta(days=1)) - np.maximum(months, pd.Timestamp(start)))
    share = inside.days.to_numpy() / (month_end - months).days.to_numpy()
    totals = burn.mul(share, axis=0).sum()
    return PlannedSpend(start=start, end=end, people=float(totals["people"]), compute=float(totals["compute"]),
                        budget_lines=float(totals[["rd", "marketing", "operations"]].sum()))


def risk_events(*, session: Session, workspace_id: int, plan: Plan) -> pd.DataFrame:
    """Open threats with a delay or a cost, with the live tasks each is linked to."""
    rows = session.execute(select(Risk.id, Risk.title, Risk.probability_pct, Risk.schedule_impact_days,
                                  Risk.impact_usd).where(
        Risk.workspace_id == workspace_id, Risk.deleted_at.is_(None), Risk.status != "closed",
        Risk.kind == "threat", (Risk.schedule_impact_days > 0) | (Risk.impact_usd > 0))).all()
    events = pd.DataFrame(rows, columns=["id", "title", "probability_pct", "delay_days", "cost_usd"])
    links = session.execute(select(RiskTaskLink.risk_id, RiskTaskLink.task_id).where(
        RiskTaskLink.workspace_id == workspace_id, RiskTaskLink.deleted_at.is_(None))).all()
    linked: dict[int, list[int]] = {}
    for risk_id, task_id in links:
        if task_id in plan.tasks.index:
            linked.setdefault(risk_id, []).append(int(task_id))
    events["task_ids"] = [linked.get(int(i), []) for i in events["id"]]
    events["probability"] = events["probability_pct"].astype(float) / 100.0
    events["tasks"] = events["task_ids"].map(len)
    return events


# Everything the Monte Carlo reads from a plan; a change to any of it invalidates a stored result.
_SIMULATED = ["id", "name", "project", "milestone_id", "status", "percent_done", "duration", "not_before",
              "daily_cost_usd", "optimistic_days", "pessimistic_days"]


def fingerprint(plan: Plan, events: pd.DataFrame, settings: SimulationSettings) -> str:
    """A digest of the simulation's inputs (tasks, links, milestones, risk events) and settings."""
    digest = hashlib.sha256(repr(settings).encode())
    for part in (plan.tasks[_SIMULATED], plan.links.drop(columns=["version"]), plan.milestones,
                 events.assign(task_ids=events["task_ids"].map(str))):
        digest.update(pd.util.hash_pandas_object(part, index=True).to_numpy().tobytes())
    return digest.hexdigest()


def schedule_risk(*, session: Session, workspace_id: int, plan: Plan, settings: SimulationSettings,
                  events: pd.DataFrame | None = None) -> ScheduleRisk:
    """Monte Carlo of the plan: finish per milestone, criticality, cost with the open risks as events."""
    if events is None:
        events = risk_events(session=session, workspace_id=workspace_id, plan=plan)
    tasks = plan.work
    # Only the work not yet done is uncertain: a task p % done keeps p % of its most-likely duration
    # and draws the rest from its estimate (a done task is fixed).
    done_share = np.where(tasks["status"] == "done", 1.0, tasks["percent_done"].astype(float).fillna(0.0) / 100.0)
    likely = tasks["duration"].to_numpy(dtype=float)
    low = tasks["optimistic_days"].astype(float).fillna(tasks["duration"]).clip(upper=tasks["duration"])
    high = tasks["pessimistic_days"].astype(float).fillna(tasks["duration"]).clip(lower=tasks["duration"])
    estimates = pd.DataFrame({
        "id": tasks["id"], "name": tasks["name"], "not_before": tasks["not_before"],
        "daily_cost_usd": tasks["daily_cost_usd"], "likely": likely,
        "optimistic": done_share * likely + (1 - done_share) * low.to_numpy(),
        "pessimistic": done_share * likely + (1 - done_share) * high.to_numpy(),
    }).reset_index(drop=True)
    groups = milestone_groups(plan)
    key = fingerprint(plan, events, settings)
    sim = simulate(estimates, plan.work_links.rename(columns={"predecessor_id": "predecessor",
                                                         "successor_id": "successor", "lag_days": "lag"}),
                   iterations=settings.iterations, distribution=settings.distribution, seed=settings.seed,
                   groups={label: ids for label, (_m, ids) in groups.items()}, risks=events)
    sim.finish[PROJECT_LABEL] = sim.finish.pop("project")
    finish = finish_table(sim, plan.calendar, settings.target)
    finish = finish.loc[[PROJECT_LABEL, *groups]]
    finish["due"] = [None, *[plan.milestones.loc[m, "due_date"] for m, _ids in groups.values()]]
    crit = tasks[["name", "project", "total_float"]].assign(criticality=sim.criticality.reindex(tasks.index))
    crit = crit[crit["criticality"] > 0].sort_values(["criticality", "total_float"], ascending=[False, True])
    cost_q = quantiles(sim.cost_usd)
    events = events.assign(fired=sim.risk_hits.reindex(events["id"]).to_numpy() if len(events) else [])
    p80_finish = finish.loc[PROJECT_LABEL, "p80_date"]
    budget = planned_spend(session=session, workspace_id=workspace_id, start=plan.calendar.start,
                           end=max(p80_finish, plan.calendar.start))
    return ScheduleRisk(
        settings=settings, finish=finish, budget=budget,
        curves={name: s_curve(sim.finish[name], plan.calendar) for name in finish.index},
        criticality=crit.head(15),
        cost={**cost_q, "plan_cost": float((tasks["duration"] * tasks["daily_cost_usd"]).sum()),
              "risk_mean": float(sim.risk_cost_usd.mean()), "mean": float(np.mean(sim.cost_usd))},
        events=events[["title", "probability_pct", "delay_days", "cost_usd", "tasks", "fired"]], fingerprint=key,
    )


def moved_since_baseline(slip: pd.DataFrame) -> pd.DataFrame:
    """Tasks whose finish moved, or that were added, removed or changed, since the baseline; latest slip first."""
    moved = slip[(slip["finish_slip_days"].fillna(0) != 0) | (slip["change"] != "")]
    return moved.sort_values("finish_slip_days", ascending=False)


def _links_with_names(plan: Plan) -> pd.DataFrame:
    labels = task_labels(plan)
    links = plan.links.copy()
    links["predecessor"] = links["predecessor_id"].map(labels)
    links["successor"] = links["successor_id"].map(labels)
    return links


def roadmap(
    *, session: Session, workspace_id: int, baseline_id: int | None = None,
    simulation: SimulationSettings | None = None, simulate_large: bool = False, today: date | None = None,
    previous: ScheduleRisk | None = None, working_days: bool = False,
) -> Roadmap:
    """Everything the Roadmap page draws. Raises ValueError if the plan's links form a cycle.

    The Monte Carlo runs with ``simulation`` when the plan has at most :data:`AUTO_SIMULATE_TASKS`
    tasks, or for any size when ``simulate_large`` is set (the user pressed Run). ``previous`` (the
    last result shown) is returned as it is while the plan, its risks and the settings are unchanged,
    so a rerun does not simulate again; a stale one is dropped, with a note. ``working_days``: see
    :func:`db.plan_schedule.load_plan`.
    """
    ws = repo.get(session=session, model=Workspace, row_id=workspace_id)
    plan = load_plan(session=session, workspace_id=workspace_id, today=today, working_days=working_days)
    baselines = list_baselines(session=session, workspace_id=workspace_id)
    notes = []
    ignored = int(plan.links["ignored"].sum()) if len(plan.links) else 0
    if ignored:
        notes.append(f"{ignored} dependency(ies) on summary tasks are not scheduled: a summary spans its subtasks, "
                     "so link the subtasks instead.")
    if plan.unestimated:
        notes.append(f"{plan.unestimated} task(s) have no most-likely estimate and no dates: scheduled as 0 days.")
    slip_tasks = slip_milestones = moved = None
    if baseline_id is not None and baseline_id in set(baselines["id"]):
        slip_tasks, slip_milestones = compare_with(session=session, workspace_id=workspace_id,
                                                   baseline_id=baseline_id, plan=plan)
        moved = moved_since_baseline(slip_tasks)
    else:
        baseline_id = None
    risk = None
    if simulation is not None and not plan.tasks.empty:
        events = risk_events(session=session, workspace_id=workspace_id, plan=plan)
        if previous is not None and previous.fingerprint == fingerprint(plan, events, simulation):
            # The plan is unchanged, but the budget beside it is read fresh (people, pools, budget lines).
            risk = replace(previous, budget=None if previous.budget is None else planned_spend(
                session=session, workspace_id=workspace_id, start=previous.budget.start, end=previous.budget.end))
        elif simulate_large or len(plan.tasks) <= AUTO_SIMULATE_TASKS:
            risk = schedule_risk(session=session, workspace_id=workspace_id, plan=plan, settings=simulation,
                                 events=events)
        elif previous is not None:
            notes.append("The plan, its risks or the settings changed since the last simulation: "
                         "press Run simulation for a fresh one.")
    return Roadmap(workspace=ws.name, illustrative=ws.illustrative, plan=plan, links=_links_with_names(plan),
                   baselines=baselines, baseline_id=baseline_id, slip_tasks=slip_tasks,
                   slip_milestones=slip_milestones, moved_tasks=moved, risk=risk, notes=notes)
