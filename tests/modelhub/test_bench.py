"""The benchmark harness: FLOPs counted exactly on a hand-checked model, MFU arithmetic, GPU peak lookup."""

from __future__ import annotations

import os

import pytest

from modelhub import bench, hardware, registry

CATALOGUE_KEYS = ["h100-sxm", "h100-pcie", "h200", "a100-80gb", "a100-40gb", "l4", "l40s", "rtx-4090"]


def test_mlp_flops_per_sample_match_the_hand_count():
    recipe = registry.create("mlp", "smoke")
    # Forward: 2·64·128 + 2·128·10. Backward: weight gradients of both layers (same again) plus the input
    # gradient of the second layer only (the images need no gradient): 2·16,384 + 3·2,560 = 40,448.
    assert bench.flops_per_unit(recipe, recipe.example_batch(8)) == 40_448


def test_benchmark_reports_consistent_throughput_flops_and_mfu():
    result = bench.benchmark("mlp", "smoke", device="cpu", timed_steps=3, warmup=1, train=False, threads=1)
    assert result.params == 9_610 and result.unit == "sample" and result.batch_units == 32
    assert result.step_time_p10 <= result.step_time_median <= result.step_time_p90
    assert result.units_per_second == pytest.approx(32 / result.step_time_median)
    assert result.achieved_flops == pytest.approx(40_448 * result.units_per_second)
    assert result.mfu == pytest.approx(result.achieved_flops / result.peak_flops)
    assert "measured" in result.peak_source and result.hardware["device_type"] == "cpu"
    assert result.versions["torch"] and result.metric_value is None  # not trained: no metric is invented
    fingerprint = result.hardware  # what makes two stored runs comparable
    assert fingerprint["cpu_model"] == hardware.cpu_model() and fingerprint["cpu_model"]
    assert fingerprint["cpu_cores"] == os.cpu_count() and fingerprint["cpu_cores"] >= 1
    assert result.git_commit and len(result.git_commit.removesuffix("+dirty")) == 40  # this checkout's HEAD


def test_benchmark_with_training_records_the_final_metric():
    steps = []
    result = bench.benchmark("mlp", "smoke", device="cpu", timed_steps=2, warmup=1, threads=1, steps=7,
                             progress=lambda e: steps.append(e.step) if e.kind == "step" else None)
    assert result.metric_name == "test_accuracy" and 0.0 <= result.metric_value <= 1.0
    assert result.train_seconds > 0
    assert steps == list(range(1, 8))  # the steps= setting is the training run's, as for every command


@pytest.mark.parametrize(("name", "key"), [
    ("NVIDIA H100 80GB HBM3", "h100-sxm"), ("NVIDIA H100 PCIe", "h100-pcie"), ("NVIDIA H200", "h200"),
    ("NVIDIA A100-SXM4-40GB", "a100-40gb"), ("NVIDIA A100-SXM4-80GB", "a100-80gb"),
    ("NVIDIA GeForce RTX 4090", "rtx-4090"), ("NVIDIA GeForce RTX 3090", None), ("Tesla T4", None),
    ("NVIDIA L4", "l4"),
])
def test_gpu_names_map_to_their_catalogue_row(name, key):
    assert hardware.match_gpu(name, CATALOGUE_KEYS) == key


def test_h100_peak_is_the_dense_bf16_figure_not_the_sparse_one():
    peak = hardware.gpu_peak("NVIDIA H100 80GB HBM3", "bf16")
    assert peak.flops == pytest.approx(989e12) and not peak.measured
    assert hardware.gpu_peak("Tesla T4", "bf16").flops is None


def test_cpu_probe_measures_a_positive_rate():
    assert hardware.cpu_matmul_probe(1, n=128, repeats=2) > 1e6


def test_recurrent_layers_are_counted_analytically():
    import torch

    lstm = torch.nn.LSTM(3, 4, batch_first=True)
    # 2 FLOPs × 4 gates × hidden 4 × (input 3 + hidden 4) × (2 sequences × 5 steps) = 2,240.
    assert bench._recurrent_forward_flops(lstm, torch.zeros(2, 5, 3)) == 2_240
    two = torch.nn.LSTM(3, 4, num_layers=2)
    assert bench._recurrent_forward_flops(two, torch.zeros(5, 2, 3)) == 2_240 + 2 * 4 * 4 * 8 * 10


def test_time_to_target_is_noted_when_validation_first_meets_the_bar():
    from modelhub.trainer import TrainEvent

    watch = bench.TargetWatch(registry.get("mlp"), 0.9)
    watch(TrainEvent("eval", 10, 20, metrics={"val_accuracy": 0.5, "test_accuracy": 0.95}))
    assert watch.seconds is None  # the test metric never decides
    watch(TrainEvent("eval", 20, 20, metrics={"val_accuracy": 0.91, "test_accuracy": 0.5}))
    first = watch.seconds
    watch(TrainEvent("eval", 30, 20, metrics={"val_accuracy": 0.99}))
    assert first is not None and watch.seconds == first


def test_a_stop_request_during_the_timed_steps_ends_the_benchmark_without_a_result():
    from modelhub.trainer import StopTraining

    calls = []

    def stop_on_third_check():
        calls.append(1)
        return len(calls) >= 3  # before FLOPs, after FLOPs, then the first timed step

    with pytest.raises(StopTraining):
        bench.benchmark("mlp", "smoke", device="cpu", timed_steps=50, warmup=1, train=False, threads=1,
                        should_stop=stop_on_third_check)
    assert len(calls) == 3


def test_a_stop_request_during_training_is_not_swallowed_by_the_trainer():
    from modelhub.trainer import StopTraining

    steps = []

    def cancel_at_step_2(event):  # what a job's Reporter does when it finds its job cancelled
        if event.kind == "step":
            steps.append(event.step)
            if event.step == 2:
                raise StopTraining

    with pytest.raises(StopTraining):
        bench.benchmark("mlp", "smoke", device="cpu", timed_steps=2, warmup=1, threads=1, progress=cancel_at_step_2)
    assert steps == [1, 2]  # training stopped at the step that asked, and no result came back


def test_a_stop_request_between_fits_ends_a_fit_benchmark():
    from modelhub.trainer import StopTraining

    fits = []
    recipe = registry.create("naive_bayes", "smoke")
    real_fit = recipe.fit
    recipe.fit = lambda: fits.append(1) or real_fit()
    with pytest.raises(StopTraining):
        bench.bench_fit(recipe, repeats=3, should_stop=lambda: len(fits) >= 1)
    assert fits == [1]


def _plain_counter_flops(recipe, batch) -> float:
    """What FlopCounterMode alone counts (no analytic additions), per unit."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        recipe.loss(recipe.model, batch).backward()
    recipe.model.zero_grad(set_to_none=True)
    return counter.get_total_flops() / recipe.units_in(batch)


def test_cpu_attention_flops_are_added_analytically_and_match_the_math_kernels_count():
    import torch
    from torch.nn.attention import SDPBackend, sdpa_kernel

    torch.manual_seed(0)
    recipe = registry.create("gpt", "smoke")  # 1 layer, 32 wide, 32-byte context
    batch = recipe.example_batch(2)
    counted, source = bench.count_flops(recipe, batch)
    plain = _plain_counter_flops(recipe, batch)
    layers, width, context = (recipe.config[k] for k in ("n_layer", "n_embd", "block_size"))
    # Per token: QKᵀ and AV forward 4·T·C per layer, backward twice that: nanoGPT's 12·L·C·T.
    assert counted - plain == 12 * layers * width * context
    assert "scaled_dot_product_attention" in source and "added analytically" in source
    with sdpa_kernel(SDPBackend.MATH):  # the unfused kernel runs as bmm, which FlopCounterMode does count
        assert _plain_counter_flops(recipe, batch) == counted


def test_flop_source_says_what_was_counted_and_reaches_the_stored_result():
    mlp = bench.benchmark("mlp", "smoke", device="cpu", timed_steps=1, warmup=0, train=False, threads=1)
    assert mlp.flops_source == bench.COUNTER_SOURCE  # nothing added: the counter knows every op of an MLP
    lstm = bench.count_flops(registry.create("lstm", "smoke"), registry.create("lstm", "smoke").example_batch(2))
    assert "recurrent layers" in lstm[1] and "attention" not in lstm[1]
    assert mlp.as_dict()["versions"]["flop_counter"] == mlp.flops_source  # stored with the run's versions
