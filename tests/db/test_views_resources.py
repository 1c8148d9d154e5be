"""The Resources page's read model: the headline counts it draws, computed by the view, by hand-checked example."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from db import repo
from db.models import Allocation, ComputeResource, GpuReservation, Person, Project, Task
from db.views_resources import (
    ResourceCards,
    levelling_preview,
    resources_view,
    this_monday,
    weeks_ahead,
)

pytestmark = pytest.mark.db
TODAY = date(2026, 11, 25)  # a Wednesday: this week starts on Monday 23 November


@pytest.fixture
def plan(factory, workspace_id):
    """Ada (40 h/week) on two overlapping tasks at 30 + 20 h in two past weeks and one week ahead; Bob idle;
    GPU pools of 8 and 4; one GPU task covered by a reservation, one not."""
    ws = {"workspace_id": workspace_id}
    with factory.begin() as s:
        ada = repo.create(session=s, model=Person, values={**ws, "name": "Ada"}).id
        repo.create(session=s, model=Person, values={**ws, "name": "Bob"})
        pod = repo.create(session=s, model=ComputeResource, values={**ws, "name": "Pod", "gpu_type": "H100",
                                                                    "count": 8}).id
        small = repo.create(session=s, model=ComputeResource, values={**ws, "name": "Small", "gpu_type": "L4",
                                                                      "count": 4}).id
        project = repo.create(session=s, model=Project, values={**ws, "name": "P"}).id

        def task(name, start, end, **allocation):
            task_id = repo.create(session=s, model=Task, values={"project_id": project, "name": name,
                                                                 "start_date": start, "end_date": end}).id
            repo.create(session=s, model=Allocation, values={"task_id": task_id, **allocation})
            return task_id

        for name, hours in (("A", 30), ("B", 20)):  # weeks of 2 and 9 November, Monday to Friday
            task(name, date(2026, 11, 2), date(2026, 11, 14), person_id=ada, hours_per_week=hours)
        for name, hours in (("C", 30), ("D", 20)):  # the week of 7 December
            task(name, date(2026, 12, 7), date(2026, 12, 12), person_id=ada, hours_per_week=hours)
        train = task("Train", date(2027, 1, 4), date(2027, 1, 18), compute_resource_id=pod, gpu_count=8)
        task("Serve", date(2027, 2, 1), date(2027, 2, 8), compute_resource_id=small, gpu_count=2)
        repo.create(session=s, model=GpuReservation, values={
            **ws, "task_id": train, "gpu_type": "H100", "count": 8, "start_date": date(2027, 1, 4),
            "end_date": date(2027, 1, 31), "hourly_rate_usd": 2.0, "status": "confirmed"})
    return workspace_id


def test_the_cards_are_computed_by_the_view(factory, plan):
    with factory() as s:
        view = resources_view(session=s, workspace_id=plan, today=TODAY)
    # 8 GPUs × 24 h × 28 days (4–31 January, end inclusive) × $2; the pools cost $0/h, so none of it is in the burn.
    reserved = 8 * 24 * 28 * 2.0
    assert view.cards == ResourceCards(people=2, gpus_in_pools=12.0, over_weeks=3, over_weeks_ahead=1,
                                       tasks_needing_gpus=2, tasks_not_covered=1, reserved_usd=reserved,
                                       reserved_beyond_burn_usd=reserved)
    assert sorted(view.over["week"].dt.date) == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 12, 7)]


def test_weeks_ahead_start_on_this_weeks_monday():
    over = pd.DataFrame({"week": pd.to_datetime(["2026-11-16", "2026-11-23", "2026-11-30"])})
    assert this_monday(TODAY) == pd.Timestamp("2026-11-23")
    assert this_monday(date(2026, 11, 23)) == pd.Timestamp("2026-11-23")
    assert weeks_ahead(over, TODAY) == 2 and weeks_ahead(over.iloc[:0], TODAY) == 0


def test_an_empty_workspace_has_zero_cards(factory, workspace_id):
    with factory() as s:
        view = resources_view(session=s, workspace_id=workspace_id, today=TODAY)
    assert view.cards == ResourceCards(0, 0.0, 0, 0, 0, 0, 0.0, 0.0)


def test_the_levelling_preview_counts_what_is_left_from_this_week_on(factory, plan):
    with factory() as s:
        preview = levelling_preview(session=s, workspace_id=plan, today=TODAY, time_budget_s=None)
    # Only C or D (not started, ahead) can move; the two past weeks stay over-allocated.
    assert set(preview.plan.moves["name"]) <= {"C", "D"} and len(preview.plan.moves) == 1
    assert len(preview.over_after) == 2 and preview.over_after_ahead == 0
