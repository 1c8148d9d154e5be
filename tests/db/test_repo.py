"""Repository functions: happy paths, and bad input refused with the field named and nothing written."""

from __future__ import annotations

from datetime import date

import pytest

from db import repo
from db.models import (
    BudgetLine,
    ComputeResource,
    FundingRound,
    Milestone,
    Person,
    Project,
    Risk,
    Task,
    TaskDependency,
    Workspace,
)
from db.validation import StaleEditError, ValidationError
from tests.helpers import table_dump

pytestmark = pytest.mark.db


def _project(factory, workspace_id, name="Model v1"):
    with factory.begin() as s:
        return repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": name}).id


def _task(factory, project_id, name="Train", **values):
    with factory.begin() as s:
        return repo.create(session=s, model=Task, values={"project_id": project_id, "name": name, **values}).id


def _refused(factory, call, *fragments):
    """Run ``call`` in a transaction; it must raise ValidationError naming each fragment and write nothing."""
    before = table_dump(factory)
    with pytest.raises(ValidationError) as info, factory.begin() as s:
        call(s)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    assert table_dump(factory) == before
    return message


def test_create_workspace_and_list_in_creation_order(factory):
    with factory.begin() as s:
        repo.create_workspace(session=s, name="Alpha")
        repo.create_workspace(session=s, name="Beta", description="second")
    with factory() as s:
        assert [w.name for w in repo.list_workspaces(session=s)] == ["Alpha", "Beta"]


def test_workspace_names_are_unique_among_live_workspaces(factory, workspace_id):
    _refused(factory, lambda s: repo.create_workspace(session=s, name="Test Co"), "'name'", "already taken")
    with factory.begin() as s:
        repo.soft_delete(session=s, model=Workspace, row_id=workspace_id)
    with factory.begin() as s:  # the name is free again once the old one is deleted
        assert repo.create_workspace(session=s, name="Test Co").id != workspace_id


def test_rename_workspace_changes_name_and_refuses_empty(factory, workspace_id):
    with factory.begin() as s:
        repo.rename_workspace(session=s, workspace_id=workspace_id, name="Renamed")
    with factory() as s:
        assert repo.get(session=s, model=Workspace, row_id=workspace_id).name == "Renamed"
    _refused(factory, lambda s: repo.rename_workspace(session=s, workspace_id=workspace_id, name="  "),
             "workspace", "'name'", "must not be empty")


@pytest.mark.parametrize(
    ("model", "values"),
    [
        (Project, {"name": "P", "status": "active", "start_date": "2026-01-05", "target_date": date(2026, 3, 1)}),
        (Person, {"name": "Ada", "role": "CTO", "monthly_cost_usd": "14000", "weekly_capacity_hours": 40}),
        (ComputeResource, {"name": "Cluster", "gpu_type": "H100 SXM", "count": 8, "hourly_rate_usd": 2.5,
                           "pricing": "reserved", "utilisation": 0.8}),
        (BudgetLine, {"category": "marketing", "name": "Ads", "month": "2026-02-01", "planned_usd": 5000}),
        (FundingRound, {"name": "Seed", "kind": "seed", "amount_usd": 2e6, "close_date": "2026-03-01",
                        "status": "closed"}),
        (Risk, {"category": "technical", "title": "GPU shortage", "probability_pct": 30, "impact": 4}),
    ],
)
def test_create_and_get_workspace_rows_coerce_values(factory, workspace_id, model, values):
    with factory.begin() as s:
        row_id = repo.create(session=s, model=model, values={"workspace_id": workspace_id, **values}).id
    with factory() as s:
        obj = repo.get(session=s, model=model, row_id=row_id)
        rows = repo.list_rows(session=s, model=model, workspace_id=workspace_id)
    assert [r.id for r in rows] == [row_id]
    assert obj.version == 1 and obj.deleted_at is None
    for field, value in values.items():
        stored = getattr(obj, field)
        if isinstance(stored, date):
            assert stored.isoformat() == str(value)[:10]
        elif isinstance(stored, float):
            assert stored == float(value)
        else:
            assert stored == value


def test_task_and_milestone_take_their_workspace_from_the_project(factory, workspace_id):
    project_id = _project(factory, workspace_id)
    with factory.begin() as s:
        milestone = repo.create(session=s, model=Milestone, values={"project_id": project_id, "name": "M1"})
        task = repo.create(session=s, model=Task, values={"project_id": project_id, "name": "T",
                                                          "milestone_id": milestone.id})
        assert (milestone.workspace_id, task.workspace_id) == (workspace_id, workspace_id)


def test_missing_required_field_is_named(factory, workspace_id):
    _refused(factory, lambda s: repo.create(session=s, model=Risk, values={"workspace_id": workspace_id,
                                                                         "category": "market"}),
             "risk", "'title' is required")
    _refused(factory, lambda s: repo.create(session=s, model=Task, values={"name": "orphan"}),
             "task", "'project_id' is required")


def test_wrong_type_is_named(factory, workspace_id):
    project_id = _project(factory, workspace_id)
    _refused(factory, lambda s: repo.create(session=s, model=Task, values={"project_id": project_id, "name": "T",
                                                                         "percent_done": "half"}),
             "'percent_done' must be a number", "'half'")
    _refused(factory, lambda s: repo.create(session=s, model=Person, values={"workspace_id": workspace_id,
                                                                           "name": "A", "start_date": "soon"}),
             "'start_date' must be a date")
    _refused(factory, lambda s: repo.create(session=s, model=ComputeResource, values={
        "workspace_id": workspace_id, "name": "X", "gpu_type": "L4", "count": 2.5}), "'count' must be a whole number")


def test_out_of_range_and_unknown_choice_are_named(factory, workspace_id):
    _refused(factory, lambda s: repo.create(session=s, model=Risk, values={
        "workspace_id": workspace_id, "category": "market", "title": "x", "impact": 9}), "'impact' must be at most 5")
    _refused(factory, lambda s: repo.create(session=s, model=FundingRound, values={
        "workspace_id": workspace_id, "name": "x", "kind": "lottery", "amount_usd": 1, "close_date": "2026-01-01"}),
        "'kind' must be one of angel")


def test_dates_in_the_wrong_order_are_refused(factory, workspace_id):
    project_id = _project(factory, workspace_id)
    _refused(factory, lambda s: repo.create(session=s, model=Task, values={
        "project_id": project_id, "name": "T", "start_date": "2026-05-01", "end_date": "2026-04-01"}),
        "'end_date'", "'start_date'")
    task_id = _task(factory, project_id, start_date="2026-05-01")
    _refused(factory, lambda s: repo.update(session=s, model=Task, row_id=task_id, values={"end_date": "2026-01-01"}),
             "'end_date'")


def test_three_point_estimates_must_be_ordered(factory, workspace_id):
    project_id = _project(factory, workspace_id)
    _refused(factory, lambda s: repo.create(session=s, model=Task, values={
        "project_id": project_id, "name": "T", "optimistic_days": 10, "likely_days": 5, "pessimistic_days": 20}),
        "'likely_days'", "'optimistic_days'")


def test_dangling_foreign_key_is_named(factory, workspace_id):
    project_id = _project(factory, workspace_id)
    _refused(factory, lambda s: repo.create(session=s, model=Task, values={
        "project_id": project_id, "name": "T", "assignee_id": 999}), "'assignee_id' refers to person 999")
    _refused(factory, lambda s: repo.create(session=s, model=Person, values={"workspace_id": 4242, "name": "A"}),
             "'workspace_id' refers to workspace 4242")


def test_links_across_workspaces_are_refused(factory, workspace_id):
    with factory.begin() as s:
        other = repo.create_workspace(session=s, name="Other").id
        stranger = repo.create(session=s, model=Person, values={"workspace_id": other, "name": "Eve"}).id
    project_id = _project(factory, workspace_id)
    _refused(factory, lambda s: repo.create(session=s, model=Task, values={
        "project_id": project_id, "name": "T", "assignee_id": stranger}), "in another workspace")


def test_update_changes_fields_and_bumps_version(factory, workspace_id):
    task_id = _task(factory, _project(factory, workspace_id))
    with factory.begin() as s:
        task = repo.update(session=s, model=Task, row_id=task_id, values={"status": "done", "percent_done": 100})
        assert task.version == 2
    with factory() as s:
        assert repo.get(session=s, model=Task, row_id=task_id).status == "done"


def test_stale_update_is_refused_and_keeps_the_newer_edit(factory, workspace_id):
    task_id = _task(factory, _project(factory, workspace_id))
    with factory.begin() as s:
        repo.update(session=s, model=Task, row_id=task_id, values={"name": "first edit"}, expected_version=1)
    with pytest.raises(StaleEditError, match="changed by someone else"), factory.begin() as s:
        repo.update(session=s, model=Task, row_id=task_id, values={"name": "stale edit"}, expected_version=1)
    with factory() as s:
        assert repo.get(session=s, model=Task, row_id=task_id).name == "first edit"


def test_system_fields_cannot_be_set(factory, workspace_id):
    task_id = _task(factory, _project(factory, workspace_id))
    _refused(factory, lambda s: repo.update(session=s, model=Task, row_id=task_id, values={"deleted_at": None,
                                                                                         "id": 7}),
             "'deleted_at' is not a field you can set", "'id' is not a field you can set")


def test_moving_a_task_to_another_project_is_refused(factory, workspace_id):
    task_id = _task(factory, _project(factory, workspace_id))
    other = _project(factory, workspace_id, "Other")
    _refused(factory, lambda s: repo.update(session=s, model=Task, row_id=task_id, values={"project_id": other}),
             "'project_id' cannot be changed")


def test_task_cannot_be_its_own_ancestor(factory, workspace_id):
    project_id = _project(factory, workspace_id)
    parent = _task(factory, project_id, "Parent", kind="summary")
    child = _task(factory, project_id, "Child", parent_id=parent)
    _refused(factory, lambda s: repo.update(session=s, model=Task, row_id=parent, values={"parent_id": child}),
             "'parent_id' would make the task its own ancestor")


def test_dependency_cycle_is_refused_naming_the_tasks(factory, workspace_id):
    project_id = _project(factory, workspace_id)
    a, b, c = (_task(factory, project_id, n) for n in ("Collect data", "Train", "Evaluate"))
    with factory.begin() as s:
        repo.create(session=s, model=TaskDependency, values={"predecessor_id": a, "successor_id": b})
        repo.create(session=s, model=TaskDependency, values={"predecessor_id": b, "successor_id": c, "kind": "SS",
                                                             "lag_days": 2})
    _refused(factory, lambda s: repo.create(session=s, model=TaskDependency, values={"predecessor_id": c,
                                                                                   "successor_id": a}),
             "cycle", "'Collect data' → 'Train' → 'Evaluate' → 'Collect data'")
    _refused(factory, lambda s: repo.create(session=s, model=TaskDependency, values={"predecessor_id": a,
                                                                                   "successor_id": a}),
             "cannot depend on itself")
    _refused(factory, lambda s: repo.create(session=s, model=TaskDependency, values={"predecessor_id": a,
                                                                                   "successor_id": b}),
             "already depends")


def test_soft_delete_hides_a_project_with_its_tasks_and_restore_brings_them_back(factory, workspace_id):
    project_id = _project(factory, workspace_id)
    a, b = _task(factory, project_id, "A"), _task(factory, project_id, "B")
    with factory.begin() as s:
        repo.create(session=s, model=TaskDependency, values={"predecessor_id": a, "successor_id": b})
        repo.create(session=s, model=Milestone, values={"project_id": project_id, "name": "M"})
    with factory.begin() as s:
        hidden = repo.soft_delete(session=s, model=Project, row_id=project_id)
    assert sorted(type(r).__name__ for r in hidden) == ["Milestone", "Project", "Task", "Task", "TaskDependency"]
    with factory() as s:
        assert repo.list_rows(session=s, model=Task, workspace_id=workspace_id) == []
        assert len(repo.list_rows(session=s, model=Task, workspace_id=workspace_id, include_deleted=True)) == 2
        assert {type(r).__name__ for r in repo.deleted_rows(session=s, workspace_id=workspace_id)} == {
            "Project", "Milestone", "Task", "TaskDependency"}
        with pytest.raises(repo.NotFoundError, match="project"):
            repo.get(session=s, model=Project, row_id=project_id)
    with factory.begin() as s:
        assert len(repo.restore(session=s, model=Project, row_id=project_id)) == 5
    with factory() as s:
        assert len(repo.list_rows(session=s, model=Task, workspace_id=workspace_id)) == 2
        assert repo.deleted_rows(session=s, workspace_id=workspace_id) == []


def test_restore_leaves_rows_deleted_earlier_on_their_own_deleted(factory, workspace_id):
    project_id = _project(factory, workspace_id)
    lone = _task(factory, project_id, "Deleted first")
    _task(factory, project_id, "Kept")
    with factory.begin() as s:
        repo.soft_delete(session=s, model=Task, row_id=lone)
    with factory.begin() as s:
        repo.soft_delete(session=s, model=Project, row_id=project_id)
    with factory.begin() as s:
        repo.restore(session=s, model=Project, row_id=project_id)
    with factory() as s:
        assert [t.name for t in repo.list_rows(session=s, model=Task, workspace_id=workspace_id)] == ["Kept"]


def test_list_rows_filters_by_column(factory, workspace_id):
    project_id = _project(factory, workspace_id)
    _task(factory, project_id, "A", status="done")
    _task(factory, project_id, "B")
    with factory() as s:
        assert [t.name for t in repo.list_rows(session=s, model=Task, workspace_id=workspace_id, status="done")] == [
            "A"]


def test_get_unknown_row_names_table_and_id(factory):
    with factory() as s, pytest.raises(repo.NotFoundError, match="task 77 does not exist"):
        repo.get(session=s, model=Task, row_id=77)


def test_control_characters_are_refused_on_every_database(factory, workspace_id):
    _refused(factory, lambda s: repo.create(session=s, model=Project, values={"workspace_id": workspace_id,
                                                                            "name": "a\x00b"}),
             "'name' must not contain control characters")
    _refused(factory, lambda s: repo.create(session=s, model=Project, values={"workspace_id": workspace_id,
                                                                            "name": "half \ud800 a pair"}),
             "'name' must be valid Unicode text")
    with factory.begin() as s:  # tabs and line breaks are ordinary text
        repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": "P",
                                                      "description": "line 1\n\tline 2"})


def _delete_one_by_one(factory, model, ids):
    for row_id in ids:  # one transaction each, so every row has its own deletion time
        with factory.begin() as s:
            repo.soft_delete(session=s, model=model, row_id=row_id)


def test_deleted_rows_pages_through_every_table_newest_first_and_filters_by_table(factory, workspace_id):
    project_id = _project(factory, workspace_id)
    tasks = [_task(factory, project_id, f"T{i}") for i in range(25)]
    with factory.begin() as s:
        people = [repo.create(session=s, model=Person, values={"workspace_id": workspace_id, "name": f"P{i}"}).id
                  for i in range(3)]
    _delete_one_by_one(factory, Task, tasks[:12])
    _delete_one_by_one(factory, Person, people)
    _delete_one_by_one(factory, Task, tasks[12:])
    newest_first = [("task", t) for t in reversed(tasks[12:])] + [("person", p) for p in reversed(people)] + [
        ("task", t) for t in reversed(tasks[:12])]
    with factory() as s:
        def page(**kw):
            return [(r.__tablename__, r.id) for r in repo.deleted_rows(session=s, workspace_id=workspace_id, **kw)]

        assert page(limit=100) == newest_first
        assert page(limit=10, offset=10) == newest_first[10:20]
        assert page(limit=10, offset=20) == newest_first[20:]
        assert page(limit=5, offset=1, table_name="person") == [("person", p) for p in reversed(people[:2])]
        assert page(limit=20, offset=20, table_name="task") == [("task", t) for t in reversed(tasks[:5])]
        assert repo.deleted_counts(session=s, workspace_id=workspace_id) == {"person": 3, "task": 25}
        with pytest.raises(ValueError, match="'workspace' is not a table"):
            page(table_name="workspace")


def test_deleted_rows_of_another_workspace_are_not_listed(factory, workspace_id):
    _delete_one_by_one(factory, Project, [_project(factory, workspace_id)])
    with factory.begin() as s:
        other = repo.create_workspace(session=s, name="Other").id
    with factory() as s:
        assert repo.deleted_rows(session=s, workspace_id=other) == []
        assert repo.deleted_counts(session=s, workspace_id=other) == {}
