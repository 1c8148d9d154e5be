"""Every create, update, delete and restore leaves one history row with before/after values."""

from __future__ import annotations

import pytest

from db import repo
from db.models import Project, Task
from db.validation import ValidationError

pytestmark = pytest.mark.db


def test_history_records_who_what_and_the_values_before_and_after(factory, workspace_id):
    with factory.begin() as s:
        s.info["actor"] = "mei"
        project_id = repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": "P"}).id
        task_id = repo.create(session=s, model=Task, values={"project_id": project_id, "name": "Draft"}).id
    with factory.begin() as s:
        s.info["actor"] = "arjun"
        repo.update(session=s, model=Task, row_id=task_id, values={"name": "Final", "percent_done": 40})
    with factory.begin() as s:
        repo.soft_delete(session=s, model=Task, row_id=task_id)
    with factory.begin() as s:
        repo.restore(session=s, model=Task, row_id=task_id)
    with factory() as s:
        log = list(reversed(repo.history(session=s, workspace_id=workspace_id, table_name="task", row_id=task_id)))
    assert [e.action for e in log] == ["create", "update", "delete", "restore"]
    create, update, delete, restore = log
    assert create.actor == "mei" and create.before is None and create.after["name"] == "Draft"
    assert update.actor == "arjun"
    assert (update.before["name"], update.after["name"]) == ("Draft", "Final")
    assert (update.before["percent_done"], update.after["percent_done"]) == (0.0, 40.0)
    assert delete.before["deleted_at"] is None and delete.after["deleted_at"] is not None
    assert restore.after["deleted_at"] is None
    assert all(e.workspace_id == workspace_id for e in log)


def test_a_refused_change_leaves_no_history(factory, workspace_id):
    with factory() as s:
        before = len(repo.history(session=s, workspace_id=workspace_id))
    with pytest.raises(ValidationError), factory.begin() as s:
        repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": ""})
    with factory() as s:
        assert len(repo.history(session=s, workspace_id=workspace_id)) == before


def test_rolled_back_transaction_leaves_no_history(factory, workspace_id):
    with factory() as s:
        before = len(repo.history(session=s, workspace_id=workspace_id))
    s = factory()
    repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": "Rolled back"})
    s.rollback()
    s.close()
    with factory() as s:
        assert len(repo.history(session=s, workspace_id=workspace_id)) == before


def test_an_update_that_changes_nothing_records_nothing(factory, workspace_id):
    with factory.begin() as s:
        project_id = repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": "P"}).id
    with factory.begin() as s:
        repo.update(session=s, model=Project, row_id=project_id, values={"name": "P"})
    with factory() as s:
        assert [e.action for e in repo.history(session=s, workspace_id=workspace_id, table_name="project")] == [
            "create"]
