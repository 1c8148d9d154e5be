"""The Compute cost page: form → estimate, saving a scenario, the workspace GPU catalogue, refusals."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from analytics.compute_report import CostRequest, build_report
from analytics.gpu_catalogue import api_price_table, merged_gpus, price_table
from db import repo
from db.cost_scenarios import GPU_EDIT_COLUMNS, gpu_frame, scenario_costs, scenarios
from pages._components import usd
from tests.helpers import open_page

pytestmark = pytest.mark.usefixtures("navigation_only")
PAGE = "pages/compute_cost.py"


def _open(workspace_id: int) -> AppTest:
    return open_page(PAGE, workspace_id)


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_defaults_show_the_7b_on_1t_tokens_estimate_with_its_sources(app_db):
    at = _open(app_db["empty"])
    assert at.title[0].value == "Compute cost"
    # 6ND + attention for the inferred 33 × 4224 shape at seq 2048 (REFERENCE A6 gives 4.2e22 for 6ND alone).
    assert _metric(at, "Training FLOPs") == "4.54e+22"
    expected = build_report(CostRequest(), merged_gpus(), price_table(), api_price_table())
    assert _metric(at, "Cost (base)") == usd(expected.training.cost_base_usd)
    # Both $/1M figures, labelled: the fleet's (what the sized fleet costs per token) and one replica's.
    assert _metric(at, "Fleet $ / 1M output tokens") == f"${expected.serving.fleet_usd_per_m_output:,.3f}"
    assert _metric(at, "$ / 1M output tokens, one replica at your utilisation") == \
        f"${expected.serving.usd_per_m_output:,.3f}"
    assert len(at.get("plotly_chart")) == 4
    assert "illustrative" in " ".join(c.value for c in at.caption)


def test_submitting_the_form_recomputes_with_the_new_inputs(app_db):
    at = _open(app_db["empty"])
    at.number_input(key="cc_params").set_value(70.0)
    at.number_input(key="cc_tokens").set_value(2000.0)
    at.number_input(key="cc_mfu").set_value(0.4)
    at.number_input(key="cc_price").set_value(2.0)
    at.number_input(key="cc_seq_len").set_value(128)
    at.button(key="FormSubmitter:compute_form-Estimate").click().run()
    # Training is shown; serving 70B in bf16 on one 80 GB GPU cannot fit, and the page says how to fix it.
    flops = float(_metric(at, "Training FLOPs"))
    assert flops == pytest.approx(6 * 70e9 * 2e12, rel=0.01)  # the attention term is small at 128 tokens
    assert "gpus_per_replica" in at.error[0].value.replace("\\", "")
    at.number_input(key="cc_gpus_per_replica").set_value(4)
    at.button(key="FormSubmitter:compute_form-Estimate").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert int(_metric(at, "GPUs for the load")) % 4 == 0  # whole replicas of 4 GPUs


def test_a_gpu_without_a_price_of_the_chosen_kind_says_so_and_a_workspace_price_fixes_it(app_db):
    at = _open(app_db["empty"])
    at.selectbox(key="cc_gpu").set_value("l4")
    at.selectbox(key="cc_price_kind").set_value("reserved")
    at.button(key="FormSubmitter:compute_form-Estimate").click().run()
    # The catalogue has an on-demand L4 row only: nothing is invented for the reserved kind.
    assert "no reserved $/GPU-hour for 'l4'" in at.error[0].value.replace("\\", "")
    at.text_input(key="gpu_key").input("l4")
    at.text_input(key="gpu_name").input("L4 (our 1-year deal)")
    at.text_input(key="gpu_as_of").input("2026-11")
    at.text_input(key="gpu_source").input("our provider's contract")
    at.number_input(key="gpu_bf16").set_value(121.0)
    at.number_input(key="gpu_fp32").set_value(30.3)
    at.number_input(key="gpu_memory").set_value(24.0)
    at.number_input(key="gpu_bandwidth").set_value(0.3)
    at.number_input(key="gpu_price").set_value(0.9)
    at.button(key="FormSubmitter:gpu_row-Add GPU row").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Training FLOPs" in [m.label for m in at.metric]
    with app_db["factory"]() as s:
        row = gpu_frame(session=s, workspace_id=app_db["empty"]).loc["l4"]
    assert (row["usd_per_gpu_hour"], row["fp32_tflops"]) == (0.9, 30.3)


def test_price_kind_and_model_shape_reach_the_estimate(app_db):
    at = _open(app_db["empty"])
    at.selectbox(key="cc_price_kind").set_value("spot")
    at.number_input(key="cc_n_layers").set_value(32)
    at.number_input(key="cc_d_model").set_value(4096)
    at.number_input(key="cc_n_kv_heads").set_value(4)
    at.button(key="FormSubmitter:compute_form-Estimate").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    expected = build_report(CostRequest(price_kind="spot", n_layers=32, d_model=4096, n_kv_heads=4), merged_gpus(),
                            price_table(), api_price_table())
    assert expected.price.base == 1.25  # the catalogue's H100 spot row
    assert _metric(at, "Cost (base)") == usd(expected.training.cost_base_usd)
    assert float(_metric(at, "Training FLOPs")) == pytest.approx((6 * 7e9 + 12 * 32 * 4096 * 2048) * 1e12, rel=1e-3)
    assert expected.serving.kv_bytes_per_token == 2 * 32 * 4 * 128 * 2
    assert _metric(at, "Fleet $ / 1M output tokens") == f"${expected.serving.fleet_usd_per_m_output:,.3f}"
    at.checkbox(key="cc_attention").uncheck()
    at.button(key="FormSubmitter:compute_form-Estimate").click().run()
    assert float(_metric(at, "Training FLOPs")) == pytest.approx(4.2e22, rel=1e-3)  # 6·N·D alone


def test_a_bad_gpu_row_names_the_field_and_writes_nothing(app_db):
    at = _open(app_db["empty"])
    at.text_input(key="gpu_key").input("Bad Key!")
    at.text_input(key="gpu_name").input("x")
    at.text_input(key="gpu_as_of").input("2026")
    at.text_input(key="gpu_source").input("me")
    at.number_input(key="gpu_bf16").set_value(100.0)
    at.number_input(key="gpu_memory").set_value(16.0)
    at.number_input(key="gpu_bandwidth").set_value(1.0)
    at.button(key="FormSubmitter:gpu_row-Add GPU row").click().run()
    assert "'gpu'" in at.error[0].value.replace("\\", "")
    with app_db["factory"]() as s:
        assert gpu_frame(session=s, workspace_id=app_db["empty"]).empty


def test_saving_a_scenario_stores_the_serving_and_training_cost(app_db):
    at = _open(app_db["empty"])
    output = _metric(at, "Fleet $ / 1M output tokens")
    at.text_input(key="scenario_name").input("7B launch plan")
    at.button(key="FormSubmitter:save_scenario-Save scenario").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with app_db["factory"]() as s:
        costs = scenario_costs(session=s, workspace_id=app_db["empty"])
    assert list(costs["name"]) == ["7B launch plan"]
    assert f"${costs['serving_usd_per_m_output'].iloc[0]:,.3f}" == output
    assert costs["training_cost_usd"].iloc[0] > 0


def test_saving_without_a_name_is_refused(app_db):
    at = _open(app_db["empty"])
    at.button(key="FormSubmitter:save_scenario-Save scenario").click().run()
    assert "'name'" in at.error[0].value.replace("\\", "")
    with app_db["factory"]() as s:
        assert scenario_costs(session=s, workspace_id=app_db["empty"]).empty


def test_the_page_says_calibration_waits_for_benchmark_runs_when_there_are_none(app_db):
    at = _open(app_db["empty"])
    captions = " ".join(c.value for c in at.caption)
    assert "benchmark" in captions.lower()


def test_the_demo_workspace_holds_a_computed_illustrative_cost_scenario(app_db):
    with app_db["factory"]() as s:
        costs = scenario_costs(session=s, workspace_id=app_db["demo"])
    assert list(costs["name"]) == ["Lexora 8B: train + serve (illustrative)"]
    assert costs["serving_usd_per_m_output"].iloc[0] > 0 and costs["training_cost_usd"].iloc[0] > 0
    at = _open(app_db["demo"])
    assert "illustrative" in at.info[0].value
    saved = next(d.value for d in at.dataframe if "training_cost_usd" in d.value.columns)
    assert saved["name"].tolist() == ["Lexora 8B: train + serve (illustrative)"]


def test_loading_a_saved_scenario_puts_its_inputs_back_into_the_form(app_db):
    at = _open(app_db["demo"])
    at.button(key="cc_scenario_load").click().run()
    assert not at.exception and not at.error
    assert at.number_input(key="cc_params").value == 8.0 and at.number_input(key="cc_tokens").value == 200.0
    with app_db["factory"]() as s:
        saved = scenario_costs(session=s, workspace_id=app_db["demo"])
    assert _metric(at, "Fleet $ / 1M output tokens") == f"${saved['serving_usd_per_m_output'].iloc[0]:,.3f}"


def test_choosing_a_benchmark_run_calibrates_and_labels_measured_and_assumed_figures(app_db):
    from tests.db.test_cost_scenarios import _benchmark_row

    with app_db["factory"].begin() as s:
        row = _benchmark_row(model_name="gpt", config_name="smoke", device_name="NVIDIA H100", params=10_000_000,
                             flops_per_unit=6e7, unit="token", units_per_second=2_000_000.0, peak_flops=989e12,
                             mfu=None)
        s.add(row)
        s.flush()
        run_id = row.id
    at = _open(app_db["empty"])
    at.selectbox(key="cc_run").set_value(run_id).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    provenance = next(d.value for d in at.dataframe if "status" in d.value.columns)
    assert set(provenance["status"]) == {"measured", "assumed"}
    assert float(_metric(at, "Training FLOPs")) == pytest.approx(6e7 * 700 * 1e12, rel=1e-3)


def test_removing_a_workspace_gpu_row_restores_the_catalogue_figures(app_db):
    from db.cost_scenarios import add_gpu

    with app_db["factory"].begin() as s:
        add_gpu(session=s, workspace_id=app_db["empty"],
                values={"gpu": "h100-sxm", "name": "H100 (derated)", "bf16_tflops": 500.0, "memory_gb": 80.0,
                        "bandwidth_tbs": 3.35, "source": "own probe", "as_of": "2026-11"})
    at = _open(app_db["empty"])
    derated = float(_metric(at, "GPU-hours").replace(",", ""))
    at.selectbox(key="gpu_remove").set_value("h100-sxm")
    at.button(key="gpu_remove_button").click().run()
    assert not at.exception and not at.error
    restored = float(_metric(at, "GPU-hours").replace(",", ""))
    assert derated == pytest.approx(restored * 989 / 500, rel=1e-3)
    with app_db["factory"]() as s:
        assert gpu_frame(session=s, workspace_id=app_db["empty"]).empty


def test_deleting_a_saved_scenario_hides_it_and_the_restore_list_brings_it_back(app_db):
    demo = app_db["demo"]
    at = _open(demo)
    at.button(key="cc_scenario_delete").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "No cost scenarios saved yet." in [c.value for c in at.caption]
    with app_db["factory"]() as s:
        assert scenario_costs(session=s, workspace_id=demo).empty
    restore = next(e for e in at.expander if e.label.startswith("Deleted cost scenarios (1)"))
    assert "Lexora 8B: train + serve (illustrative)" in restore.markdown[0].value.replace("\\", "")
    scenario_id = int(restore.button[0].key.removeprefix("cc_restore_"))
    at.button(key=f"cc_restore_{scenario_id}").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert not [e for e in at.expander if e.label.startswith("Deleted cost scenarios")]
    with app_db["factory"]() as s:
        assert list(scenario_costs(session=s, workspace_id=demo).index) == [scenario_id]
        log = repo.history(session=s, workspace_id=demo, table_name="cost_scenario", row_id=scenario_id)
    assert [e.action for e in log][:2] == ["restore", "delete"]


def test_restoring_a_scenario_whose_name_is_taken_again_says_so_and_keeps_it_deleted(app_db):
    demo = app_db["demo"]
    at = _open(demo)
    at.button(key="cc_scenario_delete").click().run()
    at.text_input(key="scenario_name").input("Lexora 8B: train + serve (illustrative)")
    at.button(key="FormSubmitter:save_scenario-Save scenario").click().run()
    assert not at.error, [e.value for e in at.error]
    restore = next(e for e in at.expander if e.label.startswith("Deleted cost scenarios (1)"))
    restore.button[0].click().run()
    assert "is already used" in at.error[0].value.replace("\\", "")
    assert any(e.label.startswith("Deleted cost scenarios (1)") for e in at.expander)


def _gpu_row(factory, workspace_id: int, **values) -> int:
    from db.cost_scenarios import add_gpu

    row = {"gpu": "h100-sxm", "name": "H100 (derated)", "bf16_tflops": 500.0, "memory_gb": 80.0,
           "bandwidth_tbs": 3.35, "source": "own probe", "as_of": "2026-11", **values}
    with factory.begin() as s:
        return add_gpu(session=s, workspace_id=workspace_id, values=row).id


def test_workspace_gpu_rows_are_shown_in_an_editable_grid_with_units(app_db):
    _gpu_row(app_db["factory"], app_db["empty"])
    _gpu_row(app_db["factory"], app_db["empty"], gpu="my-asic", name="Our ASIC", usd_per_gpu_hour=1.1)
    at = _open(app_db["empty"])
    grid = next(d for d in at.dataframe if d.key == "gpu_grid_0").value
    assert list(grid.columns) == list(GPU_EDIT_COLUMNS)
    assert grid["gpu"].tolist() == ["h100-sxm", "my-asic"] and grid["usd_per_gpu_hour"].tolist()[1] == 1.1
    # Headers carry units (the stored columns are TFLOP/s, GB, TB/s and $ per GPU-hour).
    from pages._compute_charts import GPU_COLUMNS

    labels = [GPU_COLUMNS[c]["label"] for c in GPU_EDIT_COLUMNS]
    assert {"bf16 TFLOP/s", "Memory (GB)", "Bandwidth (TB/s)", "$ / GPU-hour"} <= set(labels)


def test_saving_the_gpu_grid_without_edits_changes_nothing(app_db):
    row_id = _gpu_row(app_db["factory"], app_db["empty"])
    at = _open(app_db["empty"])
    at.button(key="gpu_grid_save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Nothing to save" in at.toast[0].value
    with app_db["factory"]() as s:
        assert gpu_frame(session=s, workspace_id=app_db["empty"]).loc["h100-sxm", ["id", "version"]].tolist() == [
            row_id, 1]


def test_utilisation_and_failure_overhead_are_set_in_per_cent(app_db):
    at = _open(app_db["empty"])
    assert at.slider(key="cc_utilisation").value == 50.0 and at.slider(key="cc_failure_overhead").value == 10.0
    at.slider(key="cc_utilisation").set_value(80.0)
    at.slider(key="cc_failure_overhead").set_value(35.0)
    at.button(key="FormSubmitter:compute_form-Estimate").click().run()
    expected = build_report(CostRequest(utilisation=0.8, failure_overhead=0.35), merged_gpus(), price_table(),
                            api_price_table())
    assert _metric(at, "$ / 1M output tokens, one replica at your utilisation") == \
        f"${expected.serving.usd_per_m_output:,.3f}"
    assert _metric(at, "Cost (base)") == usd(expected.training.cost_base_usd)
    at.text_input(key="scenario_name").input("80 % busy")
    at.button(key="FormSubmitter:save_scenario-Save scenario").click().run()
    with app_db["factory"]() as s:
        saved = scenarios(session=s, workspace_id=app_db["empty"])[0]
    assert (saved.inputs["utilisation"], saved.inputs["failure_overhead"]) == (0.8, 0.35)  # not 0.35000000000000003
    at.button(key="cc_scenario_load").click().run()
    assert at.slider(key="cc_utilisation").value == 80.0 and at.slider(key="cc_failure_overhead").value == 35.0


def test_a_scenario_saved_as_amortised_keeps_its_months(app_db):
    at = _open(app_db["empty"])
    at.text_input(key="scenario_name").input("Spread over two years")
    at.radio(key="scenario_treatment").set_value("amortised")
    at.number_input(key="scenario_months").set_value(24)
    at.button(key="FormSubmitter:save_scenario-Save scenario").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with app_db["factory"]() as s:
        costs = scenario_costs(session=s, workspace_id=app_db["empty"])
    assert costs["training_amortise_months"].tolist() == [24]
    assert costs["training_monthly_usd"].iloc[0] == pytest.approx(costs["training_cost_usd"].iloc[0] / 24)
    saved = next(d.value for d in at.dataframe if "training_amortise_months" in d.value.columns)
    assert saved["training_amortise_months"].tolist() == [24]
