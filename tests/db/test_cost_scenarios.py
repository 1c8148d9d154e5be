"""Cost scenarios and a workspace's GPU catalogue rows: validation, history, and what the revenue engine reads."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.compute_report import CostRequest, build_report, scenario_values
from analytics.gpu_catalogue import api_price_table, merged_gpus, price_table
from db import repo
from db.cost_scenarios import (
    add_gpu,
    apply_gpu_edits,
    delete_scenario,
    deleted_scenarios,
    gpu_frame,
    restore_scenario,
    save_scenario,
    scenario_costs,
    scenarios,
    update_gpu,
)
from db.models import CostScenario, GpuOverride
from db.models_modelhub import BenchmarkRun
from db.transaction import transaction
from db.validation import StaleEditError, ValidationError
from db.views_compute import compute_cost

pytestmark = pytest.mark.db

CHIP = {"gpu": "my-asic", "name": "Our inference ASIC", "bf16_tflops": 400.0, "memory_gb": 64.0,
        "bandwidth_tbs": 2.0, "usd_per_gpu_hour": 1.10, "source": "vendor quote", "as_of": "2026-11"}


def _report(**request):
    return build_report(CostRequest(**request), merged_gpus(), price_table(), api_price_table())


def test_a_saved_scenario_keeps_inputs_results_and_the_columns_the_revenue_engine_reads(factory, workspace_id):
    report = _report()
    with transaction(factory, actor="t") as s:
        saved = save_scenario(session=s, workspace_id=workspace_id, values=scenario_values(report, name="7B base"))
    with factory() as s:
        costs = scenario_costs(session=s, workspace_id=workspace_id)
        row = repo.get(session=s, model=CostScenario, row_id=saved.id)
        logged = repo.history(session=s, workspace_id=workspace_id, table_name="cost_scenario")
    # The columns hold the fleet's $/1M (what the fleet costs per token); the results keep both, named.
    assert costs.loc[saved.id, "serving_usd_per_m_output"] == pytest.approx(report.serving.fleet_usd_per_m_output)
    assert costs.loc[saved.id, "serving_usd_per_m_input"] == pytest.approx(report.serving.fleet_usd_per_m_input)
    serving = row.results["serving"]
    assert serving["usd_per_m_output_at_utilisation"] == pytest.approx(report.serving.usd_per_m_output)
    assert serving["utilisation"] == 0.5 and serving["fleet_utilisation"] == pytest.approx(
        report.serving.fleet_utilisation)
    assert (costs.loc[saved.id, "serving_usd_per_m_input"] * serving["monthly_tokens"] * 0.8
            + costs.loc[saved.id, "serving_usd_per_m_output"] * serving["monthly_tokens"] * 0.2) / 1e6 == \
        pytest.approx(serving["monthly_usd"])  # 1,000:250 prompt:output tokens
    assert costs.loc[saved.id, "training_cost_usd"] == pytest.approx(report.training.cost_base_usd)
    assert row.inputs["params"] == 7e9 and row.results["training"]["flops"] == pytest.approx(report.training.flops)
    assert row.kind == "both" and [entry.action for entry in logged] == ["create"]


def test_a_duplicate_scenario_name_is_refused_and_nothing_is_overwritten(factory, workspace_id):
    with transaction(factory, actor="t") as s:
        save_scenario(session=s, workspace_id=workspace_id, values=scenario_values(_report(), name="Plan A"))
    with pytest.raises(ValidationError, match="'name' 'Plan A' is already used"), transaction(factory, actor="t") as s:
        save_scenario(session=s, workspace_id=workspace_id, values=scenario_values(_report(tokens=2e12), name="Plan A"))
    with factory() as s:
        rows = scenarios(session=s, workspace_id=workspace_id)
    assert [r.inputs["tokens"] for r in rows] == [1e12]


def test_private_scenarios_are_left_out_for_the_pitch(factory, workspace_id):
    with transaction(factory, actor="t") as s:
        save_scenario(session=s, workspace_id=workspace_id, values=scenario_values(_report(), name="Public"))
        save_scenario(session=s, workspace_id=workspace_id,
                      values=scenario_values(_report(), name="Board only", private=True))
    with factory() as s:
        assert list(scenario_costs(session=s, workspace_id=workspace_id, include_private=False)["name"]) == ["Public"]
        assert len(scenario_costs(session=s, workspace_id=workspace_id)) == 2


def test_a_negative_serving_cost_is_refused_naming_the_field(factory, workspace_id):
    values = {**scenario_values(_report(), name="Bad"), "serving_usd_per_m_output": -1.0}
    with pytest.raises(ValidationError, match="serving_usd_per_m_output"), transaction(factory, actor="t") as s:
        save_scenario(session=s, workspace_id=workspace_id, values=values)
    with factory() as s:
        assert scenarios(session=s, workspace_id=workspace_id) == []


def test_workspace_gpu_rows_add_and_override_the_catalogue_in_the_page_view(factory, workspace_id):
    with transaction(factory, actor="t") as s:
        add_gpu(session=s, workspace_id=workspace_id, values=CHIP)
        add_gpu(session=s, workspace_id=workspace_id, values={**CHIP, "gpu": "h100-sxm", "name": "H100 (measured)",
                                                              "bf16_tflops": 800.0, "memory_gb": 80.0,
                                                              "usd_per_gpu_hour": 2.0, "source": "own probe"})
    with factory() as s:
        view = compute_cost(session=s, workspace_id=workspace_id, request=CostRequest(gpu="my-asic", params=1e9,
                                                                                      tokens=2e10, n_gpus=8))
        h100 = compute_cost(session=s, workspace_id=workspace_id, request=CostRequest(mfu=0.4))
    assert view.error is None and view.report.price.base == 1.10
    assert view.gpus.loc["my-asic", "origin"] == "workspace" and view.gpus.loc["h100-sxm", "origin"] == "override"
    assert h100.report.training.gpu_hours == pytest.approx(h100.report.training.flops / (800e12 * 0.4) / 3600)
    assert h100.report.price.base == 2.0


@pytest.mark.parametrize(("change", "field"), [
    ({"gpu": "My ASIC!"}, "gpu"), ({"bf16_tflops": 0.0}, "bf16_tflops"), ({"memory_gb": -1.0}, "memory_gb"),
    ({"source": ""}, "source"), ({"bandwidth_tbs": "fast"}, "bandwidth_tbs"),
])
def test_a_bad_gpu_row_is_refused_naming_the_field_and_writes_nothing(factory, workspace_id, change, field):
    with pytest.raises(ValidationError, match=f"'{field}'"), transaction(factory, actor="t") as s:
        add_gpu(session=s, workspace_id=workspace_id, values={**CHIP, **change})
    with factory() as s:
        assert gpu_frame(session=s, workspace_id=workspace_id).empty


def test_a_duplicate_gpu_key_is_refused_but_a_deleted_one_can_be_added_again(factory, workspace_id):
    with transaction(factory, actor="t") as s:
        first = add_gpu(session=s, workspace_id=workspace_id, values=CHIP).id
    with pytest.raises(ValidationError, match="already used"), transaction(factory, actor="t") as s:
        add_gpu(session=s, workspace_id=workspace_id, values=CHIP)
    with transaction(factory, actor="t") as s:
        repo.soft_delete(session=s, model=GpuOverride, row_id=first)
        add_gpu(session=s, workspace_id=workspace_id, values={**CHIP, "bf16_tflops": 420.0})
    with factory() as s:
        assert gpu_frame(session=s, workspace_id=workspace_id).loc["my-asic", "bf16_tflops"] == 420.0


def test_a_stale_gpu_edit_is_refused(factory, workspace_id):
    with transaction(factory, actor="t") as s:
        row = add_gpu(session=s, workspace_id=workspace_id, values=CHIP)
        row_id, version = row.id, row.version
    with transaction(factory, actor="t") as s:
        update_gpu(session=s, row_id=row_id, values={"bf16_tflops": 410.0}, expected_version=version)
    with pytest.raises(StaleEditError), transaction(factory, actor="t") as s:
        update_gpu(session=s, row_id=row_id, values={"bf16_tflops": 1.0}, expected_version=version)
    with factory() as s:
        assert gpu_frame(session=s, workspace_id=workspace_id).loc["my-asic", "bf16_tflops"] == 410.0


def test_the_view_names_an_unknown_gpu_or_a_missing_price_instead_of_failing(factory, workspace_id):
    with factory() as s:
        unknown = compute_cost(session=s, workspace_id=workspace_id, request=CostRequest(gpu="nope"))
        no_price = compute_cost(session=s, workspace_id=workspace_id,
                                request=CostRequest(gpu="l4", price_kind="spot"))
    assert unknown.report is None and "unknown GPU 'nope'" in unknown.error
    assert no_price.report is None and "no spot $/GPU-hour for 'l4'" in no_price.error
    assert "catalogue defaults" in unknown.runs_note or "benchmark" in unknown.runs_note


def _benchmark_row(**values):
    """A BenchmarkRun (the modelhub's table) with ``values`` and placeholders for its other required columns."""
    placeholder = {str: "x", int: 1, float: 1.0, bool: False}
    for column in BenchmarkRun.__table__.columns:
        if column.key not in values and not column.nullable and column.default is None and not column.primary_key:
            values[column.key] = placeholder.get(column.type.python_type, {})
    return BenchmarkRun(**values)


def test_a_stored_benchmark_run_calibrates_the_page_view(factory, workspace_id):
    with factory.begin() as s:
        s.add(_benchmark_row(model_name="gpt", config_name="smoke", device_name="NVIDIA H100", params=10_000_000,
                             flops_per_unit=6e7, unit="token", units_per_second=50_000.0, peak_flops=989e12,
                             mfu=None))
        s.add(_benchmark_row(model_name="svm", config_name="smoke", device_name="cpu", params=1_000,
                             flops_per_unit=None, unit="sample", units_per_second=10.0))
    with factory() as s:
        listed = compute_cost(session=s, workspace_id=workspace_id, request=CostRequest())
        run_id = int(listed.runs.index[0])
        view = compute_cost(session=s, workspace_id=workspace_id, request=CostRequest(params=7e9, tokens=1e12),
                            run_id=run_id)
    assert list(listed.runs["model_name"]) == ["gpt"]  # a run without measured FLOPs cannot calibrate
    assert view.run is not None and view.run.measured_mfu == pytest.approx(6e7 * 5e4 / 989e12)
    assert view.report.mfu.source == "calibration"
    assert view.report.training.flops == pytest.approx(6e7 * 700 * 1e12)
    assert "measured" in set(view.report.provenance["status"])


def _two_gpus(factory, workspace_id):
    with transaction(factory, actor="t") as s:
        rows = [add_gpu(session=s, workspace_id=workspace_id, values=CHIP),
                add_gpu(session=s, workspace_id=workspace_id, values={**CHIP, "gpu": "my-asic-2", "name": "Gen 2"})]
        return [r.id for r in rows], [r.version for r in rows]


def test_grid_edits_of_gpu_rows_are_written_and_logged(factory, workspace_id):
    ids, versions = _two_gpus(factory, workspace_id)
    edited = {"1": {"bf16_tflops": 450.0, "usd_per_gpu_hour": 0.95}, "0": {"name": "ASIC v1", "as_of": "2026-12"}}
    with transaction(factory, actor="t") as s:
        changed = apply_gpu_edits(session=s, workspace_id=workspace_id, ids=ids, versions=versions, edited=edited)
    with factory() as s:
        frame = gpu_frame(session=s, workspace_id=workspace_id)
        logged = repo.history(session=s, workspace_id=workspace_id, table_name="gpu_override")
    assert changed == 2
    assert frame.loc["my-asic-2", ["bf16_tflops", "usd_per_gpu_hour"]].tolist() == [450.0, 0.95]
    assert frame.loc["my-asic", ["name", "as_of"]].tolist() == ["ASIC v1", "2026-12"]
    assert frame["version"].tolist() == [2, 2]
    assert sorted(e.action for e in logged) == ["create", "create", "update", "update"]


def test_bad_grid_edits_name_every_row_and_field_and_write_nothing(factory, workspace_id):
    ids, versions = _two_gpus(factory, workspace_id)
    edited = {0: {"bf16_tflops": 500.0}, 1: {"memory_gb": -4.0, "gpu": "Gen 2!"}}
    with pytest.raises(ValidationError) as caught, transaction(factory, actor="t") as s:
        apply_gpu_edits(session=s, workspace_id=workspace_id, ids=ids, versions=versions, edited=edited)
    message = str(caught.value)
    assert "GPU catalogue row row 2: 'memory_gb' must be greater than 0" in message
    assert "GPU catalogue row row 2: 'gpu' must be lower-case" in message
    with factory() as s:  # row 1 was valid, but the save is all-or-nothing
        assert gpu_frame(session=s, workspace_id=workspace_id)["bf16_tflops"].tolist() == [400.0, 400.0]


def test_a_grid_edit_to_an_existing_key_or_an_empty_required_cell_is_refused(factory, workspace_id):
    ids, versions = _two_gpus(factory, workspace_id)
    for edited, expected in [({1: {"gpu": "my-asic"}}, "row 2: 'gpu' 'my-asic' is already used"),
                             ({0: {"source": None}}, "row 1: 'source'"),
                             ({0: {"price": 1.0}}, "row 1: 'price' is not an editable column")]:
        with pytest.raises(ValidationError, match=expected), transaction(factory, actor="t") as s:
            apply_gpu_edits(session=s, workspace_id=workspace_id, ids=ids, versions=versions, edited=edited)
    with factory() as s:
        assert gpu_frame(session=s, workspace_id=workspace_id)["version"].tolist() == [1, 1]


def test_a_grid_edit_of_a_row_changed_meanwhile_is_refused(factory, workspace_id):
    ids, versions = _two_gpus(factory, workspace_id)
    with transaction(factory, actor="t") as s:
        update_gpu(session=s, row_id=ids[0], values={"bf16_tflops": 410.0})
    with pytest.raises(StaleEditError), transaction(factory, actor="t") as s:
        apply_gpu_edits(session=s, workspace_id=workspace_id, ids=ids, versions=versions,
                        edited={0: {"bf16_tflops": 1.0}})
    with factory() as s:
        assert gpu_frame(session=s, workspace_id=workspace_id).loc["my-asic", "bf16_tflops"] == 410.0


def test_grid_edits_cannot_reach_another_workspaces_gpu_rows(factory, workspace_id):
    ids, versions = _two_gpus(factory, workspace_id)
    with transaction(factory, actor="t") as s:
        other = repo.create_workspace(session=s, name="Other").id
    with pytest.raises(ValidationError, match="another workspace"), transaction(factory, actor="t") as s:
        apply_gpu_edits(session=s, workspace_id=other, ids=ids, versions=versions, edited={0: {"name": "x"}})


def test_a_deleted_scenario_leaves_the_revenue_engines_list_and_can_be_restored(factory, workspace_id):
    with transaction(factory, actor="t") as s:
        kept = save_scenario(session=s, workspace_id=workspace_id, values=scenario_values(_report(), name="Keep"))
        gone = save_scenario(session=s, workspace_id=workspace_id, values=scenario_values(_report(), name="Drop"))
        kept_id, gone_id = kept.id, gone.id
    with transaction(factory, actor="t") as s:
        delete_scenario(session=s, workspace_id=workspace_id, scenario_id=gone_id)
    with factory() as s:
        assert list(scenario_costs(session=s, workspace_id=workspace_id).index) == [kept_id]
        assert [r.id for r in deleted_scenarios(session=s, workspace_id=workspace_id)] == [gone_id]
    with transaction(factory, actor="t") as s:
        restore_scenario(session=s, workspace_id=workspace_id, scenario_id=gone_id)
    with factory() as s:
        assert sorted(scenario_costs(session=s, workspace_id=workspace_id).index) == [kept_id, gone_id]
        assert deleted_scenarios(session=s, workspace_id=workspace_id) == []
        logged = repo.history(session=s, workspace_id=workspace_id, table_name="cost_scenario", row_id=gone_id)
    assert [e.action for e in logged] == ["restore", "delete", "create"]


def test_restoring_a_scenario_whose_name_was_reused_is_refused(factory, workspace_id):
    with transaction(factory, actor="t") as s:
        old = save_scenario(session=s, workspace_id=workspace_id, values=scenario_values(_report(), name="Plan")).id
    with transaction(factory, actor="t") as s:
        delete_scenario(session=s, workspace_id=workspace_id, scenario_id=old)
        save_scenario(session=s, workspace_id=workspace_id, values=scenario_values(_report(tokens=2e12), name="Plan"))
    with pytest.raises(ValidationError, match="'name' 'Plan' is already used"), transaction(factory, actor="t") as s:
        restore_scenario(session=s, workspace_id=workspace_id, scenario_id=old)
    with factory() as s:
        assert [r.id for r in deleted_scenarios(session=s, workspace_id=workspace_id)] == [old]
        assert [r.inputs["tokens"] for r in scenarios(session=s, workspace_id=workspace_id)] == [2e12]


def test_scenarios_of_another_workspace_cannot_be_deleted_or_restored(factory, workspace_id):
    with transaction(factory, actor="t") as s:
        own = save_scenario(session=s, workspace_id=workspace_id, values=scenario_values(_report(), name="Ours")).id
        other = repo.create_workspace(session=s, name="Other").id
    for action in (delete_scenario, restore_scenario):
        with pytest.raises(repo.NotFoundError), transaction(factory, actor="t") as s:
            action(session=s, workspace_id=other, scenario_id=own)
    with factory() as s:
        assert len(scenarios(session=s, workspace_id=workspace_id)) == 1


def test_a_stale_scenario_delete_is_refused(factory, workspace_id):
    with transaction(factory, actor="t") as s:
        row = save_scenario(session=s, workspace_id=workspace_id, values=scenario_values(_report(), name="Plan"))
        row_id, version = row.id, row.version
    with transaction(factory, actor="t") as s:
        repo.update(session=s, model=CostScenario, row_id=row_id, values={"notes": "edited elsewhere"})
    with pytest.raises(StaleEditError), transaction(factory, actor="t") as s:
        delete_scenario(session=s, workspace_id=workspace_id, scenario_id=row_id, expected_version=version)
    with factory() as s:
        assert deleted_scenarios(session=s, workspace_id=workspace_id) == []


def test_training_cost_is_one_off_or_amortised_over_months_for_the_revenue_engine(factory, workspace_id):
    report = _report()
    with transaction(factory, actor="t") as s:
        once = save_scenario(session=s, workspace_id=workspace_id, values=scenario_values(report, name="Once")).id
        spread = save_scenario(session=s, workspace_id=workspace_id,
                               values=scenario_values(report, name="Spread", amortise_months=24)).id
    with factory() as s:
        costs = scenario_costs(session=s, workspace_id=workspace_id)
        row = repo.get(session=s, model=CostScenario, row_id=spread)
    assert costs.loc[spread, "training_amortise_months"] == 24
    assert costs.loc[spread, "training_monthly_usd"] == pytest.approx(report.training.cost_base_usd / 24)
    assert pd.isna(costs.loc[once, "training_amortise_months"]) and pd.isna(costs.loc[once, "training_monthly_usd"])
    assert costs.loc[once, "training_cost_usd"] == costs.loc[spread, "training_cost_usd"]  # same cost, booked apart
    assert row.results["training"]["treatment"] == "amortised over 24 months"


def test_amortising_over_zero_months_is_refused_naming_the_field(factory, workspace_id):
    values = scenario_values(_report(), name="Bad", amortise_months=0)
    with pytest.raises(ValidationError, match="training_amortise_months"), transaction(factory, actor="t") as s:
        save_scenario(session=s, workspace_id=workspace_id, values=values)
    with factory() as s:
        assert scenarios(session=s, workspace_id=workspace_id) == []
