"""Demo workspace: milestones linked to their work, a baseline of the plan as first drawn, then a slip.

The slip (annotation took longer, product features grew) is made up for illustration, like every
number in the demo; it gives the Roadmap's baseline comparison something real to measure.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import repo
from db.baselines import save_baseline
from db.models import Baseline, Task, TaskDependency
from db.plan_schedule import load_plan

BASELINE_NAME = "Plan as first drawn"
# Task name (phase template) → illustrative extra days on its three-point estimate since the baseline.
DEMO_SLIPS: dict[str, float] = {
    "Annotate the data to build the labelled training dataset": 6.0,
    "Develop the product features on the model (e.g. classification, sentiment analysis, Q&A)": 4.0,
}


def add_demo_roadmap(*, session: Session, workspace_id: int, today: date) -> Baseline:
    """Save the demo's baseline, then lengthen a few tasks so the plan has slipped against it."""
    _link_milestones(session, workspace_id)
    baseline = save_baseline(session=session, workspace_id=workspace_id, name=BASELINE_NAME, today=today)
    first = min((t["start"] for t in baseline.snapshot.values()), default=today.isoformat())
    repo.update(session=session, model=Baseline, row_id=baseline.id,
                values={"taken_at": datetime.combine(date.fromisoformat(first), time(9, 0))})
    for task in session.scalars(select(Task).where(Task.workspace_id == workspace_id, Task.deleted_at.is_(None),
                                                   Task.name.in_(DEMO_SLIPS))):
        extra = DEMO_SLIPS[task.name]
        values = {f: getattr(task, f) + extra for f in ("likely_days", "pessimistic_days", "optimistic_days")
                  if getattr(task, f) is not None}
        note = f"Illustrative slip: +{extra:g} days since the baseline."
        values["notes"] = f"{task.notes} {note}".strip()
        repo.update(session=session, model=Task, row_id=task.id, values=values)
    _move_dates_to_schedule(session, workspace_id, today)
    return baseline


def _link_milestones(session: Session, workspace_id: int) -> None:
    """Each milestone task waits for the last task of its milestone (finish-to-start), so a slip moves it."""
    tasks = list(session.scalars(select(Task).where(Task.workspace_id == workspace_id, Task.deleted_at.is_(None),
                                                    Task.milestone_id.is_not(None))))
    for marker in (t for t in tasks if t.kind == "milestone"):
        work = [t for t in tasks if t.milestone_id == marker.milestone_id and t.kind != "milestone" and t.end_date]
        if work:
            last = max(work, key=lambda t: (t.end_date, t.id))
            repo.create(session=session, model=TaskDependency, values={"predecessor_id": last.id,
                                                                       "successor_id": marker.id})


def _move_dates_to_schedule(session: Session, workspace_id: int, today: date) -> None:
    """Write the rescheduled dates back, as a planner would (end = start + duration, the demo's convention)."""
    plan = load_plan(session=session, workspace_id=workspace_id, today=today)
    starts = plan.calendar.start_dates(plan.tasks["es"].to_numpy(dtype=float))
    for (task_id, row), start in zip(plan.tasks.iterrows(), starts, strict=True):
        begin = start.astype(object)
        if begin != row["start_date"]:
            repo.update(session=session, model=Task, row_id=int(task_id), values={
                "start_date": begin, "end_date": begin + timedelta(days=float(row["duration"]))})
