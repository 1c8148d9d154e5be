"""The allocations sheet: task, person or GPU pool, hours or GPUs per week; round trips and all-or-nothing checks."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from db import repo
from db.demo import create_demo_workspace
from db.io import tabular
from db.io.export_rows import sheet_rows
from db.io.sheets import SHEETS
from db.models import Allocation, ComputeResource, Person, Task
from db.transaction import transaction
from db.validation import ValidationError
from tests.helpers import table_dump

pytestmark = pytest.mark.db
HEADER = "task,person,gpu_pool,hours_per_week,gpu_count\n"


@pytest.fixture
def demo(factory):
    """The demo workspace plus an allocation of a person and a GPU pool together, and one whose person left."""
    with factory.begin() as s:
        ws = create_demo_workspace(session=s, today=date(2026, 11, 25), name="Demo").id
        task = repo.list_rows(session=s, model=Task, workspace_id=ws)[4]
        person = repo.list_rows(session=s, model=Person, workspace_id=ws)[0]
        pool = repo.list_rows(session=s, model=ComputeResource, workspace_id=ws)[0]
        repo.create(session=s, model=Allocation, values={"task_id": task.id, "person_id": person.id,
                                                         "compute_resource_id": pool.id, "hours_per_week": 12.5,
                                                         "gpu_count": 4})
        leaver = repo.create(session=s, model=Person, values={"workspace_id": ws, "name": "Leaver"})
        repo.create(session=s, model=Allocation, values={"task_id": task.id, "person_id": leaver.id,
                                                         "hours_per_week": 10})
        repo.soft_delete(session=s, model=Person, row_id=leaver.id)
    return ws


def _new_workspace(factory, name="Copy") -> int:
    with factory.begin() as s:
        return repo.create_workspace(session=s, name=name).id


def _allocations(factory, ws: int) -> list[dict]:
    with factory() as s:
        return sheet_rows(session=s, workspace_id=ws, sheet="allocations")


def _import(factory, ws, data, fmt="csv", sheet="allocations"):
    with transaction(factory, actor="import") as s:
        return tabular.import_file(session=s, workspace_id=ws, data=data, fmt=fmt, sheet=sheet)


def test_the_export_names_the_task_and_the_person_or_gpu_pool(factory, demo):
    rows = _allocations(factory, demo)
    with factory() as s:
        live = len(repo.list_rows(session=s, model=Allocation, workspace_id=demo))
    assert len(rows) == live - 1  # the allocation of the deleted person, alone, loads nothing and is left out
    assert {"hours", "gpus", "both"} <= {("both" if r["person"] and r["gpu_pool"] else
                                          "hours" if r["person"] else "gpus") for r in rows}
    assert list(rows[0]) == list(SHEETS["allocations"].columns)
    assert all(r["task"] for r in rows)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_then_import_gives_identical_allocation_rows(factory, demo, fmt):
    copy = _new_workspace(factory)
    with factory() as s:
        if fmt == "xlsx":
            files = [(tabular.export_excel(session=s, workspace_id=demo), None)]
        else:
            files = [(tabular.export_csv(session=s, workspace_id=demo, sheet=n), n) for n in SHEETS]
    for data, sheet in files:
        _import(factory, copy, data, fmt=fmt, sheet=sheet)
    original = _allocations(factory, demo)
    assert len(original) > 40 and _allocations(factory, copy) == original


def test_a_single_csv_links_to_the_workspace_tasks_people_and_pools(factory, demo):
    copy = _new_workspace(factory)
    with factory() as s:
        book = tabular.export_excel(session=s, workspace_id=demo, sheets=("people", "compute", "projects", "tasks"))
    _import(factory, copy, book, fmt="xlsx")
    task, person = _allocations(factory, demo)[0]["task"], _allocations(factory, demo)[0]["person"]
    pool = next(r["gpu_pool"] for r in _allocations(factory, demo) if r["gpu_pool"])
    out = io.StringIO()
    csv.writer(out).writerows([HEADER.strip().split(","), [task, person, "", 20, ""], [task, "", pool, "", 2.5]])
    result = _import(factory, copy, out.getvalue().encode())
    assert result.counts == {"allocations": 2}
    assert [(r["person"], r["gpu_pool"], r["hours_per_week"], r["gpu_count"]) for r in _allocations(factory, copy)
            ] == [(person, None, 20.0, 0.0), (None, pool, 0.0, 2.5)]


MALFORMED = [
    ("neither person nor pool", "Train,,,20,\n", "allocations row 2: 'person' or 'gpu_pool' is required"),
    ("unknown task", "Nope,Ada,,20,\n", "allocations row 2: 'task' no task is called 'Nope'"),
    ("unknown person", "Train,Nobody,,20,\n", "allocations row 2: 'person' no person is called 'Nobody'"),
    ("unknown pool", "Train,,Ghost pod,,4\n", "allocations row 2: 'gpu_pool' no GPU pool is called 'Ghost pod'"),
    ("too many hours", "Train,Ada,,200,\n", "allocations row 2: 'hours_per_week'"),
    ("negative GPUs", "Train,,Pod,,-1\n", "allocations row 2: 'gpu_count'"),
    ("text hours", "Train,Ada,,full time,\n", "allocations row 2: 'hours_per_week' must be a number"),
    ("no task", ",Ada,,20,\n", "allocations row 2: 'task' is required"),
]


@pytest.mark.parametrize(("case", "body", "message"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_bad_allocation_row_refuses_the_whole_file(factory, workspace_id, case, body, message):
    with factory.begin() as s:
        repo.create(session=s, model=Person, values={"workspace_id": workspace_id, "name": "Ada"})
        repo.create(session=s, model=ComputeResource, values={"workspace_id": workspace_id, "name": "Pod",
                                                              "gpu_type": "H100"})
    _import(factory, workspace_id, b"id,project,name\n1,P,Train\n", sheet="tasks")
    before = table_dump(factory)
    data = (HEADER + "Train,Ada,,10,\n" + body).encode()  # a good first row: nothing of it may be written either
    with pytest.raises(ValidationError) as refused:
        _import(factory, workspace_id, data)
    assert message.replace("row 2", "row 3") in str(refused.value), str(refused.value)
    assert table_dump(factory) == before
