"""The compute cost engine: hand-computed examples, published figures it reproduces, and properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analytics.calibration import MeasuredRun, calibrate
from analytics.gpu_catalogue import (
    CatalogueError,
    api_price_table,
    default_mfu,
    gpu,
    gpu_table,
    merged_gpus,
    price_range,
    price_table,
    validate_gpu_row,
)
from analytics.serving_cost import (
    ServingInputs,
    api_break_even,
    estimate_serving,
    usd_per_million,
)
from analytics.training_cost import EstimateError, TrainingInputs, estimate_training, gpu_hours, sweep_training

H100 = gpu("h100-sxm")
A100 = gpu("a100-80gb")
BARE = {"attention": False, "failure_overhead": 0.0, "checkpoint_overhead": 0.0}


# --- catalogues -------------------------------------------------------------------------------------------

def test_every_catalogue_row_is_valid_and_carries_a_source_and_a_date():
    table = gpu_table()
    assert {"h100-sxm", "h100-pcie", "h200", "b200", "a100-40gb", "a100-80gb", "l40s", "l4", "a10g", "rtx-4090",
            "mi300x"} <= set(table.index)
    for key, row in table.iterrows():
        assert validate_gpu_row(key, row.to_dict()) == [], key
    for frame in (price_table(), api_price_table()):
        assert frame["source"].str.strip().str.len().gt(0).all()
        assert frame["as_of"].str.match(r"^\d{4}-\d{2}").all()
    assert set(price_table()["kind"]) <= {"on_demand", "reserved", "spot"}
    assert set(price_table()["gpu"]) <= set(table.index)


def test_h100_peak_is_the_dense_figure_not_the_sparse_headline():
    # karpathy/nanoGPT PR #464: MFU must use 989 dense bf16 TFLOP/s, not NVIDIA's 1979 (2:4 sparsity).
    assert H100.peak_flops("bf16") == 989e12
    with pytest.raises(CatalogueError, match="no fp8"):
        A100.peak_flops("fp8")


def test_unknown_gpu_is_refused_with_the_known_names():
    with pytest.raises(CatalogueError, match=r"unknown GPU 'h999'.*h100-sxm"):
        gpu("h999")


def test_workspace_rows_override_and_extend_the_catalogue():
    own = pd.DataFrame({"name": ["My H100", "TPU-ish"], "bf16_tflops": [900.0, 400.0], "fp8_tflops": [None, None],
                        "fp32_tflops": [None, None], "memory_gb": [80.0, 32.0], "bandwidth_tbs": [3.0, 1.2],
                        "source": ["own probe", "vendor"], "as_of": ["2026-11", "2026-10"]},
                       index=pd.Index(["h100-sxm", "my-chip"], name="gpu"))
    merged = merged_gpus(own)
    assert merged.loc["h100-sxm", "bf16_tflops"] == 900.0 and merged.loc["h100-sxm", "origin"] == "override"
    assert merged.loc["my-chip", "origin"] == "workspace" and merged.loc["l4", "origin"] == "catalogue"
    assert gpu("my-chip", merged).peak_flops() == 400e12
    assert len(merged) == len(gpu_table()) + 1


def test_a_catalogue_row_without_source_or_with_a_zero_peak_is_named():
    problems = validate_gpu_row("Bad Key", {"bf16_tflops": 0, "memory_gb": 80, "bandwidth_tbs": 2, "source": " "})
    text = "\n".join(problems)
    assert "'gpu'" in text and "'bf16_tflops' must be greater than 0" in text and "'source'" in text
    assert "'as_of'" in text


def test_price_range_spans_the_catalogue_rows_of_one_gpu():
    found = price_range("h100-sxm")
    assert (found.low, found.high) == (2.49, 12.29)
    assert found.low <= found.base <= found.high and "Lambda" in found.source
    assert price_range("l4", kind="reserved") is None  # the catalogue has no reserved L4 row: nothing invented
    assert price_range("l40s", kind="spot").base == 1.1027  # AWS g6e spot, modal.com L40S price table (2025-08)
    with pytest.raises(CatalogueError, match="price kind must be one of on_demand, reserved, spot"):
        price_range("h100-sxm", kind="weekly")


def test_every_catalogue_gpu_has_a_dated_on_demand_price():
    # H200, B200, L40S, A10G, RTX 4090 and MI300X rows come from dated public price pages (analytics/data/README.md).
    priced = set(price_table().query("kind == 'on_demand'")["gpu"])
    assert set(gpu_table().index) == priced


# --- training: worked examples (REFERENCE A6, derived) ----------------------------------------------------

def test_7b_on_1t_tokens_is_4_2e22_flops_and_29_5k_h100_hours_at_40_percent():
    # REFERENCE A6: C = 6·7e9·1e12 = 4.2e22; 4.2e22 / (989e12 × 0.4) / 3600 = 29.5k GPU-hours → $73k at $2.49.
    e = estimate_training(TrainingInputs(params=7e9, tokens=1e12, mfu=0.4, price=2.49, n_gpus=64, **BARE), H100)
    assert e.flops == pytest.approx(4.2e22)
    assert e.gpu_hours == pytest.approx(29_491, rel=1e-3)
    assert e.cost_base_usd - e.storage_usd == pytest.approx(73_433, rel=1e-3)
    assert e.wall_clock_hours == pytest.approx(29_491 / 64, rel=1e-3)


@pytest.mark.parametrize(("mfu", "hours"), [(0.3, 39_321), (0.5, 23_593)])
def test_7b_hours_at_other_mfu_match_the_reference_table(mfu, hours):
    # REFERENCE A6: 39.3k GPU-hours at 30 %, 23.6k at 50 %.
    e = estimate_training(TrainingInputs(params=7e9, tokens=1e12, mfu=mfu, **BARE), H100)
    assert e.gpu_hours == pytest.approx(hours, rel=1e-3)


def test_training_7b_needs_112_gb_of_states_so_at_least_two_80gb_gpus():
    # Transformer Math 101 (REFERENCE A6): 16 B/param → 112 GB before activations → ≥ 2 × 80 GB GPUs.
    e = estimate_training(TrainingInputs(params=7e9, tokens=1e12, n_gpus=1), H100)
    states = e.memory.weights_gb + e.memory.grads_gb + e.memory.optimiser_gb
    assert states == pytest.approx(112.0)
    assert e.memory_recompute.min_gpus >= 2 and e.memory.min_gpus >= e.memory_recompute.min_gpus
    assert not e.fits
    assert e.memory_recompute.activations_gb < e.memory.activations_gb


def test_gpt2_124m_chinchilla_optimal_takes_about_1_5_h100_hours_at_35_percent():
    # REFERENCE A6: 20 × 124M = 2.5B tokens, 1.8e18 FLOPs, ~1.5 h on one H100 at 35 % MFU.
    e = estimate_training(TrainingInputs(params=124e6, tokens=20 * 124e6, mfu=0.35, n_gpus=1, **BARE), H100)
    assert e.flops == pytest.approx(1.8e18, rel=0.03)
    assert e.wall_clock_hours == pytest.approx(1.5, rel=0.03)


def test_moe_flops_use_active_parameters_and_memory_uses_total():
    dense = estimate_training(TrainingInputs(params=47e9, tokens=1e12, n_gpus=64, **BARE), H100)
    moe = estimate_training(TrainingInputs(params=47e9, active_params=13e9, tokens=1e12, n_gpus=64, **BARE), H100)
    assert moe.flops == pytest.approx(6 * 13e9 * 1e12)
    assert moe.memory.weights_gb == dense.memory.weights_gb


def test_overheads_and_storage_are_added_to_the_base_cost():
    e = estimate_training(TrainingInputs(params=7e9, tokens=1e12, mfu=0.4, failure_overhead=0.1,
                                         checkpoint_overhead=0.02, attention=False), H100)
    assert e.billed_gpu_hours == pytest.approx(e.gpu_hours * 1.12)
    # 3 checkpoints × 14 B × 7e9 + 1e12 tokens × 4 B = 294 GB + 4,000 GB
    assert e.storage_gb == pytest.approx(4_294.0)
    assert e.cost_low_usd <= e.cost_base_usd <= e.cost_high_usd


# --- training: published figures the formulas approximately reproduce ------------------------------------

@pytest.mark.parametrize(("params", "tokens", "published"), [
    (175e9, 300e9, 3.14e23),  # GPT-3 175B: Brown et al. 2020, "Language Models are Few-Shot Learners", Table D.1
    (70e9, 1.4e12, 5.76e23),  # Chinchilla: Hoffmann et al. 2022, "Training Compute-Optimal LLMs", Table 3
])
def test_6nd_reproduces_published_training_compute(params, tokens, published):
    e = estimate_training(TrainingInputs(params=params, tokens=tokens, **BARE), H100)
    assert e.flops == pytest.approx(published, rel=0.03)


def test_nanochat_run_reproduced_at_50_percent_mfu_and_the_catalogue_node_price():
    # REFERENCE A6: nanochat GPT-2-grade run, 4.33e19 FLOPs, 3.04 h on 8×H100, ~$73 (node ~$24/h, README).
    hours = float(gpu_hours(4.33e19, H100.peak_flops(), 0.5))
    node_price = price_table().query("provider == '8xH100 node (nanochat)'")["usd_per_gpu_hour"].item()
    assert hours / 8 == pytest.approx(3.04, rel=0.01)
    assert hours * node_price == pytest.approx(73, rel=0.01)


def test_nemo_llama3_8b_fp8_days_for_10t_tokens_on_1k_gpus():
    # NVIDIA NeMo perf summary 24.12: Llama3-8B FP8, 711 model TFLOP/s/GPU, "10T tokens on 1K GPUs: 9 days".
    inputs = TrainingInputs(params=8e9, tokens=10e12, n_gpus=1000, precision="fp8", mfu=711 / 1979, seq_len=8192,
                            n_layers=32, d_model=4096, failure_overhead=0.0, checkpoint_overhead=0.0)
    assert estimate_training(inputs, H100).wall_clock_days == pytest.approx(9, rel=0.15)


# --- training: refusals ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "field"), [
    ({"params": 0}, "params"), ({"tokens": -1}, "tokens"), ({"mfu": 0}, "mfu"), ({"mfu": 1.01}, "mfu"),
    ({"n_gpus": 0}, "n_gpus"), ({"active_params": 8e9}, "active_params"), ({"price": float("nan")}, "price"),
])
def test_bad_training_input_is_refused_naming_the_field(change, field):
    with pytest.raises(EstimateError, match=f"'{field}'"):
        estimate_training(TrainingInputs(**{"params": 7e9, "tokens": 1e12, **change}), H100)


# --- serving ------------------------------------------------------------------------------------------------

def test_dollars_per_million_matches_the_llm_locust_guide():
    # gsampaio-rh/llm-locust COST_ESTIMATION_GUIDE: $1.47/h at 50 tok/s → $8.17/1M; at 250 tok/s → $1.63/1M.
    assert usd_per_million(1.47, [50, 250], 1.0) == pytest.approx([8.17, 1.63], abs=0.01)
    # REFERENCE A5.3: Llama-3.1-8B FP8 on 1×H100, 3,400 tok/s at $2.49/h → $0.20/1M (100 %), $0.41 at 50 %.
    assert usd_per_million(2.49, 3400, [1.0, 0.5]) == pytest.approx([0.20, 0.41], abs=0.01)


@pytest.mark.parametrize(("chip", "ceiling"), [(H100, 209), (A100, 127)])
def test_batch_one_decode_ceiling_is_bandwidth_over_weight_bytes(chip, ceiling):
    # REFERENCE A5.1: 8B bf16 at batch 1 ≈ 3.35e12 / 16e9 ≈ 209 tok/s on H100, 127 on A100-80GB.
    s = ServingInputs(params=8e9, batch_size=1, prompt_tokens=1, output_tokens=1, memory_efficiency=1.0,
                      compute_efficiency=1.0)
    e = estimate_serving(s, chip)
    assert e.bound == "memory" and e.decode_tokens_per_s == pytest.approx(ceiling, rel=0.01)


def test_llama3_8b_kv_cache_is_128_kib_per_token():
    # REFERENCE A5.1: 2 · 32 layers · 8 KV heads · 128 · 2 B = 131,072 B.
    assert estimate_serving(ServingInputs(params=8e9, n_layers=32), H100).kv_bytes_per_token == 131_072


def test_roofline_bounds_the_measured_vllm_throughput_from_above():
    # LambdaLabsML/vllm-benchmark: 1×H100 Llama-3.1-8B-FP8 3,400 output tok/s (vLLM 0.5.4); with bf16 weights and
    # 256 sequences vLLM 0.6.0 reached 8,088. A roofline at full efficiency must not promise less.
    s = ServingInputs(params=8e9, n_layers=32, batch_size=256, weight_bytes=1.0, compute_efficiency=1.0,
                      memory_efficiency=1.0, prompt_tokens=200, output_tokens=200)
    assert estimate_serving(s, H100).decode_tokens_per_s > 8_088


def test_a_model_that_does_not_fit_says_how_to_fix_it():
    with pytest.raises(EstimateError, match="gpus_per_replica"):
        estimate_serving(ServingInputs(params=70e9), H100)
    assert estimate_serving(ServingInputs(params=70e9, gpus_per_replica=4), H100).max_batch > 0  # tp=4 as in A5.2


def test_measured_throughput_replaces_the_roofline():
    e = estimate_serving(ServingInputs(params=8e9, measured_output_tps=3400, utilisation=1.0, price=2.49), H100)
    assert e.bound == "measured" and e.usd_per_m_output == pytest.approx(0.2034, rel=1e-3)


def test_fleet_is_sized_for_the_peak_and_reports_its_real_utilisation():
    s = ServingInputs(params=8e9, tokens_per_day=5e9, peak_factor=2.0)
    e = estimate_serving(s, H100)
    share = s.prompt_tokens / (s.prompt_tokens + s.output_tokens)
    busy = s.tokens_per_day * (share / e.prefill_tokens_per_s + (1 - share) / e.decode_tokens_per_s)
    assert e.replicas == math.ceil(2 * busy / 86_400)
    assert e.fleet_utilisation == pytest.approx(busy / (e.replicas * 86_400))
    assert e.monthly_usd == pytest.approx(e.gpus * s.price * 730)


def test_api_break_even_is_where_a_replica_day_equals_the_api_bill():
    s = ServingInputs(params=8e9, tokens_per_day=1e9)
    e = estimate_serving(s, H100)
    table = api_break_even(e, s, api_price_table()).set_index("model")
    row = table.loc["gpt-4o"]
    assert row["break_even_tokens_per_day"] * row["api_usd_per_m_blended"] / 1e6 == pytest.approx(e.replica_day_usd)
    # An API cheaper than a fully used replica never breaks even.
    assert math.isnan(table.loc["llama-3.1-8b-instant", "break_even_tokens_per_day"])


# --- calibration --------------------------------------------------------------------------------------------

def test_calibration_scales_measured_flops_and_carries_a_gpu_measured_mfu():
    run = MeasuredRun("gpt-tiny", "NVIDIA H100 80GB HBM3", params=10_000_000, flops_per_unit=6e7, unit="token",
                      units_per_second=1_000, peak_flops=2e11, run_id=7, device_type="cuda")
    cal = calibrate(run, TrainingInputs(params=7e9, tokens=1e12, n_gpus=64), H100, units=1e12)
    assert cal.inputs.flops_per_token == pytest.approx(6e7 * 700)
    assert cal.inputs.mfu == pytest.approx(0.3)  # 6e7 × 1000 / 2e11
    assert cal.mfu_basis == "same_gpu"
    status = {p["figure"]: p["status"] for p in cal.provenance}
    assert status["MFU"] == "measured" and status["FLOPs per token (target)"] == "assumed"
    e = estimate_training(cal.inputs, H100)
    assert e.flops == pytest.approx(4.2e22) and "calibrated" in e.flops_method


def test_an_mfu_from_another_gpu_is_carried_over_and_labelled_as_such():
    run = MeasuredRun("gpt", "NVIDIA A100-SXM4-80GB", params=10_000_000, flops_per_unit=6e7, unit="token",
                      units_per_second=1_000, mfu=0.45, device_type="cuda")
    cal = calibrate(run, TrainingInputs(params=7e9, tokens=1e12), H100, units=1e12)
    assert cal.mfu_basis == "other_gpu" and cal.inputs.mfu == 0.45
    assert "carried over from another device" in cal.mfu_note
    assert next(p for p in cal.provenance if p["figure"] == "MFU")["status"] == "assumed"


@pytest.mark.parametrize(("device", "device_type"), [("Intel(R) Xeon(R) CPU @ 2.20GHz", "cpu"),
                                                     ("AMD EPYC 7B13", None), ("Apple MPS (Apple M2)", "mps")])
def test_a_cpu_measured_mfu_is_not_silently_used_for_a_gpu(device, device_type):
    run = MeasuredRun("lstm", device, params=1_000_000, flops_per_unit=6e6, unit="token", units_per_second=1e4,
                      mfu=0.86, device_type=device_type)
    base = TrainingInputs(params=7e9, tokens=1e12)
    cal = calibrate(run, base, H100, units=1e12)
    assert cal.mfu_basis == "not_gpu_default" and cal.inputs.mfu == default_mfu("h100-sxm", "llm").base
    assert "does not carry over" in cal.mfu_note and "use the measured MFU anyway" in cal.mfu_note
    assert {p["figure"]: p["status"] for p in cal.provenance}["MFU (measured, not used)"] == "measured"
    forced = calibrate(run, base, H100, units=1e12, use_measured_mfu=True)
    assert forced.mfu_basis == "not_gpu_forced" and forced.inputs.mfu == 0.86
    assert "at your request" in forced.mfu_note


def test_calibration_without_a_known_peak_falls_back_to_the_default_and_says_so():
    run = MeasuredRun("cnn", "cpu", params=1_000_000, flops_per_unit=3e9, unit="sample", units_per_second=100)
    cal = calibrate(run, TrainingInputs(params=1e8, tokens=None, samples=None), H100, units=1e9)
    mfu = next(p for p in cal.provenance if p["figure"] == "MFU")
    assert mfu["status"] == "assumed" and cal.inputs.mfu == default_mfu("h100-sxm", "other").base
    assert estimate_training(cal.inputs, H100).flops == pytest.approx(3e9 * 100 * 1e9)


def test_calibration_refuses_a_run_with_a_bad_unit():
    run = MeasuredRun("x", "cpu", params=10, flops_per_unit=1.0, unit="epoch", units_per_second=1.0, run_id=3)
    with pytest.raises(EstimateError, match="run 3: 'unit'"):
        calibrate(run, TrainingInputs(params=1e6, tokens=1e9), H100, units=1e9)


# --- vectorised sweep ---------------------------------------------------------------------------------------

def test_sweep_agrees_with_the_scalar_estimate():
    mfu = np.linspace(0.2, 0.6, 5)
    table = sweep_training(params=7e9, tokens=1e12, peak_flops=989e12, mfu=mfu, price=2.49, n_gpus=64, overhead=0)
    for u, cost in zip(mfu, table["cost_usd"], strict=True):
        e = estimate_training(TrainingInputs(params=7e9, tokens=1e12, mfu=u, price=2.49, n_gpus=64, **BARE), H100)
        assert cost == pytest.approx(e.cost_base_usd - e.storage_usd)


# --- the page's report -----------------------------------------------------------------------------------

def test_report_with_a_measured_run_is_calibrated_and_says_what_was_measured():
    from analytics.compute_report import CostRequest, build_report

    run = MeasuredRun("gpt-small", "NVIDIA H100", params=124_000_000, flops_per_unit=6 * 124e6 * 1.1, unit="token",
                      units_per_second=400_000, mfu=0.35, run_id=12)
    report = build_report(CostRequest(params=7e9, tokens=1e12), merged_gpus(), price_table(), api_price_table(), run)
    assert report.training.flops == pytest.approx(6 * 7e9 * 1.1 * 1e12)
    assert report.mfu.base == 0.35 and report.mfu.source == "calibration"
    assert set(report.provenance["status"]) == {"measured", "assumed"}
    # The MFU chart's curve passes through the estimate at the calibrated MFU.
    at = report.cost_vs_mfu.set_index("mfu")["cost_usd"]
    assert at.loc[0.34] > report.training.billed_gpu_hours * report.price.base > at.loc[0.36]


def test_report_keeps_training_when_serving_cannot_fit():
    from analytics.compute_report import CostRequest, build_report

    report = build_report(CostRequest(params=70e9, tokens=1e12), merged_gpus(), price_table(), api_price_table())
    assert report.training is not None and report.serving is None
    assert "gpus_per_replica" in report.serving_error and report.serving_curve.empty


def test_stored_benchmark_rows_map_to_measured_runs():
    from db.views_compute import RUN_COLUMNS, measured_run

    row = {"model_name": "mlp", "config_name": "smoke", "device_name": "cpu", "params": 50_000, "flops_per_unit": 3e5,
           "unit": "sample", "units_per_second": 2_000.0, "peak_flops": 1e11, "mfu": None, "created_at": None,
           "device_type": "cpu"}
    runs = pd.DataFrame([row], columns=RUN_COLUMNS, index=pd.Index([4], name="id"))
    run = measured_run(runs, 4)
    assert run == MeasuredRun("mlp", "cpu", params=50_000, flops_per_unit=3e5, unit="sample",
                              units_per_second=2_000.0, peak_flops=1e11, mfu=None, run_id=4, config_name="smoke",
                              device_type="cpu")
    assert run.measured_mfu == pytest.approx(3e5 * 2_000 / 1e11)
    assert measured_run(runs, 5) is None and measured_run(runs, None) is None


def test_fp8_report_serves_fp8_weights_on_the_fp8_peak():
    from analytics.compute_report import CostRequest, build_report

    tables = (merged_gpus(), price_table(), api_price_table())
    bf16 = build_report(CostRequest(params=8e9), *tables)
    fp8 = build_report(CostRequest(params=8e9, precision="fp8"), *tables)
    assert fp8.serving.weights_gb == bf16.serving.weights_gb / 2 == 8.0
    assert fp8.serving.prefill_tokens_per_s == pytest.approx(2 * bf16.serving.prefill_tokens_per_s, rel=0.01)
    no_fp8 = build_report(CostRequest(params=8e9, precision="fp8", gpu="a100-80gb"), *tables)
    assert no_fp8.training is None and "no fp8" in no_fp8.training_error and "no fp8" in no_fp8.serving_error


def test_fp8_default_mfu_is_measured_against_the_fp8_peak():
    # llm-foundry FP8 (14-30 % of the fp8 peak) and NeMo's Llama3-8B FP8 (711 of 1979 TFLOP/s = 36 %), REFERENCE A3/A4.
    fp8, bf16 = default_mfu("h100-sxm", "llm", "fp8"), default_mfu("h100-sxm", "llm")
    assert fp8.high == pytest.approx(711 / 1979, abs=0.01)
    # So fp8 promises at most ~1.6x the bf16 throughput at the base values, not 2x.
    assert 1.0 < fp8.base * H100.peak_flops("fp8") / (bf16.base * H100.peak_flops("bf16")) < 2.0
