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
    (["train", "--params", "7e9", "--tokens", "1e12", "--gpu", "l40s"], "no price for 'l40s'"),
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
