"""A workspace's plan as the schedule analytics read it: tasks, links, calendar, CPM dates.

Scheduling rules (the Roadmap page states them): a task lasts its most-likely estimate (else the
span of its own dates, else 0 days, and the page counts those); a task's Start date, where set, is a
"start no earlier than" date that links can push later but never earlier; the plan starts on the
earliest task or project start (today if there is none). Days are calendar days. A task day costs its
assignee's pay for the day plus its GPUs (allocations and reservations, see :func:`gpu_costs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from analytics.burn import PAY_PER_USE
from analytics.reservations import LIVE_STATUSES
from analytics.schedule import Calendar, critical_path
from db.models import Allocation, ComputeResource, GpuReservation, Milestone, Person, Project, Task, TaskDependency

TASK_COLUMNS = ("project_id", "milestone_id", "parent_id", "assignee_id", "name", "kind", "status", "start_date",
                "end_date", "optimistic_days", "likely_days", "pessimistic_days", "percent_done")
# A month of salary spread over its calendar days: cost of a task day in the Monte Carlo.
DAYS_PER_MONTH = 365.25 / 12
HOURS_PER_DAY = 24.0  # GPUs run around the clock


@dataclass(frozen=True)
class Plan:
    """Inputs and the CPM result of one workspace's schedule."""

    calendar: Calendar
    tasks: pd.DataFrame  # indexed by task id: TASK_COLUMNS + project, milestone, assignee, duration, not_before,
    #                      people_daily_usd, gpu_daily_usd, daily_cost_usd (USD per task day), rollup,
    #                      es, ef, ls, lf, total_float, critical, start, finish (dates)
    links: pd.DataFrame  # id, version, predecessor_id, successor_id, kind, lag_days, ignored
    milestones: pd.DataFrame  # indexed by milestone id: name, project_id, project, due_date
    unestimated: int  # tasks with neither an estimate nor dates (scheduled as 0 days)

    @property
    def work(self) -> pd.DataFrame:
        """Tasks the schedule computes (summaries with subtasks are rolled up from them instead)."""
        return self.tasks[~self.tasks["rollup"]]

    @property
    def work_links(self) -> pd.DataFrame:
        """Links between scheduled tasks (a link to a rolled-up summary is ignored: link its subtasks)."""
        return self.links[~self.links["ignored"]]


def _frame(session: Session, stmt: Select, columns: list[str]) -> pd.DataFrame:
    # Plain tuples: pandas probes Row objects attribute by attribute, which cost more than the query.
    return pd.DataFrame([tuple(row) for row in session.execute(stmt)], columns=columns)


def load_plan(*, session: Session, workspace_id: int, today: date | None = None, working_days: bool = False) -> Plan:
    """Read the live plan of a workspace and schedule it (CPM). Raises ValueError on a cycle.

    ``working_days``: durations and lags count Monday to Friday only (default: every calendar day).
    """
    today = today or date.today()
    task_cols = [getattr(Task, c) for c in ("id", *TASK_COLUMNS)]
    tasks = _frame(session, select(*task_cols).where(Task.workspace_id == workspace_id, Task.deleted_at.is_(None))
                   .order_by(Task.id), ["id", *TASK_COLUMNS]).set_index("id", drop=False)
    tasks.index.name = None  # the id stays a column too; an unnamed index keeps sorting by "id" unambiguous
    links = _frame(session, select(TaskDependency.id, TaskDependency.version, TaskDependency.predecessor_id,
                                   TaskDependency.successor_id, TaskDependency.kind, TaskDependency.lag_days)
                   .where(TaskDependency.workspace_id == workspace_id, TaskDependency.deleted_at.is_(None))
                   .order_by(TaskDependency.id),
                   ["id", "version", "predecessor_id", "successor_id", "kind", "lag_days"])
    # A link to a deleted task is hidden with it (soft delete cascades), but be safe on old data.
    links = links[links["predecessor_id"].isin(tasks.index) & links["successor_id"].isin(tasks.index)]
    projects = _frame(session, select(Project.id, Project.name, Project.start_date, Project.sort_order).where(
        Project.workspace_id == workspace_id, Project.deleted_at.is_(None)),
        ["id", "name", "start_date", "sort_order"]).set_index("id")
    milestones = _frame(session, select(Milestone.id, Milestone.name, Milestone.project_id, Milestone.due_date).where(
        Milestone.workspace_id == workspace_id, Milestone.deleted_at.is_(None)),
        ["id", "name", "project_id", "due_date"]).set_index("id")
    milestones["project"] = milestones["project_id"].map(projects["name"])
    people = _frame(session, select(Person.id, Person.name, Person.monthly_cost_usd).where(
        Person.workspace_id == workspace_id, Person.deleted_at.is_(None)), ["id", "name", "cost"]).set_index("id")

    starts = [d for d in [*tasks["start_date"].dropna(), *projects["start_date"].dropna()] if d is not None]
    calendar = Calendar(min(starts) if starts else today, working_days=working_days)

    tasks["project"] = tasks["project_id"].map(projects["name"])
    tasks["project_order"] = tasks["project_id"].map(projects["sort_order"]).fillna(0)
    tasks["milestone"] = tasks["milestone_id"].map(milestones["name"])
    tasks["assignee"] = tasks["assignee_id"].map(people["name"])
    tasks["people_daily_usd"] = tasks["assignee_id"].map(people["cost"]).fillna(0.0).astype(float) / DAYS_PER_MONTH
    tasks["gpu_daily_usd"] = gpu_daily_cost(session=session, workspace_id=workspace_id).reindex(
        tasks.index).fillna(0.0)
    # Pay and GPU hours accrue every calendar day; counted in working days, a task's day is 7/5 of one.
    per_day = 7 / 5 if working_days else 1.0
    tasks["daily_cost_usd"] = (tasks["people_daily_usd"] + tasks["gpu_daily_usd"]) * per_day
    span = (pd.to_datetime(tasks["end_date"]) - pd.to_datetime(tasks["start_date"])).dt.days
    if working_days:  # a dated task without an estimate lasts its working days
        both = span.notna().to_numpy()
        span = span.astype(float)
        span[both] = np.busday_count(pd.to_datetime(tasks["start_date"])[both].to_numpy().astype("datetime64[D]"),
                                     pd.to_datetime(tasks["end_date"])[both].to_numpy().astype("datetime64[D]"))
    likely = pd.to_numeric(tasks["likely_days"], errors="coerce").astype(float)
    duration = likely.fillna(span.astype(float))
    duration = duration.where(tasks["kind"] != "milestone", likely.fillna(0.0))
    unestimated = int(duration.isna().sum())
    tasks["duration"] = duration.fillna(0.0).clip(lower=0.0)
    starts = pd.to_datetime(tasks["start_date"])
    if calendar.working_days:
        known = starts.notna().to_numpy()
        offsets = np.zeros(len(tasks))
        offsets[known] = np.busday_count(np.datetime64(calendar.start, "D"),
                                         starts[known].to_numpy().astype("datetime64[D]"))
        tasks["not_before"] = offsets
    else:
        tasks["not_before"] = (starts - pd.Timestamp(calendar.start)).dt.days.fillna(0).astype(float)

    leaves = _summary_leaves(tasks)
    tasks["rollup"] = tasks["id"].isin(list(leaves))
    links["ignored"] = links["predecessor_id"].isin(list(leaves)) | links["successor_id"].isin(list(leaves))
    cpm = critical_path(
        tasks.loc[~tasks["rollup"], ["id", "name", "duration", "not_before"]].reset_index(drop=True),
        links[~links["ignored"]].rename(columns={"predecessor_id": "predecessor", "successor_id": "successor",
                                                 "lag_days": "lag"}),
    )
    tasks = tasks.join(cpm)
    for summary_id, ids in leaves.items():  # a summary spans its subtasks and is as critical as they are
        sub = cpm.loc[ids]
        tasks.loc[summary_id, ["es", "ef", "ls", "lf"]] = [sub["es"].min(), sub["ef"].max(), sub["ls"].min(),
                                                            sub["lf"].max()]
        tasks.loc[summary_id, "total_float"] = sub["total_float"].min()
        tasks.loc[summary_id, "critical"] = bool(sub["critical"].any())
        tasks.loc[summary_id, "duration"] = sub["ef"].max() - sub["es"].min()
    tasks["critical"] = tasks["critical"].astype(bool)
    tasks["start"] = pd.to_datetime(calendar.start_dates(tasks["es"].to_numpy(dtype=float))) if len(tasks) else []
    tasks["finish"] = (pd.to_datetime(calendar.finish_dates(tasks["ef"].to_numpy(dtype=float)))
                       if len(tasks) else [])
    # A zero-length task (a milestone) falls on the last day of the work before it, as in MS Project,
    # so its date matches the Monte Carlo's finish dates; at day 0 it falls on the plan start.
    instant = tasks["duration"] <= 0
    tasks["start"] = tasks["start"].where(~instant, tasks["finish"])
    return Plan(calendar=calendar, tasks=tasks, links=links.reset_index(drop=True), milestones=milestones,
                unestimated=unestimated)


def gpu_costs(allocations: pd.DataFrame, pools: pd.DataFrame, reservations: pd.DataFrame) -> pd.Series:
    """USD per calendar day of each task's GPUs (task id → $), as the Monte Carlo multiplies by its days.

    ``allocations``: task_id, compute_resource_id, gpu_count; ``pools`` indexed by id: gpu_type,
    hourly_rate_usd, pricing, utilisation; ``reservations`` (live ones linked to a task): task_id,
    gpu_type, count, hourly_rate_usd. An allocation costs GPUs × $/GPU-hour × 24 h, times the pool's
    expected utilisation when it is paid per use (on-demand, spot), as the burn counts it. Where a
    reservation linked to the task holds the pool's GPU type, the reservation's rate applies instead, paid
    every hour; a linked reservation of a type none of the task's allocations uses adds its own GPUs.
    """
    empty = pd.Series(dtype=float)
    rows = []
    res = reservations.assign(type_key=reservations["gpu_type"].astype(str).str.casefold()) \
        if not reservations.empty else reservations
    if not allocations.empty and not pools.empty:
        use = allocations.join(pools, on="compute_resource_id", how="inner")
        use = use.assign(type_key=use["gpu_type"].astype(str).str.casefold(),
                         hours=HOURS_PER_DAY * np.where(use["pricing"].isin(PAY_PER_USE),
                                                        use["utilisation"].astype(float), 1.0),
                         rate=use["hourly_rate_usd"].astype(float))
        if not res.empty:  # the reservation's rate (GPU-weighted if several), all day
            weighted = res.assign(spend=res["count"] * res["hourly_rate_usd"]).groupby(["task_id", "type_key"])
            reserved_rate = (weighted["spend"].sum() / weighted["count"].sum()).rename("reserved_rate")
            use = use.join(reserved_rate, on=["task_id", "type_key"])
            held = use["reserved_rate"].notna()
            use.loc[held, "rate"] = use.loc[held, "reserved_rate"]
            use.loc[held, "hours"] = HOURS_PER_DAY
        rows.append(use.assign(usd=use["gpu_count"].astype(float) * use["rate"] * use["hours"])[["task_id", "usd"]])
        if not res.empty:
            res = res[~res.set_index(["task_id", "type_key"]).index.isin(
                use.set_index(["task_id", "type_key"]).index)]
    if not res.empty:
        rows.append(res.assign(usd=res["count"].astype(float) * res["hourly_rate_usd"].astype(float)
                               * HOURS_PER_DAY)[["task_id", "usd"]])
    if not rows:
        return empty
    return pd.concat(rows).groupby("task_id")["usd"].sum()


def gpu_daily_cost(*, session: Session, workspace_id: int) -> pd.Series:
    """Task id → USD per day of the GPUs allocated or reserved for it (see :func:`gpu_costs`)."""
    allocations = _frame(session, select(Allocation.task_id, Allocation.compute_resource_id, Allocation.gpu_count)
                         .where(Allocation.workspace_id == workspace_id, Allocation.deleted_at.is_(None),
                                Allocation.compute_resource_id.is_not(None), Allocation.gpu_count > 0),
                         ["task_id", "compute_resource_id", "gpu_count"])
    pools = _frame(session, select(ComputeResource.id, ComputeResource.gpu_type, ComputeResource.hourly_rate_usd,
                                   ComputeResource.pricing, ComputeResource.utilisation).where(
        ComputeResource.workspace_id == workspace_id, ComputeResource.deleted_at.is_(None)),
        ["id", "gpu_type", "hourly_rate_usd", "pricing", "utilisation"]).set_index("id")
    reservations = _frame(session, select(GpuReservation.task_id, GpuReservation.gpu_type, GpuReservation.count,
                                          GpuReservation.hourly_rate_usd).where(
        GpuReservation.workspace_id == workspace_id, GpuReservation.deleted_at.is_(None),
        GpuReservation.task_id.is_not(None), GpuReservation.status.in_(LIVE_STATUSES)),
        ["task_id", "gpu_type", "count", "hourly_rate_usd"])
    return gpu_costs(allocations, pools, reservations)


def _summary_leaves(tasks: pd.DataFrame) -> dict[int, list[int]]:
    """Summary task id → the non-summary tasks beneath it (any depth), for summaries that have some."""
    kind = dict(zip(tasks["id"], tasks["kind"], strict=True))
    parent = {int(t): int(p) for t, p in zip(tasks["id"], tasks["parent_id"], strict=True) if not pd.isna(p)}
    leaves: dict[int, list[int]] = {}
    for task_id in parent:
        if kind[task_id] == "summary":
            continue
        up, seen = parent.get(task_id), set()
        while up is not None and up in kind and up not in seen:  # repo refuses loops; be safe anyway
            seen.add(up)
            if kind[up] == "summary":
                leaves.setdefault(up, []).append(task_id)
            up = parent.get(up)
    return leaves


def milestone_groups(plan: Plan) -> dict[str, tuple[int, list[int]]]:
    """Label → (milestone id, its task ids) for each milestone with tasks; a label clash gets the id added."""
    groups: dict[str, tuple[int, list[int]]] = {}
    members = plan.tasks.dropna(subset=["milestone_id"]).groupby("milestone_id").groups
    for milestone_id, row in plan.milestones.iterrows():
        ids = [int(i) for i in members.get(milestone_id, [])]
        if not ids:
            continue
        label = f"{row['project']} › {row['name']}"
        groups[label if label not in groups else f"{label} (#{milestone_id})"] = (int(milestone_id), ids)
    return groups
