"""Cost scenarios and a workspace's GPU catalogue rows: validation, history, and what the revenue engine reads."""

from __future__ import annotations

import pytest

from analytics.compute_report import CostRequest, build_report, scenario_values
from analytics.gpu_catalogue import api_price_table, merged_gpus, price_table
from db import repo
from db.cost_scenarios import add_gpu, gpu_frame, save_scenario, scenario_costs, scenarios, update_gpu
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
    assert costs.loc[saved.id, "serving_usd_per_m_output"] == pytest.approx(report.serving.usd_per_m_output)
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
        no_price = compute_cost(session=s, workspace_id=workspace_id, request=CostRequest(gpu="l40s"))
    assert unknown.report is None and "unknown GPU 'nope'" in unknown.error
    assert no_price.report is None and "no $/GPU-hour for 'l40s'" in no_price.error
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
