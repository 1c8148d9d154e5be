"""Labels of the "History of this row" picker: every table the Projects and Resources pages offer."""

from __future__ import annotations

from datetime import date

import pytest

from db import repo
from db.models import (
    Allocation,
    ComputeResource,
    GpuReservation,
    Milestone,
    Person,
    Project,
    Risk,
    RiskTaskLink,
    Task,
    TaskDependency,
)
from db.row_history import row_changes, row_labels

pytestmark = pytest.mark.db


@pytest.fixture
def plan(factory, workspace_id):
    with factory.begin() as s:
        ws = {"workspace_id": workspace_id}
        ada = repo.create(session=s, model=Person, values={**ws, "name": "Ada"}).id
        pool = repo.create(session=s, model=ComputeResource, values={**ws, "name": "Pod", "gpu_type": "H100"}).id
        project = repo.create(session=s, model=Project, values={**ws, "name": "Model"}).id
        milestone = repo.create(session=s, model=Milestone, values={"project_id": project, "name": "Beta"}).id
        tune = repo.create(session=s, model=Task, values={"project_id": project, "name": "Tune"}).id
        ship = repo.create(session=s, model=Task, values={"project_id": project, "name": "Ship"}).id
        gone = repo.create(session=s, model=Task, values={"project_id": project, "name": "Dropped"}).id
        link = repo.create(session=s, model=TaskDependency, values={"predecessor_id": tune, "successor_id": ship,
                                                                    "kind": "SS", "lag_days": 2}).id
        people = repo.create(session=s, model=Allocation, values={"task_id": tune, "person_id": ada,
                                                                  "hours_per_week": 20}).id
        gpus = repo.create(session=s, model=Allocation, values={"task_id": ship, "compute_resource_id": pool,
                                                                "gpu_count": 8}).id
        reservation = repo.create(session=s, model=GpuReservation, values={
            **ws, "gpu_type": "H100", "count": 8, "start_date": date(2027, 1, 4), "end_date": date(2027, 1, 31),
            "provider": "Lambda"}).id
        risk = repo.create(session=s, model=Risk, values={**ws, "title": "GPU shortage", "category": "technical"}).id
        risk_link = repo.create(session=s, model=RiskTaskLink, values={"risk_id": risk, "task_id": ship}).id
        repo.soft_delete(session=s, model=Task, row_id=gone)
    return locals()


def test_named_rows_show_their_name_and_tasks_their_project(factory, workspace_id, plan):
    with factory() as s:
        labels = {t: row_labels(session=s, workspace_id=workspace_id, table_name=t)
                  for t in ("person", "compute_resource", "project", "milestone", "task", "risk")}
    assert labels["person"] == {plan["ada"]: "Ada"}
    assert labels["compute_resource"] == {plan["pool"]: "Pod"}
    assert labels["milestone"] == {plan["milestone"]: "Model › Beta"}
    assert labels["task"] == {plan["tune"]: "Model › Tune", plan["ship"]: "Model › Ship"}  # the deleted one is not
    assert labels["risk"] == {plan["risk"]: "GPU shortage"}


def test_link_rows_show_what_they_connect(factory, workspace_id, plan):
    with factory() as s:
        def labels(table: str) -> dict[int, str]:
            return row_labels(session=s, workspace_id=workspace_id, table_name=table)

        assert labels("task_dependency") == {plan["link"]: "Model › Tune → Model › Ship (SS+2)"}
        assert labels("allocation") == {plan["people"]: "Model › Tune ← Ada (20 h/week)",
                                        plan["gpus"]: "Model › Ship ← Pod (8 GPUs)"}
        assert labels("gpu_reservation") == {plan["reservation"]: "8 × H100, 2027-01-04 to 2027-01-31 (Lambda)"}
        assert labels("risk_task") == {plan["risk_link"]: "GPU shortage → Model › Ship"}


def test_an_unknown_table_is_refused_in_words(factory, workspace_id):
    with factory() as s, pytest.raises(ValueError, match="'nope' is not a tracked table"):
        row_labels(session=s, workspace_id=workspace_id, table_name="nope")


def test_an_allocation_edit_is_in_its_row_history_with_the_task_named(factory, workspace_id, plan):
    with factory.begin() as s:
        repo.update(session=s, model=Allocation, row_id=plan["people"], values={"hours_per_week": 30})
    with factory() as s:
        changes = row_changes(session=s, workspace_id=workspace_id, table_name="allocation", row_id=plan["people"])
    assert changes[changes["action"] == "update"][["field", "before", "after"]].values.tolist() == [
        ["hours_per_week", "20.0", "30.0"]]
    created = changes[changes["action"] == "create"].set_index("field")["after"]
    assert created["task_id"] == f"Tune (#{plan['tune']})"
