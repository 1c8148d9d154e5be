"""A workspace's plan as the schedule analytics read it: tasks, links, calendar, CPM dates.

Scheduling rules (the Roadmap page states them): a task lasts its most-likely estimate (else the
span of its own dates, else 0 days, and the page counts those); a task's Start date, where set, is a
"start no earlier than" date that links can push later but never earlier; the plan starts on the
earliest task or project start (today if there is none). Days are calendar days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from analytics.schedule import Calendar, critical_path
from db.models import Milestone, Person, Project, Task, TaskDependency

TASK_COLUMNS = ("project_id", "milestone_id", "parent_id", "assignee_id", "name", "kind", "status", "start_date",
                "end_date", "optimistic_days", "likely_days", "pessimistic_days", "percent_done")
# A month of salary spread over its calendar days: cost of a task day in the Monte Carlo.
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class Plan:
    """Inputs and the CPM result of one workspace's schedule."""

    calendar: Calendar
    tasks: pd.DataFrame  # indexed by task id: TASK_COLUMNS + project, milestone, assignee, duration, not_before,
    #                      daily_cost_usd, rollup, es, ef, ls, lf, total_float, critical, start, finish (dates)
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
    tasks["daily_cost_usd"] = tasks["assignee_id"].map(people["cost"]).fillna(0.0).astype(float) / DAYS_PER_MONTH
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
