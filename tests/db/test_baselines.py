"""Baselines: a snapshot of the scheduled dates, and slip per task and milestone against it."""

from __future__ import annotations

from datetime import date

import pytest

from db import repo
from db.baselines import compare_with, list_baselines, save_baseline
from db.demo import create_demo_workspace
from db.demo_roadmap import BASELINE_NAME
from db.models import Baseline, Milestone, Project, Task, TaskDependency
from db.plan_schedule import load_plan
from db.validation import ValidationError

pytestmark = pytest.mark.db
START = date(2026, 3, 2)


@pytest.fixture
def plan_ids(factory, workspace_id):
    """Design (5 d) → Build (10 d) → Launch milestone, all under milestone "Beta", starting 2026-03-02."""
    with factory.begin() as s:
        project = repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": "App",
                                                               "start_date": START}).id
        beta = repo.create(session=s, model=Milestone, values={"project_id": project, "name": "Beta"}).id
        ids = {}
        for name, days, kind in (("Design", 5, "task"), ("Build", 10, "task"), ("Launch", 0, "milestone")):
            ids[name] = repo.create(session=s, model=Task, values={
                "project_id": project, "milestone_id": beta, "name": name, "kind": kind, "optimistic_days": days,
                "likely_days": days, "pessimistic_days": days}).id
        repo.create(session=s, model=TaskDependency, values={"predecessor_id": ids["Design"],
                                                             "successor_id": ids["Build"]})
        repo.create(session=s, model=TaskDependency, values={"predecessor_id": ids["Build"],
                                                             "successor_id": ids["Launch"]})
    return {**ids, "project": project}


def test_a_baseline_freezes_the_scheduled_dates(factory, workspace_id, plan_ids):
    with factory.begin() as s:
        baseline = save_baseline(session=s, workspace_id=workspace_id, name="v1")
    snap = baseline.snapshot
    assert snap[str(plan_ids["Design"])] | {} == {
        "name": "Design", "kind": "task", "project": "App", "milestone": "Beta", "start": "2026-03-02",
        "end": "2026-03-06", "likely_days": 5.0}
    assert (snap[str(plan_ids["Build"])]["start"], snap[str(plan_ids["Build"])]["end"]) == ("2026-03-07", "2026-03-16")
    assert snap[str(plan_ids["Launch"])]["end"] == "2026-03-16"  # the milestone sits on Build's last day
    with factory() as s:
        assert list_baselines(session=s, workspace_id=workspace_id)[["name", "tasks"]].values.tolist() == [["v1", 3]]


def test_an_unchanged_plan_has_no_slip(factory, workspace_id, plan_ids):
    with factory.begin() as s:
        baseline_id = save_baseline(session=s, workspace_id=workspace_id, name="v1").id
    with factory() as s:
        tasks, milestones = compare_with(session=s, workspace_id=workspace_id, baseline_id=baseline_id)
    assert tasks["finish_slip_days"].tolist() == [0, 0, 0] and set(tasks["change"]) == {""}
    assert milestones[["milestone", "finish_slip_days"]].values.tolist() == [["Beta", 0]]


def test_a_longer_task_slips_itself_its_successors_and_its_milestone(factory, workspace_id, plan_ids):
    with factory.begin() as s:
        baseline_id = save_baseline(session=s, workspace_id=workspace_id, name="v1").id
        repo.update(session=s, model=Task, row_id=plan_ids["Design"], values={"likely_days": 8,
                                                                               "pessimistic_days": 8})
        extra = repo.create(session=s, model=Task, values={"project_id": plan_ids["project"], "name": "Docs",
                                                            "likely_days": 2}).id
        repo.soft_delete(session=s, model=Task, row_id=plan_ids["Launch"])
    with factory() as s:
        tasks, milestones = compare_with(session=s, workspace_id=workspace_id, baseline_id=baseline_id)
    assert tasks.loc[plan_ids["Design"], ["start_slip_days", "finish_slip_days"]].tolist() == [0, 3]
    assert tasks.loc[plan_ids["Build"], ["start_slip_days", "finish_slip_days"]].tolist() == [3, 3]
    assert tasks.loc[extra, "change"] == "added" and tasks.loc[plan_ids["Launch"], "change"] == "removed"
    assert milestones.set_index("milestone").loc["Beta", "finish_slip_days"] == 3


def test_a_baseline_without_a_name_is_refused_and_nothing_is_written(factory, workspace_id, plan_ids):
    with pytest.raises(ValidationError, match="'name'"), factory.begin() as s:
        save_baseline(session=s, workspace_id=workspace_id, name="  ")
    with factory() as s:
        assert repo.list_rows(session=s, model=Baseline, workspace_id=workspace_id) == []


def test_a_baseline_of_another_workspace_is_not_found(factory, workspace_id, plan_ids):
    with factory.begin() as s:
        other = repo.create_workspace(session=s, name="Other Co").id
        baseline_id = save_baseline(session=s, workspace_id=other, name="theirs").id
    with factory() as s, pytest.raises(repo.NotFoundError):
        compare_with(session=s, workspace_id=workspace_id, baseline_id=baseline_id)


def test_the_demo_has_a_baseline_and_an_illustrative_slip_against_it(factory):
    with factory.begin() as s:
        ws = create_demo_workspace(session=s, today=date(2026, 11, 25)).id
    with factory() as s:
        baselines = list_baselines(session=s, workspace_id=ws)
        assert baselines["name"].tolist() == [BASELINE_NAME]
        tasks, milestones = compare_with(session=s, workspace_id=ws, baseline_id=int(baselines["id"][0]))
        plan = load_plan(session=s, workspace_id=ws)
    slip = milestones.set_index("milestone")["finish_slip_days"]
    assert slip["Training dataset v1 frozen"] == 6  # annotation took 6 days longer
    assert slip["Market research report approved"] == 0
    assert (tasks["finish_slip_days"] >= 0).all() and tasks["finish_slip_days"].max() >= 6
    # The milestone task itself waits for its last task, so it moved with the slip.
    marker = tasks[(tasks["name"] == "Training dataset v1 frozen") & (tasks["kind"] == "milestone")]
    assert marker["finish_slip_days"].tolist() == [6]
    assert len(plan.tasks) == len(tasks)


def test_the_roadmap_view_lists_only_the_tasks_that_moved_latest_first(factory, workspace_id, plan_ids):
    from db.views_roadmap import roadmap

    with factory.begin() as s:
        baseline_id = save_baseline(session=s, workspace_id=workspace_id, name="v1").id
        repo.update(session=s, model=Task, row_id=plan_ids["Build"],
                    values={"likely_days": 12, "pessimistic_days": 12})  # 2 days later
        repo.create(session=s, model=Task, values={"project_id": plan_ids["project"], "name": "Docs",
                                                   "likely_days": 1})
    with factory() as s:
        view = roadmap(session=s, workspace_id=workspace_id, baseline_id=baseline_id, today=START)
        unchanged = roadmap(session=s, workspace_id=workspace_id, today=START)
    moved = view.moved_tasks
    # Design did not move; Build and Launch slip 2 days; Docs is new (no baseline date, listed last).
    assert moved["name"].tolist() == ["Build", "Launch", "Docs"]
    assert moved["finish_slip_days"].tolist()[:2] == [2, 2] and moved["change"].tolist() == ["", "", "added"]
    assert unchanged.moved_tasks is None
