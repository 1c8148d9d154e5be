"""Revenue Monte Carlo: 10,000 paths × 60 months, all stream kinds (MaaS, SaaS, subscription, units), vectorised
over paths, against the same model run path by path in a Python loop (timed on 100 paths, scaled to 10,000).

Run: ``python -m bench.bench_revenue``. Prints paths·months per second, both times and the ratio; checks that
the vectorised paths equal the per-path ones. Also times the deterministic model the Revenue page reruns after a
slider change (budget: 1 s for the whole page).
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

import numpy as np

from analytics.revenue.model import deterministic, simulate
from analytics.revenue.montecarlo import monte_carlo
from analytics.revenue.report import build_report
from analytics.revenue.spec import parse
from analytics.revenue.values import draw_all
from bench._report import Result, emit

PATHS, MONTHS, LOOP_PATHS = 10_000, 60, 100
ROOT = Path(__file__).resolve().parent.parent


def scenario() -> dict:
    """The shipped demo scenario (four streams, six ranged inputs) stretched to 60 months."""
    doc = json.loads((ROOT / "examples" / "demo-scenario.json").read_text(encoding="utf-8"))
    doc = copy.deepcopy(doc)
    doc["months"] = MONTHS
    return doc


def main() -> None:
    parsed = parse(scenario())
    monte_carlo(parsed, 500, seed=1)  # warm imports and caches
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        monte_carlo(parsed, PATHS, seed=0)
        best = min(best, time.perf_counter() - began)
    inputs = draw_all(parsed.values, LOOP_PATHS, seed=0)
    together = simulate(parsed, inputs).cash
    began = time.perf_counter()
    for p in range(LOOP_PATHS):
        alone = simulate(parsed, {k: v[p: p + 1] for k, v in inputs.items()}).cash
        np.testing.assert_allclose(alone[0], together[p], rtol=1e-9)
    loop = (time.perf_counter() - began) * PATHS / LOOP_PATHS
    began = time.perf_counter()
    for _ in range(5):
        build_report(parsed, tornado_output="cash")
    page_model = (time.perf_counter() - began) / 5
    deterministic(parsed)
    print(f"revenue Monte Carlo: {PATHS:,} paths × {MONTHS} months, {len(parsed.doc['streams'])} streams")
    print(f"  vectorised:         {best:8.3f} s  ({PATHS * MONTHS / best:,.0f} path·months/s)")
    print(f"  per-path loop:      {loop:8.3f} s  (timed on {LOOP_PATHS} paths, scaled)")
    print(f"  speed-up: {loop / best:.1f}x (same cash, path by path, to 1e-9)")
    print(f"  deterministic model + metrics + tornado (the page's rerun): {page_model * 1e3:.1f} ms")
    emit(Result("revenue", f"Monte Carlo {PATHS:,} paths × {MONTHS} months, 4 streams", best, loop, budget_s=1.0,
                reference="per-path loop"))
    emit(Result("revenue", "deterministic model, metrics and tornado (page rerun)", page_model, budget_s=1.0))


if __name__ == "__main__":
    main()
