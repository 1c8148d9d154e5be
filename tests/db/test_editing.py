"""Grid change sets (edited/added/deleted rows) applied all-or-nothing, with rows named in messages."""

from __future__ import annotations

import pandas as pd
import pytest

from db import repo
from db.editing import MILESTONES, PROJECTS, TASKS, apply_changes, editor_table, pending_changes
from db.models import Milestone, Person, Project, Task
from db.validation import StaleEditError, ValidationError
from tests.helpers import table_dump

pytestmark = pytest.mark.db


@pytest.fixture
def project_id(factory, workspace_id):
    with factory.begin() as s:
        pid = repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": "Model"}).id
        repo.create(session=s, model=Milestone, values={"project_id": pid, "name": "Beta"})
        repo.create(session=s, model=Person, values={"workspace_id": workspace_id, "name": "Ada"})
        for name in ("Collect", "Train"):
            repo.create(session=s, model=Task, values={"project_id": pid, "name": name})
    return pid


def _apply(factory, spec, scope_id, changes):
    with factory() as s:
        table = editor_table(session=s, spec=spec, scope_id=scope_id)
    with factory.begin() as s:
        return apply_changes(session=s, spec=spec, scope_id=scope_id, ids=table.ids, versions=table.versions,
                             changes=changes)


def test_editor_table_shows_lookups_by_name(factory, project_id):
    with factory() as s:
        table = editor_table(session=s, spec=TASKS, scope_id=project_id)
    assert list(table.rows["name"]) == ["Collect", "Train"]
    assert table.options == {"parent": ["Collect", "Train"], "milestone": ["Beta"], "assignee": ["Ada"]}
    assert list(table.rows.columns) == list(TASKS.columns)


def test_edits_additions_and_deletions_are_applied_together(factory, project_id, workspace_id):
    result = _apply(factory, TASKS, project_id, {
        "edited_rows": {"0": {"assignee": "Ada", "milestone": "Beta", "percent_done": 50}},
        "added_rows": [{"name": "Evaluate", "likely_days": 3}, {}],
        "deleted_rows": [1],
    })
    assert (result.created, result.updated, result.deleted) == (1, 1, 1)
    with factory() as s:
        tasks = {t.name: t for t in repo.list_rows(session=s, model=Task, workspace_id=workspace_id)}
    assert set(tasks) == {"Collect", "Evaluate"}
    assert tasks["Collect"].assignee_id is not None and tasks["Collect"].percent_done == 50
    assert tasks["Evaluate"].project_id == project_id


def test_one_bad_row_writes_nothing_and_every_problem_is_named(factory, project_id):
    before = table_dump(factory)
    with pytest.raises(ValidationError) as info:
        _apply(factory, TASKS, project_id, {
            "edited_rows": {"0": {"name": "Collect v2"}, "1": {"percent_done": 140}},
            "added_rows": [{"name": "New", "assignee": "Nobody"}],
        })
    message = str(info.value)
    assert "task row 2: 'percent_done' must be at most 100" in message
    assert "task row 3: 'assignee' 'Nobody' is not one of the choices" in message
    assert table_dump(factory) == before


def test_stale_grid_save_is_refused(factory, project_id):
    with factory() as s:
        table = editor_table(session=s, spec=TASKS, scope_id=project_id)
    with factory.begin() as s:  # someone else edits row 1 meanwhile
        repo.update(session=s, model=Task, row_id=table.ids[0], values={"name": "Theirs"})
    with pytest.raises(StaleEditError), factory.begin() as s:
        apply_changes(session=s, spec=TASKS, scope_id=project_id, ids=table.ids, versions=table.versions,
                      changes={"edited_rows": {"0": {"name": "Mine"}}})


def test_projects_and_milestones_grids(factory, workspace_id, project_id):
    _apply(factory, PROJECTS, workspace_id, {"added_rows": [{"name": "Go to market", "phase": "market-expansion",
                                                             "start_date": "2026-03-01"}]})
    _apply(factory, MILESTONES, project_id, {"edited_rows": {"0": {"status": "done", "due_date": "2026-02-01"}}})
    with factory() as s:
        assert [p.name for p in repo.list_rows(session=s, model=Project, workspace_id=workspace_id)] == [
            "Model", "Go to market"]
        assert repo.list_rows(session=s, model=Milestone, workspace_id=workspace_id)[0].status == "done"


def test_people_with_the_same_name_stay_distinct_choices(factory, workspace_id, project_id):
    with factory.begin() as s:
        twin = repo.create(session=s, model=Person, values={"workspace_id": workspace_id, "name": "Ada"}).id
    with factory() as s:
        table = editor_table(session=s, spec=TASKS, scope_id=project_id)
    assert len(table.options["assignee"]) == 2 and f"Ada (#{twin})" in table.options["assignee"]
    _apply(factory, TASKS, project_id, {"edited_rows": {"0": {"assignee": f"Ada (#{twin})"}}})
    with factory() as s:
        assert repo.list_rows(session=s, model=Task, workspace_id=workspace_id)[0].assignee_id == twin
        assert editor_table(session=s, spec=TASKS, scope_id=project_id).rows.loc[0, "assignee"] == f"Ada (#{twin})"


def test_pending_changes_counts_what_a_save_would_do():
    pending = pending_changes({"edited_rows": {"0": {"name": "x"}, "2": {"status": "done"}},
                               "added_rows": [{"name": "New"}, {}], "deleted_rows": [1]})
    assert (pending.updated, pending.created, pending.deleted, pending.total) == (2, 1, 1, 4)
    assert pending.describe() == "2 changed, 1 added, 1 deleted"
    assert pending_changes({}).total == 0


# --- a task's parent (summary task) ------------------------------------------------------------------

def _tasks(factory, workspace_id) -> dict[str, Task]:
    with factory() as s:
        return {t.name: t for t in repo.list_rows(session=s, model=Task, workspace_id=workspace_id)}


def test_parent_choices_are_this_projects_tasks_with_summaries_first(factory, workspace_id, project_id):
    with factory.begin() as s:
        repo.create(session=s, model=Task, values={"project_id": project_id, "name": "Phase 1", "kind": "summary"})
        other = repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": "Other"}).id
        repo.create(session=s, model=Task, values={"project_id": other, "name": "Elsewhere", "kind": "summary"})
    with factory() as s:
        table = editor_table(session=s, spec=TASKS, scope_id=project_id)
    assert table.options["parent"] == ["Phase 1", "Collect", "Train"]


def test_setting_a_parent_in_the_grid_stores_it_and_shows_it_by_name(factory, workspace_id, project_id):
    _apply(factory, TASKS, project_id, {"added_rows": [{"name": "Phase 1", "kind": "summary"}]})
    _apply(factory, TASKS, project_id, {"edited_rows": {"0": {"parent": "Phase 1"}, "1": {"parent": "Phase 1"}}})
    tasks = _tasks(factory, workspace_id)
    assert tasks["Collect"].parent_id == tasks["Train"].parent_id == tasks["Phase 1"].id
    with factory() as s:
        rows = editor_table(session=s, spec=TASKS, scope_id=project_id).rows
    assert rows["parent"].tolist()[:2] == ["Phase 1", "Phase 1"] and pd.isna(rows.loc[2, "parent"])
    _apply(factory, TASKS, project_id, {"edited_rows": {"0": {"parent": None}}})
    assert _tasks(factory, workspace_id)["Collect"].parent_id is None


def test_a_parent_that_makes_a_loop_is_refused_naming_the_row(factory, workspace_id, project_id):
    _apply(factory, TASKS, project_id, {"edited_rows": {"0": {"parent": "Train"}}})  # Collect under Train
    before = table_dump(factory)
    with pytest.raises(ValidationError) as info:
        _apply(factory, TASKS, project_id, {"edited_rows": {"1": {"parent": "Collect"}, "0": {"name": "Collect 2"}}})
    assert str(info.value) == "task row 2: 'parent' 'Collect' would make the task its own ancestor"
    with pytest.raises(ValidationError) as info:
        _apply(factory, TASKS, project_id, {"edited_rows": {"1": {"parent": "Train"}}})
    assert str(info.value) == "task row 2: 'parent' 'Train' would make the task its own ancestor"
    assert table_dump(factory) == before


def test_a_parent_in_another_project_is_refused_naming_the_row(factory, workspace_id, project_id):
    with factory.begin() as s:
        other = repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": "Other"}).id
        repo.create(session=s, model=Task, values={"project_id": other, "name": "Elsewhere", "kind": "summary"})
    before = table_dump(factory)
    with pytest.raises(ValidationError) as info:
        _apply(factory, TASKS, project_id, {"edited_rows": {"1": {"parent": "Elsewhere"}},
                                            "added_rows": [{"name": "New", "parent": "Nowhere"}]})
    assert str(info.value).splitlines() == [
        "task row 2: 'parent' 'Elsewhere' is a task of another project; pick one of this project's",
        "task row 3: 'parent' 'Nowhere' is not one of the choices"]
    assert table_dump(factory) == before
