"""``python -m analytics compute``: every figure as JSON, refusals as one line and exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from analytics.__main__ import main as analytics_main
from analytics.cli_compute import main
from tests.conftest import ROOT


def _json(capsys, argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_train_prints_every_figure_as_json(capsys):
    out = _json(capsys, ["train", "--params", "7e9", "--tokens", "1e12", "--gpu", "h100-sxm", "--gpus", "64",
                         "--mfu", "0.4", "--price", "2.5", "--json"])
    assert {"flops", "gpu_hours", "wall_clock_hours", "cost_usd", "memory_gb_per_gpu", "min_gpus",
            "storage_gb", "assumptions"} <= set(out)
    assert set(out["cost_usd"]) == {"low", "base", "high"}
    # 6ND = 4.2e22 plus the attention term 12·L·d·s per token (shape inferred: 33 layers × 4224).
    assert out["flops"] == pytest.approx(4.2e22 + 12 * 33 * 4224 * 2048 * 1e12)
    assert out["gpu_hours"] == pytest.approx(out["flops"] / (989e12 * 0.4) / 3600)
    assert out["wall_clock_hours"] == pytest.approx(out["billed_gpu_hours"] / 64)
    assert out["cost_usd"]["base"] == pytest.approx(out["billed_gpu_hours"] * 2.5 + out["storage_usd"])


def test_train_without_mfu_or_price_uses_the_catalogue_ranges(capsys):
    out = _json(capsys, ["train", "--params", "7e9", "--tokens", "1e12", "--gpu", "h100-sxm", "--json"])
    assert out["mfu"] == {"low": 0.35, "base": 0.40, "high": 0.46}
    assert out["price_usd_per_gpu_hour"]["low"] == 2.49 and out["price_usd_per_gpu_hour"]["high"] == 12.29
    assert out["cost_usd"]["low"] < out["cost_usd"]["base"] < out["cost_usd"]["high"]


def test_serve_prints_throughput_and_dollars_per_million(capsys):
    out = _json(capsys, ["serve", "--params", "8e9", "--gpu", "h100-sxm", "--tokens-per-day", "1e9", "--json"])
    assert {"decode_tokens_per_s", "prefill_tokens_per_s", "usd_per_m_input_tokens", "usd_per_m_output_tokens",
            "gpus", "weights_gb", "monthly_usd"} <= set(out)
    hour = out["price_usd_per_gpu_hour"]
    assert out["usd_per_m_output_tokens"] == pytest.approx(hour / (out["decode_tokens_per_s"] * 3600 * 0.5) * 1e6)
    assert out["weights_gb"] == 16.0


def test_text_output_without_json_lists_the_figures(capsys):
    assert main(["serve", "--params", "8e9", "--gpu", "h100-sxm", "--tokens-per-day", "1e9"]) == 0
    assert "usd_per_m_output_tokens:" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "message"), [
    (["train", "--params", "7e9", "--tokens", "1e12", "--gpu", "h999"], "unknown GPU 'h999'"),
    (["train", "--params", "0", "--tokens", "1e12", "--gpu", "h100-sxm"], "'params' must be a positive"),
    (["train", "--params", "-7e9", "--tokens", "1e12", "--gpu", "h100-sxm"], "'params' must be a positive"),
    (["train", "--params", "7e9", "--tokens", "-1", "--gpu", "h100-sxm"], "'tokens' must be a positive"),
    (["train", "--params", "7e9", "--tokens", "1e12", "--gpu", "h100-sxm", "--gpus", "0"], "'gpus'"),
    (["train", "--params", "7e9", "--tokens", "1e12", "--gpu", "h100-sxm", "--mfu", "0"], "'mfu' must be in (0, 1]"),
    (["train", "--params", "7e9", "--tokens", "1e12", "--gpu", "h100-sxm", "--mfu", "1.2"], "'mfu' must be in"),
    (["train", "--params", "7e9", "--tokens", "1e12", "--gpu", "l4", "--kind", "spot"], "no spot price for 'l4'"),
    (["serve", "--params", "8e9", "--gpu", "l4", "--tokens-per-day", "1e9", "--kind", "reserved"],
     "no reserved price for 'l4'"),
    (["train", "--params", "7e9", "--tokens", "1e12", "--gpu", "h100-sxm", "--kind", "weekly"],
     "argument --kind: invalid choice: 'weekly'"),
    (["train", "--params", "7e9", "--tokens", "1e12", "--gpu", "h100-sxm", "--seq-len", "0"], "'seq-len'"),
    (["train", "--params", "7e9", "--tokens", "1e12", "--gpu", "h100-sxm", "--layers", "0"], "'layers'"),
    (["train", "--params", "7e9", "--tokens", "1e12", "--gpu", "h100-sxm", "--d-model", "40.5"],
     "'d-model' must be a positive whole number"),
    (["serve", "--params", "8e9", "--gpu", "h100-sxm", "--tokens-per-day", "1e9", "--batch", "0"], "'batch'"),
    (["serve", "--params", "8e9", "--gpu", "h100-sxm", "--tokens-per-day", "1e9", "--peak-factor", "0.5"],
     "'peak_factor' must be at least 1"),
    (["serve", "--params", "8e9", "--gpu", "h100-sxm", "--tokens-per-day", "1e9", "--measured-tps", "-5"],
     "'measured-tps' must be a positive number"),
    (["serve", "--params", "8e9", "--gpu", "h100-sxm", "--tokens-per-day", "1e9", "--kv-heads", "0"], "'kv-heads'"),
    (["serve", "--params", "8e9", "--gpu", "h100-sxm", "--tokens-per-day", "1e9", "--prompt-tokens", "0"],
     "'prompt-tokens'"),
    (["train", "--params", "nan", "--tokens", "1e12", "--gpu", "h100-sxm"], "not a finite number"),
    (["serve", "--params", "8e9", "--gpu", "h100-sxm", "--tokens-per-day", "0"], "'tokens_per_day'"),
    (["serve", "--params", "8e9", "--gpu", "nope", "--tokens-per-day", "1e9"], "unknown GPU"),
    (["serve", "--params", "8e9", "--gpu", "h100-sxm", "--tokens-per-day", "1e9", "--utilisation", "2"],
     "'utilisation'"),
    (["fly"], "invalid choice"),
    (["train", "--params", "7e9", "--tokens", "1e12", "--gpu", "h100-sxm", "--precision", "int8"],
     "argument --precision: invalid choice: 'int8'"),
    (["train", "--params", "7e9", "--tokens", "1e12", "--gpu", "a100-80gb", "--precision", "fp8"],
     "a100-80gb has no fp8 peak"),
    (["serve", "--params", "8e9", "--gpu", "a100-80gb", "--tokens-per-day", "1e9", "--precision", "fp8"],
     "a100-80gb has no fp8 peak"),
])
def test_refusals_are_one_line_and_exit_code_2(capsys, argv, message):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err and captured.err.count("\n") == 1 and captured.err.startswith("error:")


def test_the_analytics_dispatcher_routes_compute(capsys):
    assert analytics_main(["compute", "train", "--params", "1e9", "--tokens", "2e10", "--gpu", "a100-80gb",
                           "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["gpu"] == "a100-80gb"


def test_module_runs_as_a_program():
    proc = subprocess.run([sys.executable, "-m", "analytics", "compute", "serve", "--params", "8e9", "--gpu",
                           "h100-sxm", "--tokens-per-day", "1e9", "--json"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["gpus"] >= 1


TRAIN = ["train", "--params", "7e9", "--tokens", "1e12", "--gpu", "h100-sxm", "--gpus", "64", "--price", "2.5",
         "--json"]
SERVE = ["serve", "--params", "8e9", "--gpu", "h100-sxm", "--tokens-per-day", "1e9", "--price", "3", "--json"]


@pytest.mark.parametrize("command", [TRAIN, SERVE])
def test_every_precision_prints_the_same_json_keys(capsys, command):
    outputs = {p: _json(capsys, [*command, "--precision", p]) for p in ("bf16", "fp16", "fp8", "fp32")}
    keys = {p: set(out) for p, out in outputs.items()}
    assert keys["fp16"] == keys["fp8"] == keys["fp32"] == keys["bf16"] == set(_json(capsys, command))
    assert {p: out["precision"] for p, out in outputs.items()} == {p: p for p in outputs}


def test_training_precision_picks_the_catalogue_peak(capsys):
    # H100 SXM dense peaks in analytics/data/gpus.csv: 989 bf16/fp16, 1979 fp8, 67 fp32 TFLOP/s (REFERENCE A1).
    at = {p: _json(capsys, [*TRAIN, "--mfu", "0.4", "--precision", p]) for p in ("bf16", "fp16", "fp8", "fp32")}
    assert at["fp16"]["gpu_hours"] == at["bf16"]["gpu_hours"]
    assert at["bf16"]["gpu_hours"] / at["fp8"]["gpu_hours"] == pytest.approx(1979 / 989)
    assert at["fp32"]["gpu_hours"] / at["bf16"]["gpu_hours"] == pytest.approx(989 / 67)
    assert at["fp32"]["flops"] == at["bf16"]["flops"]  # precision changes the rate, not the work


def test_fp8_training_defaults_to_the_fp8_mfu_range_and_fp32_says_its_mfu_is_assumed(capsys):
    fp8 = _json(capsys, [*TRAIN, "--precision", "fp8"])
    # llm-foundry FP8 14-30 % and NeMo Llama3-8B FP8 36 % of the fp8 peak (REFERENCE A3/A4).
    assert fp8["mfu"] == {"low": 0.15, "base": 0.30, "high": 0.36}
    fp32 = _json(capsys, [*TRAIN, "--precision", "fp32"])
    assert any(a["assumption"] == "fp32 MFU" and a["source"] == "assumed" for a in fp32["assumptions"])
    measured = _json(capsys, [*TRAIN, "--precision", "fp32", "--mfu", "0.5"])
    assert not any(a["assumption"] == "fp32 MFU" for a in measured["assumptions"])


def test_serving_precision_sets_the_bytes_per_weight(capsys):
    at = {p: _json(capsys, [*SERVE, "--precision", p]) for p in ("bf16", "fp16", "fp8", "fp32")}
    assert [at[p]["weights_gb"] for p in ("fp8", "bf16", "fp16", "fp32")] == [8.0, 16.0, 16.0, 32.0]
    assert at["fp32"]["kv_cache_bytes_per_token"] == 2 * at["bf16"]["kv_cache_bytes_per_token"]
    # Decode at the default batch of 32 is memory-bound: fewer bytes per weight, more tokens/s, fewer $ per 1M output.
    assert at["fp8"]["usd_per_m_output_tokens"] < at["bf16"]["usd_per_m_output_tokens"] \
        < at["fp32"]["usd_per_m_output_tokens"]


def test_the_issue_worked_example_is_reproduced_with_no_attention(capsys):
    # Issue 4 / REFERENCE A6: 7B × 1T tokens = 6·N·D = 4.2e22 FLOPs; 29.5k H100-hours at 40 % MFU. The default
    # adds the attention term, so the bare 6·N·D figure needs --no-attention.
    out = _json(capsys, [*TRAIN, "--mfu", "0.4", "--no-attention"])
    assert out["flops"] == pytest.approx(4.2e22) and out["attention"] is False
    assert out["gpu_hours"] == pytest.approx(29_491, rel=1e-3)
    # 989e12 × 0.4 / (6 × 7e9) = 9,419 tokens/s per GPU, × 64 GPUs.
    assert out["tokens_per_s_per_gpu"] == pytest.approx(9_419.05, abs=0.01)
    assert out["tokens_per_s_cluster"] == pytest.approx(64 * out["tokens_per_s_per_gpu"])


def test_train_takes_the_shape_and_sequence_length(capsys):
    out = _json(capsys, [*TRAIN, "--layers", "32", "--d-model", "4096", "--seq-len", "4096"])
    assert (out["layers"], out["d_model"], out["seq_len"]) == (32, 4096, 4096)
    assert out["flops"] == pytest.approx((6 * 7e9 + 12 * 32 * 4096 * 4096) * 1e12)


def test_price_kind_picks_the_catalogue_rows(capsys):
    # analytics/data/gpu_prices.csv: H100 SXM reserved $1.62 and spot $1.25 (derived, REFERENCE A5.5).
    base = ["train", "--params", "7e9", "--tokens", "1e12", "--gpu", "h100-sxm", "--json"]
    assert _json(capsys, [*base, "--kind", "reserved"])["price_usd_per_gpu_hour"]["base"] == 1.62
    spot = _json(capsys, [*base, "--kind", "spot"])
    assert spot["price_usd_per_gpu_hour"]["base"] == 1.25 and spot["price_kind"] == "spot"
    serve = _json(capsys, ["serve", "--params", "8e9", "--gpu", "mi300x", "--tokens-per-day", "1e9", "--kind", "spot",
                           "--json"])
    assert serve["price_usd_per_gpu_hour"] == 1.71  # Crusoe spot MI300X (cliffcenter.com, 2026-05-18)


def test_serve_takes_a_measured_throughput_and_the_request_shape(capsys):
    out = _json(capsys, [*SERVE, "--measured-tps", "3400", "--utilisation", "1", "--price", "2.49"])
    # REFERENCE A5.3: 3,400 tok/s at $2.49/h and 100 % utilisation → $0.20 per 1M output tokens.
    assert out["bound"] == "measured" and out["usd_per_m_output_tokens"] == pytest.approx(0.2034, rel=1e-3)
    share_in = 1000 / 1250
    fleet = (out["fleet_usd_per_m_input_tokens"] * share_in + out["fleet_usd_per_m_output_tokens"] * (1 - share_in))
    assert fleet * out["monthly_tokens"] / 1e6 == pytest.approx(out["monthly_usd"])
    small = _json(capsys, [*SERVE, "--batch", "4", "--prompt-tokens", "200", "--output-tokens", "50",
                           "--peak-factor", "3"])
    assert small["batch"] == 4
    assert _json(capsys, [*SERVE, "--layers", "32", "--kv-heads", "8"])["kv_cache_bytes_per_token"] == 131_072
    assert _json(capsys, [*SERVE, "--layers", "32", "--kv-heads", "1", "--head-dim", "64"])[
        "kv_cache_bytes_per_token"] == 2 * 32 * 1 * 64 * 2
