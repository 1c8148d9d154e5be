"""The plan as the schedule reads it: start constraints, missing estimates, summary tasks."""

from __future__ import annotations

from datetime import date

import pytest

from db import repo
from db.models import Project, Task, TaskDependency
from db.plan_schedule import load_plan
from db.views_roadmap import SimulationSettings, roadmap

pytestmark = pytest.mark.db
START = date(2026, 3, 2)


def _task(s, project, name, **values):
    return repo.create(session=s, model=Task, values={"project_id": project, "name": name, **values}).id


@pytest.fixture
def project(factory, workspace_id):
    with factory.begin() as s:
        return repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": "App",
                                                            "start_date": START}).id


def test_a_start_date_holds_a_task_back_but_links_push_it_later(factory, workspace_id, project):
    with factory.begin() as s:
        a = _task(s, project, "A", likely_days=5, start_date=START)
        b = _task(s, project, "B", likely_days=2, start_date=date(2026, 3, 4))  # earlier than A's finish
        c = _task(s, project, "C", likely_days=1, start_date=date(2026, 3, 20))  # later than its link allows
        repo.create(session=s, model=TaskDependency, values={"predecessor_id": a, "successor_id": b})
        repo.create(session=s, model=TaskDependency, values={"predecessor_id": a, "successor_id": c})
    with factory() as s:
        plan = load_plan(session=s, workspace_id=workspace_id)
    assert plan.tasks.loc[b, "start"].date() == date(2026, 3, 7)  # pushed by A (5 days from 2 March)
    assert plan.tasks.loc[c, "start"].date() == date(2026, 3, 20)  # held by its own start date
    assert plan.calendar.start == START


def test_a_task_without_an_estimate_uses_its_dates_or_counts_as_unestimated(factory, workspace_id, project):
    with factory.begin() as s:
        dated = _task(s, project, "Dated", start_date=START, end_date=date(2026, 3, 12))
        _task(s, project, "Bare")
    with factory() as s:
        plan = load_plan(session=s, workspace_id=workspace_id)
        view = roadmap(session=s, workspace_id=workspace_id)
    assert plan.tasks.loc[dated, "duration"] == 10 and plan.unestimated == 1
    assert any("1 task(s) have no most-likely estimate" in n for n in view.notes)


def test_a_summary_spans_its_subtasks_and_links_to_it_are_set_aside(factory, workspace_id, project):
    with factory.begin() as s:
        phase = _task(s, project, "Phase", kind="summary", likely_days=1)
        a = _task(s, project, "A", parent_id=phase, likely_days=3)
        b = _task(s, project, "B", parent_id=phase, likely_days=4)
        after = _task(s, project, "After", likely_days=2)
        repo.create(session=s, model=TaskDependency, values={"predecessor_id": a, "successor_id": b})
        repo.create(session=s, model=TaskDependency, values={"predecessor_id": phase, "successor_id": after})
    with factory() as s:
        plan = load_plan(session=s, workspace_id=workspace_id)
        view = roadmap(session=s, workspace_id=workspace_id, simulation=SimulationSettings(iterations=50))
    row = plan.tasks.loc[phase]
    assert (row["es"], row["ef"], row["duration"], bool(row["critical"])) == (0, 7, 7, True)
    assert plan.tasks.loc[after, "es"] == 0  # the link from the summary is not scheduled
    assert list(plan.work.index) == [a, b, after] and len(plan.work_links) == 1
    assert any("summary tasks are not scheduled" in n for n in view.notes)
    # The Monte Carlo runs over the subtasks only: its whole-plan finish is the chain A → B (7 days).
    assert view.risk.finish.loc["Whole plan", "p50_days"] == 7 and phase not in view.risk.criticality.index
