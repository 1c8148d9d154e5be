"""Monthly burn: vectorised NumPy (analytics.burn) vs a plain Python loop over rows × months.

Run: ``python -m bench.bench_burn``. Prints both times and the speed-up; checks the answers agree.
"""

from __future__ import annotations

import calendar
import timeit
from datetime import date, timedelta

import numpy as np
import pandas as pd

from analytics.burn import PAY_PER_USE, month_starts, monthly_burn
from bench._report import Result, emit

PEOPLE, GPUS, BUDGET_LINES, MONTHS = 200, 50, 2_000, 36


def _workspace(seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DatetimeIndex]:
    rng = np.random.default_rng(seed)
    start = date(2026, 1, 1)
    offsets = rng.integers(-100, 900, PEOPLE)
    people = pd.DataFrame({
        "monthly_cost_usd": rng.uniform(6_000, 20_000, PEOPLE),
        "start_date": [start + timedelta(days=int(d)) for d in offsets],
        "end_date": [start + timedelta(days=int(d) + 400) if d % 3 == 0 else None for d in offsets],
    })
    compute = pd.DataFrame({
        "count": rng.integers(1, 16, GPUS), "hourly_rate_usd": rng.uniform(0.5, 4.0, GPUS),
        "pricing": rng.choice(["on_demand", "reserved", "spot"], GPUS), "utilisation": rng.uniform(0.2, 1.0, GPUS),
        "start_date": [start + timedelta(days=int(d)) for d in rng.integers(0, 500, GPUS)], "end_date": None,
    })
    budget = pd.DataFrame({
        "category": rng.choice(["rd", "marketing", "operations"], BUDGET_LINES),
        "month": [date(2026 + m // 12, m % 12 + 1, 1) for m in rng.integers(0, MONTHS, BUDGET_LINES)],
        "planned_usd": rng.uniform(100, 10_000, BUDGET_LINES),
    })
    return people, compute, budget, month_starts(start, MONTHS)


def _reference(people: pd.DataFrame, compute: pd.DataFrame, budget: pd.DataFrame, months) -> list[float]:
    """The obvious loop: for each month, for each row, count the days it is active."""
    totals = []
    for m in months:
        first = m.date()
        days = calendar.monthrange(first.year, first.month)[1]
        last = first + timedelta(days=days - 1)
        total = 0.0
        for row in people.itertuples():
            lo = max(first, row.start_date or first)
            hi = min(last, row.end_date or last)
            if hi >= lo:
                total += row.monthly_cost_usd * ((hi - lo).days + 1) / days
        for row in compute.itertuples():
            lo = max(first, row.start_date or first)
            hi = min(last, row.end_date or last)
            if hi >= lo:
                used = row.utilisation if row.pricing in PAY_PER_USE else 1.0
                total += row.count * row.hourly_rate_usd * used * 24 * ((hi - lo).days + 1)
        for row in budget.itertuples():
            if row.month == first:
                total += row.planned_usd
        totals.append(total)
    return totals


def main() -> None:
    people, compute, budget, months = _workspace()
    fast = monthly_burn(people, compute, budget, months)["total"].to_numpy()
    slow = np.array(_reference(people, compute, budget, months))
    np.testing.assert_allclose(fast, slow, rtol=1e-9)
    t_fast = min(timeit.repeat(lambda: monthly_burn(people, compute, budget, months), number=5, repeat=3)) / 5
    t_slow = min(timeit.repeat(lambda: _reference(people, compute, budget, months), number=1, repeat=3))
    print(f"monthly burn: {PEOPLE} people, {GPUS} GPU lines, {BUDGET_LINES} budget lines, {MONTHS} months")
    print(f"  vectorised (analytics.burn): {t_fast * 1e3:8.2f} ms")
    print(f"  plain Python reference:      {t_slow * 1e3:8.2f} ms")
    print(f"  speed-up: {t_slow / t_fast:.1f}x (same totals to 1e-9)")
    emit(Result("burn", f"monthly burn, {PEOPLE} people × {MONTHS} months", t_fast, t_slow, reference="plain loop"))


if __name__ == "__main__":
    main()
