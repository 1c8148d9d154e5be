"""Properties of the compute cost engine over generated inputs (hypothesis)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.gpu_catalogue import gpu
from analytics.serving_cost import ServingInputs, cost_vs_utilisation, estimate_serving
from analytics.training_cost import (
    BYTES_PER_PARAM_TRAIN,
    EstimateError,
    TrainingInputs,
    check_inputs,
    estimate_training,
)

H100 = gpu("h100-sxm")
sizes = st.floats(1e6, 1e12)
fractions = st.floats(0.01, 1.0)
prices = st.floats(0.1, 50.0)


# --- training -----------------------------------------------------------------------------------------------

@given(params=sizes, tokens=st.floats(1e6, 1e14), factor=st.floats(1.01, 100), mfu=fractions, price=prices)
def test_cost_is_monotone_in_tokens_params_and_price(params, tokens, factor, mfu, price):
    base = TrainingInputs(params=params, tokens=tokens, mfu=mfu, price=price, n_gpus=8)
    cost = estimate_training(base, H100).cost_base_usd
    for bigger in ({"tokens": tokens * factor}, {"params": params * factor}, {"price": price * factor}):
        assert estimate_training(replace(base, **bigger), H100).cost_base_usd > cost


@given(params=sizes, tokens=st.floats(1e6, 1e14), mfu=fractions, factor=st.floats(0.1, 0.99),
       attention=st.booleans(), overhead=st.floats(0.0, 0.5))
def test_cost_without_storage_times_mfu_is_constant(params, tokens, mfu, factor, attention, overhead):
    # Cost ∝ 1 / MFU once storage (which does not depend on the MFU) is switched off.
    base = TrainingInputs(params=params, tokens=tokens, mfu=mfu, storage_usd_per_gb_month=0.0, attention=attention,
                          failure_overhead=overhead)
    a = estimate_training(base, H100)
    b = estimate_training(replace(base, mfu=mfu * factor), H100)
    assert a.storage_usd == 0.0
    assert b.cost_base_usd * (mfu * factor) == pytest.approx(a.cost_base_usd * mfu, rel=1e-9)
    assert b.gpu_hours * (mfu * factor) == pytest.approx(a.gpu_hours * mfu, rel=1e-9)


@given(params=sizes, n_gpus=st.integers(1, 4096), seq=st.integers(128, 32_768), batch=st.integers(1, 16))
def test_memory_never_below_the_weights(params, n_gpus, seq, batch):
    e = estimate_training(TrainingInputs(params=params, tokens=1e9, n_gpus=n_gpus, seq_len=seq, micro_batch=batch),
                          H100)
    for m in (e.memory, e.memory_recompute):
        assert m.total_gb >= m.weights_gb > 0


@given(params=st.floats(1e6, 2e12), seq=st.integers(128, 32_768), batch=st.integers(1, 16),
       chip=st.sampled_from(["h100-sxm", "a100-40gb", "l4", "mi300x", "rtx-4090"]))
def test_the_fewest_gpus_that_fit_hold_the_weights_and_training_states(params, seq, batch, chip):
    device = gpu(chip)
    e = estimate_training(TrainingInputs(params=params, tokens=1e9, seq_len=seq, micro_batch=batch), device)
    for m in (e.memory, e.memory_recompute):
        if m.min_gpus is None:  # activations alone overflow one GPU: nothing to check but that it says so
            continue
        assert m.min_gpus * device.memory_gb * 1e9 >= 2 * params  # bf16 weights
        assert m.min_gpus * device.memory_gb * 1e9 >= BYTES_PER_PARAM_TRAIN * params  # weights + grads + Adam
        # ... and one GPU fewer would not hold them (the count is the fewest).
        if m.min_gpus > 1:
            fewer = estimate_training(TrainingInputs(params=params, tokens=1e9, seq_len=seq, micro_batch=batch,
                                                     n_gpus=m.min_gpus - 1), device)
            recompute = m is e.memory_recompute
            fewer_m = fewer.memory_recompute if recompute else fewer.memory
            assert fewer_m.total_gb > device.memory_gb


@given(mfu=st.floats(0.02, 0.98), gap=st.floats(0.001, 0.5), price=st.floats(0.2, 40), pgap=st.floats(0.01, 10))
def test_a_range_that_is_not_low_base_high_is_refused_naming_the_field(mfu, gap, price, pgap):
    ok = TrainingInputs(params=7e9, tokens=1e12, mfu=mfu, price=price)
    check_inputs(replace(ok, mfu_low=mfu, mfu_high=mfu, price_low=price, price_high=price))  # equal ends are fine
    bad = [
        ("mfu_low", {"mfu_low": min(1.0, mfu + gap)}),
        ("mfu_high", {"mfu_high": max(1e-6, mfu - gap)}),
        ("price_low", {"price_low": price + pgap}),
        ("price_high", {"price_high": max(1e-6, price - pgap / 100 * price)}),
    ]
    for field, change in bad:
        value = next(iter(change.values()))
        if math.isclose(value, mfu if field.startswith("mfu") else price):
            continue
        with pytest.raises(EstimateError, match=f"^'{field}' "):
            check_inputs(replace(ok, **change))


# --- serving ------------------------------------------------------------------------------------------------

serving_sizes = st.floats(1e8, 3e10)


@given(params=serving_sizes, low=st.floats(0.05, 0.95), step=st.floats(0.01, 0.5))
def test_serving_cost_per_million_falls_as_utilisation_rises(params, low, step):
    s = ServingInputs(params=params, gpus_per_replica=8)
    e = estimate_serving(s, H100)
    curve = cost_vs_utilisation(e, s, np.array([low, min(1.0, low + step)]))
    assert (np.diff(curve["usd_per_m_output"]) < 0).all() and (np.diff(curve["usd_per_m_input"]) < 0).all()
    higher = estimate_serving(replace(s, utilisation=min(1.0, low + step)), H100)
    lower = estimate_serving(replace(s, utilisation=low), H100)
    assert higher.usd_per_m_blended < lower.usd_per_m_blended


@given(params=serving_sizes, price=st.floats(0.1, 20), factor=st.floats(1.01, 10), load=st.floats(1e6, 1e11))
def test_serving_cost_per_million_rises_with_the_price(params, price, factor, load):
    s = ServingInputs(params=params, gpus_per_replica=8, price=price, tokens_per_day=load)
    a, b = estimate_serving(s, H100), estimate_serving(replace(s, price=price * factor), H100)
    for field in ("usd_per_m_input", "usd_per_m_output", "fleet_usd_per_m_input", "fleet_usd_per_m_output",
                  "fleet_usd_per_m_blended"):
        assert getattr(b, field) > getattr(a, field)
        assert getattr(b, field) == pytest.approx(getattr(a, field) * factor, rel=1e-9)  # and in proportion


@given(params=serving_sizes, b1=st.integers(1, 2048), extra=st.integers(1, 2048),
       context=st.sampled_from([(200, 50), (1_000, 250), (8_000, 1_000)]))
def test_serving_cost_per_million_falls_with_batch_until_memory_binds(params, b1, extra, context):
    prompt, output = context
    s = ServingInputs(params=params, gpus_per_replica=8, batch_size=b1, prompt_tokens=prompt, output_tokens=output)
    small = estimate_serving(s, H100)
    big = estimate_serving(replace(s, batch_size=b1 + extra), H100)
    assert big.usd_per_m_output <= small.usd_per_m_output * (1 + 1e-12)
    if small.bound == "memory" and b1 + extra <= small.max_batch:
        assert big.usd_per_m_output < small.usd_per_m_output  # a bigger batch shares each weight read
    if b1 >= small.max_batch:  # memory already caps the batch: a bigger request changes nothing
        assert big.batch == small.batch == small.max_batch
        assert big.usd_per_m_output == small.usd_per_m_output
