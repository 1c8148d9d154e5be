"""Compute cost engine: one full estimate against its 5 ms budget, and a 10,000-configuration sweep
(vectorised ``sweep_training``) against a per-configuration loop over ``estimate_training`` (0.5 s budget).

Run: ``python -m bench.bench_compute``. Prints the times and the speed-up; checks the answers agree.
"""

from __future__ import annotations

import timeit

import numpy as np

from analytics.compute_report import CostRequest, build_report
from analytics.gpu_catalogue import api_price_table, gpu, gpu_table, merged_gpus, price_table
from analytics.serving_cost import ServingInputs, estimate_serving
from analytics.training_cost import TrainingInputs, estimate_training, sweep_training
from bench._report import Result, emit

CONFIGS = 10_000
FULL_BUDGET_S, SWEEP_BUDGET_S = 0.005, 0.5


def _configs(seed: int = 11) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    table = gpu_table()
    keys = rng.choice(table.index.to_numpy(), CONFIGS)
    return {"params": 10 ** rng.uniform(8, 12, CONFIGS), "tokens": 10 ** rng.uniform(10, 13, CONFIGS),
            "gpu": keys, "peak": table.loc[keys, "bf16_tflops"].to_numpy() * 1e12,
            "mfu": rng.uniform(0.1, 0.6, CONFIGS), "price": rng.uniform(0.5, 12.0, CONFIGS),
            "n_gpus": rng.integers(1, 1025, CONFIGS).astype(float)}


def _loop(c: dict[str, np.ndarray], chips: dict) -> np.ndarray:
    """The obvious way: one full scalar estimate per configuration, keep its compute cost."""
    out = np.empty(CONFIGS)
    for i in range(CONFIGS):
        t = TrainingInputs(params=c["params"][i], tokens=c["tokens"][i], mfu=c["mfu"][i], price=c["price"][i],
                           n_gpus=int(c["n_gpus"][i]), attention=False, failure_overhead=0.10,
                           checkpoint_overhead=0.02)
        e = estimate_training(t, chips[c["gpu"][i]])
        out[i] = e.billed_gpu_hours * t.price
    return out


def _sweep(c: dict[str, np.ndarray]) -> np.ndarray:
    return sweep_training(params=c["params"], tokens=c["tokens"], peak_flops=c["peak"], mfu=c["mfu"],
                          price=c["price"], n_gpus=c["n_gpus"], overhead=0.12)["cost_usd"].to_numpy()


def _full(chip) -> None:
    estimate_training(TrainingInputs(params=7e9, tokens=1e12, n_gpus=64, mfu=0.4, mfu_low=0.35, mfu_high=0.46,
                                     price=2.49, price_low=2.49, price_high=12.29), chip)
    estimate_serving(ServingInputs(params=7e9, tokens_per_day=1e9), chip)


def main() -> None:
    chip = gpu("h100-sxm")
    t_full = min(timeit.repeat(lambda: _full(chip), number=200, repeat=5)) / 200
    gpus, prices, api = merged_gpus(), price_table(), api_price_table()
    t_page = min(timeit.repeat(lambda: build_report(CostRequest(), gpus, prices, api), number=10, repeat=3)) / 10
    print("one full estimate (training FLOPs, memory with/without recompute, GPU-hours, low/base/high, storage;")
    print(f"  serving roofline, $/1M in/out, fleet): {t_full * 1e3:8.3f} ms (budget {FULL_BUDGET_S * 1e3:.0f} ms)")
    print(f"  the page's whole report (+ charts' sweeps, API table): {t_page * 1e3:8.2f} ms")

    c = _configs()
    chips = {k: gpu(k) for k in np.unique(c["gpu"])}
    np.testing.assert_allclose(_sweep(c), _loop(c, chips), rtol=1e-9)
    t_sweep = min(timeit.repeat(lambda: _sweep(c), number=5, repeat=3)) / 5
    t_loop = min(timeit.repeat(lambda: _loop(c, chips), number=1, repeat=2))
    print(f"sweep of {CONFIGS:,} training configurations (6·N·D, random N, D, GPU, MFU, price, cluster)")
    print(f"  vectorised (sweep_training):        {t_sweep * 1e3:8.2f} ms (budget {SWEEP_BUDGET_S * 1e3:.0f} ms)")
    print(f"  loop of estimate_training calls:    {t_loop * 1e3:8.2f} ms")
    print(f"  speed-up: {t_loop / t_sweep:.1f}x (same costs to 1e-9)")
    emit(Result("compute", "one full training + serving estimate", t_full, budget_s=FULL_BUDGET_S))
    emit(Result("compute", "the Compute cost page's report", t_page))
    emit(Result("compute", f"training sweep, {CONFIGS:,} configurations", t_sweep, t_loop,
                budget_s=SWEEP_BUDGET_S, reference="per-config loop"))


if __name__ == "__main__":
    main()
