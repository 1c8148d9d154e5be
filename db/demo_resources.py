"""The demo workspace's allocations and GPU reservations (illustrative numbers, like the rest of the demo).

Each task's assignee works on it part-time; the ML engineer is also lent to the product team's feature
work while training runs, which over-allocates her for a few weeks: the Resources page flags it and
suggests a levelling. GPU pools serve the training tasks, and the reservations cover some of them fully,
one only in part and one not at all, so each coverage verdict appears.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from db import repo
from db.models import Allocation, ComputeResource, GpuReservation, Person, Task

# Illustrative hours a week an assignee spends on one of their tasks, by role (default 24 h).
_HOURS_BY_ROLE = {"ML engineer": 32.0, "Data engineer": 32.0, "Backend engineer": 32.0}
# (task name starts with, GPU pool name, GPUs): the training phase's compute.
_GPU_USE = (
    ("Preprocess the data and train", "Training cluster", 8),
    ("Tune hyperparameters", "Training cluster", 8),
    ("Evaluate on validation", "Experiments (spot)", 4),
    ("Augment the data", "Experiments (spot)", 2),
)
# Lent to the product team: the ML engineer on the feature work, on top of her training tasks.
_LENT = ("Develop the product features", "ML engineer", 16.0)


def _task(tasks: list[Task], prefix: str) -> Task | None:
    return next((t for t in tasks if t.name.startswith(prefix)), None)


def add_demo_resources(*, session: Session, workspace_id: int, today: date) -> None:
    """Allocate the demo team and GPU pools to the demo plan's tasks and add a few GPU reservations."""
    tasks = [t for t in repo.list_rows(session=session, model=Task, workspace_id=workspace_id) if t.kind == "task"]
    people = {p.id: p for p in repo.list_rows(session=session, model=Person, workspace_id=workspace_id)}
    pools = {c.name: c for c in repo.list_rows(session=session, model=ComputeResource, workspace_id=workspace_id)}
    for task in tasks:
        person = people.get(task.assignee_id)
        # Nobody works on a task before their start date (the page would rightly flag it).
        if person is not None and (person.start_date is None or person.start_date <= task.start_date):
            hours = _HOURS_BY_ROLE.get(person.role, 24.0)
            repo.create(session=session, model=Allocation,
                        values={"task_id": task.id, "person_id": task.assignee_id, "hours_per_week": hours})
    lent_task = _task(tasks, _LENT[0])
    lent_person = next((p for p in people.values() if p.role == _LENT[1]), None)
    if lent_task is not None and lent_person is not None:
        repo.create(session=session, model=Allocation,
                    values={"task_id": lent_task.id, "person_id": lent_person.id, "hours_per_week": _LENT[2]})
    for prefix, pool, gpus in _GPU_USE:
        task = _task(tasks, prefix)
        if task is not None and pool in pools:
            repo.create(session=session, model=Allocation,
                        values={"task_id": task.id, "compute_resource_id": pools[pool].id, "gpu_count": gpus})
    train, tune = _task(tasks, _GPU_USE[0][0]), _task(tasks, _GPU_USE[1][0])
    cluster = pools.get("Training cluster")
    if train is None or tune is None or cluster is None:
        return
    # Reservation end dates are inclusive; a task ends the day before its end date.
    repo.create(session=session, model=GpuReservation, values={
        "workspace_id": workspace_id, "task_id": train.id, "gpu_type": cluster.gpu_type, "provider": "Lambda",
        "count": 8, "start_date": train.start_date, "end_date": train.end_date - timedelta(days=1),
        "hourly_rate_usd": 2.49, "status": "confirmed"})
    # Requested for the tuning run, but only for its first week: the page shows it as partial.
    repo.create(session=session, model=GpuReservation, values={
        "workspace_id": workspace_id, "gpu_type": cluster.gpu_type, "provider": "Lambda", "count": 8,
        "start_date": tune.start_date, "end_date": tune.start_date + timedelta(days=6), "hourly_rate_usd": 2.49,
        "status": "requested"})
    # An older, cancelled block: costs nothing and covers nothing.
    repo.create(session=session, model=GpuReservation, values={
        "workspace_id": workspace_id, "gpu_type": "A100 80GB", "provider": "RunPod", "count": 4,
        "start_date": today - timedelta(days=40), "end_date": today - timedelta(days=10), "hourly_rate_usd": 1.19,
        "status": "cancelled"})
