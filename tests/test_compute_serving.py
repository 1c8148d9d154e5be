"""Serving cost: hand-computed roofline figures, the fleet's $/1M that sums to its bill, mixture-of-experts shape."""

from __future__ import annotations

import pytest

from analytics.gpu_catalogue import gpu
from analytics.serving_cost import ServingInputs, estimate_serving

H100 = gpu("h100-sxm")  # 989 dense bf16 TFLOP/s, 3.35 TB/s, 80 GB (analytics/data/gpus.csv, REFERENCE A1)
LLAMA3_8B = {"params": 8e9, "n_layers": 32, "d_model": 4096, "n_kv_heads": 8, "head_dim": 128}


# --- the fleet's $/1M is what the fleet costs ----------------------------------------------------------------

@pytest.mark.parametrize("inputs", [
    ServingInputs(params=7e9, tokens_per_day=1e9),
    ServingInputs(params=7e9, tokens_per_day=1e7),  # one replica, nearly idle: the fleet figure is far above
    ServingInputs(params=8e9, tokens_per_day=5e9, peak_factor=3.0, prompt_tokens=2_000, output_tokens=400),
    ServingInputs(params=8e9, tokens_per_day=2e9, measured_output_tps=3_400, measured_input_tps=20_000),
    ServingInputs(params=46.7e9, active_params=12.9e9, n_layers=32, gpus_per_replica=2, tokens_per_day=3e9),
])
def test_fleet_dollars_per_million_times_monthly_tokens_is_the_monthly_fleet_cost(inputs):
    e = estimate_serving(inputs, H100)
    share_in = inputs.prompt_tokens / (inputs.prompt_tokens + inputs.output_tokens)
    monthly_in, monthly_out = share_in * e.monthly_tokens, (1 - share_in) * e.monthly_tokens
    assert e.monthly_tokens == pytest.approx(inputs.tokens_per_day * 730 / 24)
    assert e.monthly_usd == pytest.approx(e.gpus * inputs.price * 730)
    assert (e.fleet_usd_per_m_input * monthly_in + e.fleet_usd_per_m_output * monthly_out) / 1e6 == pytest.approx(
        e.monthly_usd)
    assert e.fleet_usd_per_m_blended * e.monthly_tokens / 1e6 == pytest.approx(e.monthly_usd)


def test_an_idle_fleet_costs_far_more_per_token_than_the_utilisation_input_says():
    # 1e7 tokens a day keep one H100 busy under 1 % of the day; the per-replica figure at 50 % hides that.
    e = estimate_serving(ServingInputs(params=7e9, tokens_per_day=1e7), H100)
    assert e.replicas == 1 and e.fleet_utilisation < 0.01
    assert e.fleet_usd_per_m_blended > 40 * e.usd_per_m_blended
    # Both use the same formula; only the utilisation differs (the fleet's own against the input's 50 %).
    assert e.fleet_usd_per_m_output * e.fleet_utilisation == pytest.approx(e.usd_per_m_output * 0.5)


# --- hand-computed roofline figures (Llama-3-8B shape, bf16, one H100, efficiencies 50 % / 60 %) --------------

def test_kv_cache_and_max_batch_by_hand():
    # KV per token = 2 · 32 layers · 8 KV heads · 128 · 2 B = 131,072 B (REFERENCE A5.1).
    # Free memory = 80e9 − 1.2 × (8e9 × 2 B) = 60.8e9 B; one 1,250-token sequence holds 131,072 × 1,250
    # = 163,840,000 B of KV; 60.8e9 / 163.84e6 = 371.09 → 371 sequences fit.
    e = estimate_serving(ServingInputs(**LLAMA3_8B, prompt_tokens=1_000, output_tokens=250), H100)
    assert e.kv_bytes_per_token == 131_072
    assert e.max_batch == 371


def test_a_batched_decode_step_by_hand():
    # Batch 32, average context 1,000 + 250/2 = 1,125 tokens: KV read = 131,072 × 1,125 × 32 = 4,718,592,000 B.
    # Memory: (16e9 + 4.718592e9) B / (3.35e12 × 0.6 = 2.01e12 B/s) = 10.3078 ms.
    # Compute: 2 · 8e9 · 32 / (989e12 × 0.5 = 494.5e12) = 1.0354 ms → memory-bound; 32 / 10.3078 ms = 3,104.5 tok/s.
    e = estimate_serving(ServingInputs(**LLAMA3_8B, batch_size=32, prompt_tokens=1_000, output_tokens=250), H100)
    assert e.bound == "memory" and e.batch == 32
    assert e.decode_tokens_per_s == pytest.approx(32 / ((16e9 + 4_718_592_000) / 2.01e12), rel=1e-12)
    assert e.decode_tokens_per_s == pytest.approx(3_104.5, abs=0.1)


def test_prefill_of_a_long_prompt_is_compute_bound_by_hand():
    # 1,000-token prompt: compute = 1,000 × (2 · 8e9 + 2 · 32 · 1,000 · 4,096) / 494.5e12 = 32.886 ms;
    # reading the weights once = 16e9 / 2.01e12 = 7.960 ms → compute-bound; 1,000 / 32.886 ms = 30,408 tok/s.
    e = estimate_serving(ServingInputs(**LLAMA3_8B, prompt_tokens=1_000), H100)
    assert e.prefill_bound == "compute"
    assert e.prefill_tokens_per_s == pytest.approx(494.5e12 / (16e9 + 2 * 32 * 1_000 * 4_096), rel=1e-12)
    assert e.prefill_tokens_per_s == pytest.approx(30_408, abs=1)


def test_prefill_of_a_short_prompt_waits_on_the_weights_by_hand():
    # 100-token prompt: compute = 100 × (16e9 + 2 · 32 · 100 · 4,096) / 494.5e12 = 3.241 ms < 7.960 ms weight
    # read → memory-bound: 100 tokens / (16e9 / 2.01e12 s) = 12,562.5 tok/s (a compute-only roofline said 30,8xx).
    e = estimate_serving(ServingInputs(**LLAMA3_8B, prompt_tokens=100), H100)
    assert e.prefill_bound == "memory"
    assert e.prefill_tokens_per_s == pytest.approx(12_562.5, rel=1e-12)


# --- mixture of experts: the shape follows the active parameters --------------------------------------------

def test_mixtral_kv_cache_uses_its_own_layers_and_gqa_heads():
    # Mixtral 8x7B (Jiang et al. 2024, "Mixtral of Experts", Table 1): 46.7B total, 12.9B active, 32 layers,
    # d_model 4096, 8 KV heads of 128 → KV = 2 · 32 · 8 · 128 · 2 B = 128 KiB per token, like Llama-3-8B.
    mixtral = ServingInputs(params=46.7e9, active_params=12.9e9, n_layers=32, d_model=4096, n_kv_heads=8,
                            head_dim=128, gpus_per_replica=2)
    e = estimate_serving(mixtral, H100)
    assert e.kv_bytes_per_token == 131_072 and e.n_layers == 32
    assert e.weights_gb == pytest.approx(93.4)  # memory holds every expert: 46.7e9 × 2 B
    # Inferred shape: from the 12.9B active parameters (40 layers), not from the 46.7B total (62 layers).
    inferred = estimate_serving(ServingInputs(params=46.7e9, active_params=12.9e9, gpus_per_replica=2), H100)
    assert inferred.n_layers == 40


def test_active_parameters_above_the_total_are_refused():
    from analytics.training_cost import EstimateError

    with pytest.raises(EstimateError, match="'active_params'"):
        estimate_serving(ServingInputs(params=8e9, active_params=9e9), H100)
