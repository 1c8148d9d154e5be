"""The Projects page in AppTest: grid edits seen in the row history, restore of any deleted row by table and page."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from db import repo
from db.models import Project, Task
from tests.helpers import open_page

pytestmark = pytest.mark.usefixtures("navigation_only")
PAGE = "pages/projects.py"


def _open(workspace_id: int) -> AppTest:
    return open_page(PAGE, workspace_id)


def _project_with_tasks(factory, workspace_id: int, names: list[str]) -> tuple[int, list[int]]:
    with factory.begin() as s:
        project = repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": "Model"}).id
        tasks = [repo.create(session=s, model=Task, values={"project_id": project, "name": n, "likely_days": 5}).id
                 for n in names]
    return project, tasks


def _row_history(at: AppTest):
    return next(d.value for d in at.dataframe if "field" in d.value.columns)


def test_a_task_edited_in_the_grid_shows_the_change_in_its_row_history(app_db):
    factory, ws = app_db["factory"], app_db["empty"]
    project, (collect, _train) = _project_with_tasks(factory, ws, ["Collect data", "Train"])
    at = _open(ws)
    # AppTest cannot type into a data editor; it takes the editor's change set through the session state.
    at.session_state[f"tasks_{project}_0"] = {"edited_rows": {"0": {"likely_days": 8}}, "added_rows": [],
                                              "deleted_rows": []}
    at.run()
    at.button(key="tasks_save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with factory() as s:
        assert repo.get(session=s, model=Task, row_id=collect).likely_days == 8
    at.selectbox(key="projects_history_table").set_value("Tasks").run()
    rows = at.selectbox(key="projects_history_row_task")
    assert rows.options == ["Model › Collect data", "Model › Train"]
    rows.set_value(collect).run()
    assert not at.exception
    history = _row_history(at)
    update = history[history["action"] == "update"]
    assert update[["field", "before", "after"]].values.tolist() == [["likely_days", "5.0", "8.0"]]
    assert set(history["action"]) == {"create", "update"}


def test_the_25th_deleted_row_is_on_page_two_and_can_be_restored(app_db):
    factory, ws = app_db["factory"], app_db["empty"]
    _project, tasks = _project_with_tasks(factory, ws, [f"Task {i:02d}" for i in range(30)])
    for task_id in tasks:  # one at a time, oldest first, so the newest deletion is the last task
        with factory.begin() as s:
            repo.soft_delete(session=s, model=Task, row_id=task_id)
    target = tasks[-25]  # the 25th newest deleted row
    at = _open(ws)
    assert at.button(key=f"restore_task_{tasks[-1]}") is not None
    assert not any(b.key == f"restore_task_{target}" for b in at.button)
    at.selectbox(key="deleted_table").set_value("task").run()
    at.number_input(key="deleted_page_task_2").set_value(2).run()
    assert "Rows 21–30 of 30, newest first." in [c.value for c in at.caption]
    at.button(key=f"restore_task_{target}").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with factory() as s:
        assert [t.id for t in repo.list_rows(session=s, model=Task, workspace_id=ws)] == [target]


def test_the_deleted_rows_can_be_narrowed_to_one_table(app_db):
    factory, ws = app_db["factory"], app_db["empty"]
    project, tasks = _project_with_tasks(factory, ws, ["A", "B"])
    with factory.begin() as s:
        repo.soft_delete(session=s, model=Task, row_id=tasks[0])
    with factory.begin() as s:
        repo.soft_delete(session=s, model=Project, row_id=project)  # hides task B with it
    at = _open(ws)
    table = at.selectbox(key="deleted_table")
    assert table.options == ["All tables (3)", "project (1)", "task (2)"]
    table.set_value("project").run()
    assert [b.key for b in at.button if b.key and b.key.startswith("restore_")] == [f"restore_project_{project}"]
