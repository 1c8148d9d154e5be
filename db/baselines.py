"""Baselines: freeze the current schedule, and measure slip against a saved one.

A snapshot holds, per task id, what the schedule said when it was taken: name, kind, project,
milestone, start and finish dates (ISO strings) and the most-likely estimate. It is written once
through :func:`db.repo.create` (validated, in the history) and never edited.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from db import repo
from db.models import Baseline
from db.plan_schedule import Plan, load_plan


def snapshot(plan: Plan) -> dict[str, Any]:
    """The plan's current dates as a JSON-ready snapshot keyed by task id."""
    out: dict[str, Any] = {}
    for task_id, row in plan.tasks.iterrows():
        out[str(int(task_id))] = {
            "name": row["name"], "kind": row["kind"], "project": row["project"],
            "milestone": None if pd.isna(row["milestone"]) else row["milestone"],
            "start": row["start"].date().isoformat(), "end": row["finish"].date().isoformat(),
            "likely_days": float(row["duration"]),
        }
    return out


def save_baseline(
    *, session: Session, workspace_id: int, name: str, today: date | None = None, working_days: bool = False
) -> Baseline:
    """Save the workspace's current schedule (as the Roadmap shows it) as a baseline called ``name``."""
    plan = load_plan(session=session, workspace_id=workspace_id, today=today, working_days=working_days)
    return repo.create(session=session, model=Baseline,
                       values={"workspace_id": workspace_id, "name": name, "snapshot": snapshot(plan)})


def list_baselines(*, session: Session, workspace_id: int) -> pd.DataFrame:
    """Live baselines, newest first: id, name, taken_at, tasks."""
    rows = session.execute(select(Baseline.id, Baseline.name, Baseline.taken_at, Baseline.snapshot).where(
        Baseline.workspace_id == workspace_id, Baseline.deleted_at.is_(None)).order_by(Baseline.taken_at.desc(),
                                                                                         Baseline.id.desc())).all()
    return pd.DataFrame([(r.id, r.name, r.taken_at, len(r.snapshot or {})) for r in rows],
                        columns=["id", "name", "taken_at", "tasks"])


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce")


def compare(plan: Plan, saved: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Slip of every task and milestone against a snapshot, in calendar days (positive = later).

    Tasks: indexed by task id, with name, project, milestone, baseline_start/finish, start/finish,
    start_slip_days, finish_slip_days and change ('added' since the baseline, 'removed', or '').
    Milestones: per project › milestone, the latest finish of its tasks then and now, and the slip.
    """
    base = pd.DataFrame.from_dict(saved or {}, orient="index")
    if base.empty:
        base = pd.DataFrame(columns=["name", "kind", "project", "milestone", "start", "end", "likely_days"])
    base.index = base.index.astype(int)
    now = plan.tasks[["name", "kind", "project", "milestone", "start", "finish"]]
    tasks = now.join(base[["name", "project", "milestone", "start", "end"]].rename(columns={
        "name": "baseline_name", "project": "baseline_project", "milestone": "baseline_milestone",
        "start": "baseline_start", "end": "baseline_finish"}), how="outer")
    for column in ("name", "project", "milestone"):
        tasks[column] = tasks[column].astype(object).where(tasks[column].notna(), tasks[f"baseline_{column}"])
    tasks["baseline_start"] = _dates(tasks["baseline_start"])
    tasks["baseline_finish"] = _dates(tasks["baseline_finish"])
    tasks["start_slip_days"] = (tasks["start"] - tasks["baseline_start"]).dt.days
    tasks["finish_slip_days"] = (tasks["finish"] - tasks["baseline_finish"]).dt.days
    tasks["change"] = ""
    tasks.loc[tasks["baseline_finish"].isna(), "change"] = "added"
    tasks.loc[tasks["finish"].isna(), "change"] = "removed"
    tasks = tasks.drop(columns=["baseline_name", "baseline_project", "baseline_milestone"])
    tasks.index.name = "id"

    grouped = tasks.dropna(subset=["milestone"]).groupby(["project", "milestone"], sort=False)
    milestones = grouped.agg(baseline_finish=("baseline_finish", "max"), finish=("finish", "max")).reset_index()
    milestones["finish_slip_days"] = (milestones["finish"] - milestones["baseline_finish"]).dt.days
    return tasks, milestones


def compare_with(*, session: Session, workspace_id: int, baseline_id: int, plan: Plan | None = None
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`compare` the current plan with the saved baseline ``baseline_id`` of this workspace."""
    baseline = repo.get(session=session, model=Baseline, row_id=baseline_id)
    if baseline.workspace_id != workspace_id:
        raise repo.NotFoundError(f"baseline {baseline_id} does not exist in this workspace")
    plan = plan or load_plan(session=session, workspace_id=workspace_id)
    return compare(plan, baseline.snapshot)
