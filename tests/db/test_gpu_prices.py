"""A workspace's own GPU prices per provider and kind: validation naming row and field, all-or-nothing grid
saves, history, restore and the JSON backup."""

from __future__ import annotations

import pytest

from analytics.compute_report import CostRequest
from analytics.gpu_catalogue import price_range, price_table
from db import repo
from db.cost_scenarios import add_gpu
from db.gpu_prices import add_price, delete_price, price_frame, save_price_grid, update_price
from db.io import backup
from db.models import GpuPrice
from db.transaction import transaction
from db.validation import StaleEditError, ValidationError
from db.views_compute import compute_cost

pytestmark = pytest.mark.db

DEAL = {"gpu": "h100-sxm", "provider": "coreweave", "kind": "reserved", "usd_per_gpu_hour": 1.85,
        "source": "our 1-year contract", "as_of": "2026-11-20"}
CHIP = {"gpu": "my-asic", "name": "Our ASIC", "bf16_tflops": 400.0, "memory_gb": 64.0, "bandwidth_tbs": 2.0,
        "source": "vendor quote", "as_of": "2026-11"}


def _add(factory, workspace_id, **change) -> int:
    with transaction(factory, actor="t") as s:
        return add_price(session=s, workspace_id=workspace_id, values={**DEAL, **change}).id


def _frame(factory, workspace_id):
    with factory() as s:
        return price_frame(session=s, workspace_id=workspace_id)


def test_a_price_row_is_stored_logged_and_read_back(factory, workspace_id):
    row_id = _add(factory, workspace_id)
    frame = _frame(factory, workspace_id)
    assert frame[["gpu", "provider", "kind", "usd_per_gpu_hour", "source", "as_of"]].to_dict("records") == [DEAL]
    assert frame["id"].tolist() == [row_id] and frame["version"].tolist() == [1]
    with factory() as s:
        logged = repo.history(session=s, workspace_id=workspace_id, table_name="gpu_price")
    assert [e.action for e in logged] == ["create"] and logged[0].after["usd_per_gpu_hour"] == 1.85


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"kind": "monthly"}, "kind", "must be one of on_demand, reserved, spot"),
    ({"usd_per_gpu_hour": 0.0}, "usd_per_gpu_hour", "greater than 0"),
    ({"usd_per_gpu_hour": -2.0}, "usd_per_gpu_hour", "greater than 0"),
    ({"usd_per_gpu_hour": "0"}, "usd_per_gpu_hour", "greater than 0"),
    ({"source": ""}, "source", "must not be empty"),
    ({"as_of": None}, "as_of", "is required"),
    ({"gpu": "tpu-v9"}, "gpu", "neither a catalogue GPU nor one of this workspace's GPU rows"),
])
def test_a_bad_price_row_is_refused_naming_the_field_and_writes_nothing(factory, workspace_id, change, field, words):
    with pytest.raises(ValidationError) as caught, transaction(factory, actor="t") as s:
        add_price(session=s, workspace_id=workspace_id, values={**DEAL, **change}, row=3)
    assert f"GPU price row 3: '{field}'" in str(caught.value) and words in str(caught.value)
    assert _frame(factory, workspace_id).empty


def test_every_problem_of_a_row_is_named_at_once(factory, workspace_id):
    with pytest.raises(ValidationError) as caught, transaction(factory, actor="t") as s:
        add_price(session=s, workspace_id=workspace_id, values={**DEAL, "kind": "x", "usd_per_gpu_hour": 0.0,
                                                                 "gpu": "nope"})
    assert {e.field for e in caught.value.errors} == {"kind", "usd_per_gpu_hour", "gpu"}


def test_a_workspace_gpu_key_can_be_priced_and_another_workspaces_cannot(factory, workspace_id):
    with transaction(factory, actor="t") as s:
        add_gpu(session=s, workspace_id=workspace_id, values=CHIP)
        other = repo.create_workspace(session=s, name="Other").id
    _add(factory, workspace_id, gpu="my-asic", provider="vendor", kind="on_demand")
    with pytest.raises(ValidationError, match="'gpu' 'my-asic' is neither"), transaction(factory, actor="t") as s:
        add_price(session=s, workspace_id=other, values={**DEAL, "gpu": "my-asic"})


def test_a_duplicate_live_gpu_provider_kind_is_refused_but_another_kind_or_provider_is_not(factory, workspace_id):
    _add(factory, workspace_id)
    with pytest.raises(ValidationError, match="'provider' 'coreweave' already has a reserved price"), \
            transaction(factory, actor="t") as s:
        add_price(session=s, workspace_id=workspace_id, values={**DEAL, "usd_per_gpu_hour": 2.0})
    _add(factory, workspace_id, kind="spot", usd_per_gpu_hour=1.1)
    _add(factory, workspace_id, provider="lambda", usd_per_gpu_hour=2.1)
    assert len(_frame(factory, workspace_id)) == 3


def test_an_edit_into_a_duplicate_or_a_stale_edit_is_refused(factory, workspace_id):
    first = _add(factory, workspace_id)
    spot = _add(factory, workspace_id, kind="spot", usd_per_gpu_hour=1.1)
    with pytest.raises(ValidationError, match="already has a reserved price"), transaction(factory, actor="t") as s:
        update_price(session=s, workspace_id=workspace_id, price_id=spot, values={"kind": "reserved"})
    with transaction(factory, actor="t") as s:
        update_price(session=s, workspace_id=workspace_id, price_id=first, values={"usd_per_gpu_hour": 1.7},
                     expected_version=1)
    with pytest.raises(StaleEditError), transaction(factory, actor="t") as s:
        update_price(session=s, workspace_id=workspace_id, price_id=first, values={"usd_per_gpu_hour": 1.6},
                     expected_version=1)
    assert _frame(factory, workspace_id).set_index("id").loc[first, "usd_per_gpu_hour"] == 1.7


def test_a_deleted_price_row_frees_its_key_and_restore_refuses_while_it_is_taken(factory, workspace_id):
    first = _add(factory, workspace_id)
    with transaction(factory, actor="t") as s:
        delete_price(session=s, workspace_id=workspace_id, price_id=first)
    assert _frame(factory, workspace_id).empty
    with factory() as s:
        assert [(r.__tablename__, r.id) for r in repo.deleted_rows(session=s, workspace_id=workspace_id)] == [
            ("gpu_price", first)]
    _add(factory, workspace_id, usd_per_gpu_hour=1.6)
    with pytest.raises(ValidationError, match="now used by another GPU price"), transaction(factory, actor="t") as s:
        repo.restore(session=s, model=GpuPrice, row_id=first)


def test_a_grid_save_with_one_bad_row_writes_nothing_and_names_each_row(factory, workspace_id):
    first = _add(factory, workspace_id)
    changes = {"edited_rows": {0: {"usd_per_gpu_hour": 1.5}},
               "added_rows": [{**DEAL, "kind": "spot", "usd_per_gpu_hour": 1.0},
                              {**DEAL, "provider": "lambda", "usd_per_gpu_hour": -1.0},
                              {"gpu": "h100-sxm", "provider": "x", "kind": "on_demand", "usd_per_gpu_hour": 2.0}]}
    with pytest.raises(ValidationError) as caught, transaction(factory, actor="t") as s:
        save_price_grid(session=s, workspace_id=workspace_id, ids=[first], versions=[1], changes=changes)
    named = {(e.row, e.field) for e in caught.value.errors}
    assert named == {(3, "usd_per_gpu_hour"), (4, "source"), (4, "as_of")}
    frame = _frame(factory, workspace_id)
    assert frame["usd_per_gpu_hour"].tolist() == [1.85] and frame["version"].tolist() == [1]


def test_a_good_grid_save_edits_adds_and_deletes_together(factory, workspace_id):
    first = _add(factory, workspace_id)
    spot = _add(factory, workspace_id, kind="spot", usd_per_gpu_hour=1.1)
    changes = {"edited_rows": {"0": {"usd_per_gpu_hour": 1.5}}, "deleted_rows": [1],
               # The deleted spot row's key is free again in the same save; a blank appended row is skipped.
               "added_rows": [{**DEAL, "kind": "spot", "usd_per_gpu_hour": 0.9}, {"gpu": None, "provider": ""}]}
    with transaction(factory, actor="t") as s:
        result = save_price_grid(session=s, workspace_id=workspace_id, ids=[first, spot], versions=[1, 1],
                                 changes=changes)
    assert (result.updated, result.created, result.deleted) == (1, 1, 1)
    frame = _frame(factory, workspace_id).set_index("kind")
    assert frame["usd_per_gpu_hour"].to_dict() == {"reserved": 1.5, "spot": 0.9}


def test_the_page_view_prices_the_estimate_from_the_workspace_row_of_the_chosen_kind(factory, workspace_id):
    with factory() as s:
        before = compute_cost(session=s, workspace_id=workspace_id, request=CostRequest(price_kind="reserved"))
    _add(factory, workspace_id)
    with factory() as s:
        reserved = compute_cost(session=s, workspace_id=workspace_id, request=CostRequest(price_kind="reserved"))
        on_demand = compute_cost(session=s, workspace_id=workspace_id, request=CostRequest())
    assert before.report.price.base != 1.85 and reserved.report.price.base == 1.85
    assert "our 1-year contract" in reserved.report.price.source
    # Other kinds keep the catalogue's rows.
    assert on_demand.report.price == price_range("h100-sxm", price_table(), "on_demand")
    shown = reserved.prices[(reserved.prices["gpu"] == "h100-sxm") & (reserved.prices["kind"] == "reserved")]
    assert shown["origin"].tolist() == ["workspace"]
    assert reserved.own_prices["id"].notna().all() and len(reserved.own_prices) == 1


def test_price_rows_survive_a_backup_and_restore(factory, workspace_id):
    _add(factory, workspace_id)
    gone = _add(factory, workspace_id, kind="spot", usd_per_gpu_hour=1.1)
    with transaction(factory, actor="t") as s:
        delete_price(session=s, workspace_id=workspace_id, price_id=gone)
    with factory() as s:
        data = backup.write_backup(session=s, workspace_id=workspace_id)
    with transaction(factory, actor="t") as s:
        restored = backup.restore_backup(session=s, data=data, name="Restored").id
    frame = _frame(factory, restored)
    assert frame[["gpu", "provider", "kind", "usd_per_gpu_hour", "source", "as_of"]].to_dict("records") == [DEAL]
    with factory() as s:
        assert [r.__tablename__ for r in repo.deleted_rows(session=s, workspace_id=restored)] == ["gpu_price"]
