"""Levelling preview and apply against the database; the Resources read model on the demo workspace."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from db import repo
from db.demo import create_demo_workspace
from db.levelling import apply_levelling
from db.models import Allocation, ChangeLog, GpuReservation, Person, Project, Task
from db.validation import StaleEditError, ValidationError
from db.views import overview
from db.views_resources import burn_plan, levelling_preview, resources_view

pytestmark = pytest.mark.db
TODAY = date(2026, 11, 23)  # a Monday
MON = TODAY + timedelta(days=7)


@pytest.fixture
def clash(factory, workspace_id):
    """Ana on two one-week tasks in the same week; B has a long task of Ben's after it to give it float."""
    with factory.begin() as s:
        ana = repo.create(session=s, model=Person, values={"workspace_id": workspace_id, "name": "Ana"}).id
        ben = repo.create(session=s, model=Person, values={"workspace_id": workspace_id, "name": "Ben"}).id
        project = repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": "P"}).id
        ids = {}
        for name, start, days in (("A", MON, 5), ("B", MON, 5), ("Long", MON, 60)):
            ids[name] = repo.create(session=s, model=Task, values={
                "project_id": project, "name": name, "start_date": start,
                "end_date": start + timedelta(days=days)}).id
        for task, person in (("A", ana), ("B", ana), ("Long", ben)):
            repo.create(session=s, model=Allocation, values={"task_id": ids[task], "person_id": person,
                                                             "hours_per_week": 40})
    return ids


def _dates(factory, workspace_id):
    with factory() as s:
        return {t.name: (t.start_date, t.end_date) for t in repo.list_rows(session=s, model=Task,
                                                                          workspace_id=workspace_id)}


def test_preview_flags_the_clash_and_apply_writes_the_suggested_dates(factory, workspace_id, clash):
    with factory() as s:
        view = resources_view(session=s, workspace_id=workspace_id, today=TODAY)
        preview = levelling_preview(session=s, workspace_id=workspace_id, today=TODAY, time_budget_s=None)
    assert list(view.over["resource"]) == ["Ana"] and view.over.iloc[0]["tasks"] == "A, B"
    assert preview.plan.critical_moved == 0 and preview.plan.finish_delay_days == 0
    assert len(preview.plan.moves) == 1 and preview.over_after.empty
    moved = preview.plan.moves.iloc[0]
    new_dates = {int(preview.plan.moves.index[0]): (moved["new_start"], moved["new_end"])}
    with factory.begin() as s:
        assert apply_levelling(session=s, workspace_id=workspace_id, new_dates=new_dates,
                               versions=preview.versions) == 1
    assert _dates(factory, workspace_id)[moved["name"]] == (MON + timedelta(days=7), MON + timedelta(days=12))
    with factory() as s:
        assert resources_view(session=s, workspace_id=workspace_id, today=TODAY).over.empty
        log = s.scalars(select(ChangeLog).where(ChangeLog.table_name == "task", ChangeLog.action == "update")).all()
    assert len(log) == 1  # the apply is in the history like any edit


def test_a_stale_preview_is_refused_and_nothing_is_written(factory, workspace_id, clash):
    with factory() as s:
        preview = levelling_preview(session=s, workspace_id=workspace_id, today=TODAY, time_budget_s=None)
    new_dates = {int(t): (r["new_start"], r["new_end"]) for t, r in preview.plan.moves.iterrows()}
    moved_id = next(iter(new_dates))
    with factory.begin() as s:  # someone renames the task after the preview was computed
        repo.update(session=s, model=Task, row_id=moved_id, values={"name": "renamed"})
    before = _dates(factory, workspace_id)
    with pytest.raises(StaleEditError), factory.begin() as s:
        apply_levelling(session=s, workspace_id=workspace_id, new_dates=new_dates, versions=preview.versions)
    assert _dates(factory, workspace_id) == before


def test_a_refusal_part_way_through_rolls_back_the_tasks_already_moved(factory, workspace_id, clash):
    with factory() as s:
        tasks = {t.name: t for t in repo.list_rows(session=s, model=Task, workspace_id=workspace_id)}
    new_dates = {tasks["A"].id: (MON + timedelta(days=7), MON + timedelta(days=12)),
                 tasks["B"].id: (MON + timedelta(days=9), MON + timedelta(days=2))}  # end before start: invalid
    versions = {tasks["A"].id: tasks["A"].version, tasks["B"].id: tasks["B"].version}
    before = _dates(factory, workspace_id)
    with pytest.raises(ValidationError, match="end_date"), factory.begin() as s:
        apply_levelling(session=s, workspace_id=workspace_id, new_dates=new_dates, versions=versions)
    assert _dates(factory, workspace_id) == before


def test_apply_refuses_tasks_of_another_workspace_and_moves_without_a_version(factory, workspace_id, clash):
    with factory.begin() as s:
        other = repo.create_workspace(session=s, name="Other Co").id
    with factory() as s:
        task = repo.list_rows(session=s, model=Task, workspace_id=workspace_id)[0]
    new_dates = {task.id: (MON + timedelta(days=7), MON + timedelta(days=12))}
    with pytest.raises(ValidationError, match="another workspace"), factory.begin() as s:
        apply_levelling(session=s, workspace_id=other, new_dates=new_dates, versions={task.id: task.version})
    with pytest.raises(ValidationError, match="no version"), factory.begin() as s:
        apply_levelling(session=s, workspace_id=workspace_id, new_dates=new_dates, versions={})
    assert _dates(factory, workspace_id)["A"] == (MON, MON + timedelta(days=5))


def test_started_tasks_are_never_moved(factory, workspace_id, clash):
    with factory.begin() as s:
        for task in repo.list_rows(session=s, model=Task, workspace_id=workspace_id):
            repo.update(session=s, model=Task, row_id=task.id, values={"status": "in_progress"})
    with factory() as s:
        preview = levelling_preview(session=s, workspace_id=workspace_id, today=TODAY, time_budget_s=None)
    assert preview.plan.moves.empty and not preview.plan.resolved


@pytest.fixture
def demo_id(factory):
    with factory.begin() as s:
        return create_demo_workspace(session=s, today=TODAY).id


def test_demo_has_a_future_over_allocation_that_levelling_resolves_within_float(factory, demo_id):
    with factory() as s:
        view = resources_view(session=s, workspace_id=demo_id, today=TODAY)
        preview = levelling_preview(session=s, workspace_id=demo_id, today=TODAY, time_budget_s=None)
        assert s.scalar(select(func.count()).select_from(GpuReservation)) >= 3
    future = view.over[view.over["week"] >= TODAY.isoformat()]
    assert not future.empty and set(future["resource"]) == {"Sofia Marquez"}
    assert preview.plan.critical_moved == 0 and preview.plan.finish_delay_days == 0
    after = preview.over_after
    assert after[after["week"] >= TODAY.isoformat()].empty
    assert set(view.coverage["coverage"]) == {"covered", "partial", "none"}


def test_burn_plan_is_the_overviews_burn_and_runway(factory, demo_id):
    with factory() as s:
        plan = burn_plan(session=s, workspace_id=demo_id, today=TODAY)
        seen = overview(session=s, workspace_id=demo_id, today=TODAY)
    assert plan.burn.equals(seen.burn) and plan.runway == seen.runway
    assert plan.cash.equals(seen.cash)


def test_total_float_comes_from_the_critical_path_of_the_current_dates():
    # A (days 0–5) → B (5–10) is the chain that sets the finish; C (0–3) runs beside it: 7 days of float.
    # D is undated and left out; a link to it is ignored.
    import pandas as pd

    from db.views_resources import total_float

    d0 = date(2026, 1, 5)
    tasks = pd.DataFrame({"name": ["A", "B", "C", "D"],
                          "start_date": [d0, d0 + timedelta(days=5), d0, None],
                          "end_date": [d0 + timedelta(days=5), d0 + timedelta(days=10), d0 + timedelta(days=3), None]},
                         index=[1, 2, 3, 4])
    links = pd.DataFrame({"predecessor_id": [1, 3], "successor_id": [2, 4], "kind": ["FS", "FS"],
                          "lag_days": [0.0, 0.0]})
    flt, source = total_float(tasks, links)
    assert flt.to_dict() == {1: 0.0, 2: 0.0, 3: 7.0}
    assert source.startswith("total float from the critical path")


def test_the_fast_loader_reads_the_same_rows_as_the_shared_one(factory, demo_id):
    from db.views import frame
    from db.views_resources import TASK_COLUMNS, _frame

    with factory() as s:
        fast = _frame(s, Task, demo_id, TASK_COLUMNS)
        reference = frame(session=s, model=Task, workspace_id=demo_id, columns=TASK_COLUMNS)
    assert fast.index.tolist() == reference.index.tolist()
    assert fast.astype(object).to_dict("records") == reference.astype(object).to_dict("records")
