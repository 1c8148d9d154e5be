"""The Resources page in AppTest: over-allocation, levelling preview with Apply/Discard, GPU forms, grids."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from db import repo
from db.models import Allocation, ComputeResource, GpuReservation, Person, Task
from db.resource_grids import ALLOCATIONS, PEOPLE, save_grid
from db.validation import ValidationError
from tests.helpers import open_page

pytestmark = pytest.mark.usefixtures("navigation_only")
PAGE = "pages/resources.py"


def _open(workspace_id: int) -> AppTest:
    return open_page(PAGE, workspace_id, timeout=90)


def _task_dates(factory, workspace_id: int) -> dict[int, tuple]:
    with factory() as s:
        return {t.id: (t.start_date, t.end_date, t.version)
                for t in repo.list_rows(session=s, model=Task, workspace_id=workspace_id)}


def _frames(at: AppTest) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe]


def test_demo_flags_the_over_allocated_weeks_and_names_the_tasks(app_db):
    at = _open(app_db["demo"])
    assert at.title[0].value == "Resources"
    over = next(f for f in _frames(at) if "tasks" in f.columns and "excess" in f.columns)
    sofia = over[over["resource"] == "Sofia Marquez"]
    assert not sofia.empty and sofia["tasks"].str.contains("Develop the product features").all()
    assert "not fully covered by a reservation" in " ".join(w.value for w in at.warning)


def test_levelling_preview_then_apply_moves_the_tasks(app_db):
    factory, ws = app_db["factory"], app_db["demo"]
    before = _task_dates(factory, ws)
    at = _open(ws)
    at.button(key="levelling_suggest").click().run()
    assert not at.exception
    assert [m.label for m in at.metric][-4:] == ["Tasks moved", "Critical tasks moved", "Finish delay",
                                                 "Over-allocation left"]
    assert _task_dates(factory, ws) == before, "a preview writes nothing"
    moves = next(f for f in _frames(at) if "new_start" in f.columns)
    at.button(key="levelling_apply").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    after = _task_dates(factory, ws)
    for task_id, row in moves.iterrows():
        assert after[task_id][:2] == (row["new_start"], row["new_end"])
    assert all(after[t] == before[t] for t in before if t not in moves.index)
    assert "Tasks moved" not in [m.label for m in at.metric]  # the applied preview is gone
    over = [f for f in _frames(at) if "excess" in f.columns]
    assert not over or "Sofia Marquez" not in set(over[0]["resource"])


def test_levelling_discard_writes_nothing(app_db):
    factory, ws = app_db["factory"], app_db["demo"]
    before = _task_dates(factory, ws)
    at = _open(ws)
    at.button(key="levelling_suggest").click().run()
    at.button(key="levelling_discard").click().run()
    assert not at.exception and _task_dates(factory, ws) == before
    assert "Tasks moved" not in [m.label for m in at.metric]


def test_applying_a_stale_preview_is_refused_and_writes_nothing(app_db):
    factory, ws = app_db["factory"], app_db["demo"]
    at = _open(ws)
    at.button(key="levelling_suggest").click().run()
    moved = next(f for f in _frames(at) if "new_start" in f.columns).index[0]
    with factory.begin() as s:  # someone edits a task the preview moves
        repo.update(session=s, model=Task, row_id=int(moved), values={"percent_done": 5})
    before = _task_dates(factory, ws)
    at.button(key="levelling_apply").click().run()
    assert "changed by someone else" in at.error[0].value.replace("\\", "")
    assert _task_dates(factory, ws) == before


def test_gpu_pool_form_offers_the_catalogue_and_writes_the_pool(app_db):
    # The select also accepts typed text (accept_new_options); AppTest can only pick listed options, so the
    # free-text path is covered by the workspace's own types being offered (next test) and by the grid.
    ws = app_db["empty"]
    at = _open(ws)
    at.segmented_control(key="resources_grid").set_value("Compute").run()
    assert "NVIDIA H100 SXM 80GB" in at.selectbox(key="pool_gpu_type").options
    at.text_input(key="pool_name").input("Bench rig")
    at.selectbox(key="pool_gpu_type").set_value("NVIDIA L4 24GB")
    at.number_input(key="pool_rate").set_value(0.4)
    at.button(key="FormSubmitter:add_gpu_pool-Add GPU pool").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with app_db["factory"]() as s:
        pools = repo.list_rows(session=s, model=ComputeResource, workspace_id=ws)
    assert [(p.name, p.gpu_type, p.hourly_rate_usd) for p in pools] == [("Bench rig", "NVIDIA L4 24GB", 0.4)]


def test_gpu_types_typed_before_are_offered_next_to_the_catalogue(app_db):
    at = _open(app_db["demo"])
    at.segmented_control(key="resources_grid").set_value("GPU reservations").run()
    options = at.selectbox(key="reservation_gpu_type").options
    assert "H100 SXM 80GB" in options and "NVIDIA H200 SXM 141GB" in options  # the demo's own name, the catalogue


def test_reservation_without_dates_is_refused_naming_the_field(app_db):
    ws = app_db["empty"]
    at = _open(ws)
    at.segmented_control(key="resources_grid").set_value("GPU reservations").run()
    at.selectbox(key="reservation_gpu_type").set_value("NVIDIA H100 SXM 80GB")
    at.button(key="FormSubmitter:add_reservation-Reserve").click().run()
    assert "'start_date' is required" in at.error[0].value.replace("\\", "")
    with app_db["factory"]() as s:
        assert repo.list_rows(session=s, model=GpuReservation, workspace_id=ws) == []


def test_empty_workspace_says_what_is_missing(app_db):
    at = _open(app_db["empty"])
    captions = " ".join(c.value for c in at.caption)
    assert "No allocations in these weeks yet" in captions and "No task needs GPUs yet" in captions
    assert at.metric[0].value == "0"


@pytest.mark.parametrize("grid", ["People", "Compute", "Budget lines", "Funding rounds", "GPU reservations",
                                  "Allocations"])
def test_every_grid_renders_on_the_demo(app_db, grid):
    at = _open(app_db["demo"])
    at.segmented_control(key="resources_grid").set_value(grid).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.button(key=f"save_{grid}") is not None


# --- the grids' save path (the data editor's change set is not settable from AppTest) ----------------

def test_people_grid_save_updates_and_adds_through_the_repository(app_db):
    factory, ws = app_db["factory"], app_db["empty"]
    with factory.begin() as s:
        repo.create(session=s, model=Person, values={"workspace_id": ws, "name": "Ana"})
    from db.editing import editor_table

    with factory() as s:
        table = editor_table(session=s, spec=PEOPLE, scope_id=ws)
    changes = {"edited_rows": {0: {"weekly_capacity_hours": 32}},
               "added_rows": [{"name": "Ben", "role": "ML engineer", "monthly_cost_usd": 12000}]}
    with factory.begin() as s:
        result = save_grid(session=s, spec=PEOPLE, workspace_id=ws, rows=table.rows, ids=table.ids,
                           versions=table.versions, changes=changes)
    assert (result.updated, result.created) == (1, 1)
    with factory() as s:
        people = repo.list_rows(session=s, model=Person, workspace_id=ws)
    assert [(p.name, p.weekly_capacity_hours) for p in people] == [("Ana", 32.0), ("Ben", 40.0)]


def test_an_allocation_with_neither_person_nor_gpu_pool_is_refused_naming_the_row(app_db):
    factory, ws = app_db["factory"], app_db["demo"]
    from db.editing import editor_table

    with factory() as s:
        table = editor_table(session=s, spec=ALLOCATIONS, scope_id=ws)
        count = len(repo.list_rows(session=s, model=Allocation, workspace_id=ws))
    task = table.options["task"][0]
    changes = {"added_rows": [{"task": task, "hours_per_week": 10}, {"task": task, "person": table.options[
        "person"][0], "hours_per_week": 10}], "edited_rows": {0: {"person": None}}}
    with pytest.raises(ValidationError) as refused, factory.begin() as s:
        save_grid(session=s, spec=ALLOCATIONS, workspace_id=ws, rows=table.rows, ids=table.ids,
                  versions=table.versions, changes=changes)
    rows = sorted(e.row for e in refused.value.errors)
    assert rows == [1, len(table.rows) + 1]
    with factory() as s:
        assert len(repo.list_rows(session=s, model=Allocation, workspace_id=ws)) == count


def test_a_person_edited_in_the_grid_shows_the_change_in_the_row_history(app_db):
    factory, ws = app_db["factory"], app_db["empty"]
    with factory.begin() as s:
        ana = repo.create(session=s, model=Person, values={"workspace_id": ws, "name": "Ana"}).id
    at = _open(ws)
    # AppTest cannot type into a data editor; it takes the editor's change set through the session state.
    at.session_state[f"grid_People_{ws}_0"] = {"edited_rows": {"0": {"weekly_capacity_hours": 32}},
                                               "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="save_People").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.selectbox(key="resources_history_table").set_value("People").run()
    assert at.selectbox(key="resources_history_row_person").options == ["Ana"]
    history = next(d.value for d in at.dataframe if "field" in d.value.columns)
    update = history[history["action"] == "update"]
    assert update[["field", "before", "after"]].values.tolist() == [["weekly_capacity_hours", "40.0", "32.0"]]
    with factory() as s:
        assert repo.get(session=s, model=Person, row_id=ana).weekly_capacity_hours == 32
