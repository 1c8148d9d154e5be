"""A link moved to other tasks, or a row brought back from the bin, obeys the rules a new row obeys."""

from __future__ import annotations

import itertools

import pytest

from db import repo
from db.models import CostScenario, Project, Task, TaskDependency, Workspace
from db.validation import ValidationError
from tests.helpers import table_dump

pytestmark = pytest.mark.db


def _chain(factory, workspace_id, *names):
    """Tasks ``names`` in one project, linked a → b → c …; returns (task ids, link ids)."""
    with factory.begin() as s:
        project = repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": "P"}).id
        tasks = [repo.create(session=s, model=Task, values={"project_id": project, "name": n}).id for n in names]
        links = [repo.create(session=s, model=TaskDependency, values={"predecessor_id": a, "successor_id": b}).id
                 for a, b in itertools.pairwise(tasks)]
    return tasks, links


def test_moving_a_link_so_it_closes_a_loop_is_refused_and_the_link_stays_put(factory, workspace_id):
    (a, _b, c), (_ab, _bc) = _chain(factory, workspace_id, "Data", "Train", "Eval")
    with factory.begin() as s:  # add an extra link a → c, then try to turn it into c → a
        ac = repo.create(session=s, model=TaskDependency, values={"predecessor_id": a, "successor_id": c}).id
    before = table_dump(factory)
    # The caller catches the refusal and commits: nothing may have changed.
    with factory.begin() as s, pytest.raises(ValidationError) as info:
        repo.update(session=s, model=TaskDependency, row_id=ac, values={"predecessor_id": c, "successor_id": a})
    assert "would create a cycle" in str(info.value) and "'Data'" in str(info.value)
    assert table_dump(factory) == before


def test_moving_a_link_onto_an_existing_pair_is_refused(factory, workspace_id):
    (a, b, _c), (_ab, bc) = _chain(factory, workspace_id, "Data", "Train", "Eval")
    with pytest.raises(ValidationError, match="already depends"), factory.begin() as s:
        repo.update(session=s, model=TaskDependency, row_id=bc, values={"predecessor_id": a, "successor_id": b})


def test_moving_a_link_to_other_tasks_without_a_loop_is_saved(factory, workspace_id):
    (a, _b, c), (_ab, bc) = _chain(factory, workspace_id, "Data", "Train", "Eval")
    with factory.begin() as s:
        repo.update(session=s, model=TaskDependency, row_id=bc, values={"predecessor_id": a})
    with factory() as s:
        assert (s.get(TaskDependency, bc).predecessor_id, s.get(TaskDependency, bc).successor_id) == (a, c)


def test_restoring_a_link_that_would_now_close_a_loop_is_refused(factory, workspace_id):
    (a, b), (ab,) = _chain(factory, workspace_id, "Data", "Train")
    with factory.begin() as s:
        repo.soft_delete(session=s, model=TaskDependency, row_id=ab)
        repo.create(session=s, model=TaskDependency, values={"predecessor_id": b, "successor_id": a})
    before = table_dump(factory)
    with pytest.raises(ValidationError, match="would create a cycle"), factory.begin() as s:
        repo.restore(session=s, model=TaskDependency, row_id=ab)
    assert table_dump(factory) == before


def test_a_restored_task_leaves_links_to_a_still_deleted_task_in_the_bin(factory, workspace_id):
    (_a, b, c), (ab, bc) = _chain(factory, workspace_id, "Data", "Train", "Eval")
    with factory.begin() as s:
        repo.soft_delete(session=s, model=Task, row_id=c)  # hides link b → c with it
        repo.soft_delete(session=s, model=Task, row_id=b)  # hides link a → b with it
    with factory.begin() as s:
        back = repo.restore(session=s, model=Task, row_id=b)
    assert [type(r).__name__ for r in back] == ["Task", "TaskDependency"]
    with factory() as s:
        assert s.get(TaskDependency, ab).deleted_at is None
        assert s.get(TaskDependency, bc).deleted_at is not None  # its task 'Eval' is still deleted


def test_restoring_a_row_whose_unique_name_was_taken_meanwhile_is_refused(factory, workspace_id):
    with factory.begin() as s:
        first = repo.create(session=s, model=CostScenario, values={"workspace_id": workspace_id, "name": "Base"}).id
        repo.soft_delete(session=s, model=CostScenario, row_id=first)
        repo.create(session=s, model=CostScenario, values={"workspace_id": workspace_id, "name": "Base"})
        other = repo.create_workspace(session=s, name="Other Co").id
        repo.soft_delete(session=s, model=Workspace, row_id=other)
        repo.create_workspace(session=s, name="Other Co")
    before = table_dump(factory)
    for model, row_id, name in ((CostScenario, first, "'Base'"), (Workspace, other, "'Other Co'")):
        with pytest.raises(ValidationError) as info, factory.begin() as s:
            repo.restore(session=s, model=model, row_id=row_id)
        assert name in str(info.value) and "rename that one first" in str(info.value)
    assert table_dump(factory) == before


def test_adding_back_a_deleted_link_revives_it_with_the_new_type_and_lag(factory, workspace_id):
    (a, b), (ab,) = _chain(factory, workspace_id, "Data", "Train")
    with factory.begin() as s:
        repo.soft_delete(session=s, model=TaskDependency, row_id=ab)
        again = repo.create(session=s, model=TaskDependency,
                            values={"predecessor_id": a, "successor_id": b, "kind": "SS", "lag_days": 2}).id
    assert again == ab
    with factory() as s:
        link = s.get(TaskDependency, ab)
        assert (link.deleted_at, link.kind, link.lag_days) == (None, "SS", 2.0)
