"""Monte Carlo over every ranged input (seeded, vectorised over paths and months) and tornado sensitivity.

A path draws each ranged input once (``analytics.revenue.values``) and runs the whole monthly model; the
summary keeps what a founder reads: P10/P50/P90 fans of cash and revenue, the probability that cash has run
out by each month, and the distribution of the break-even month. Paths run in chunks so memory stays bounded
(the MaaS engine holds paths × months × 32 usage groups). A tornado is ONE vectorised run too: path 0 at base,
then each input at its low and its high with the others at base.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.revenue.model import ModelRun, break_even_month, simulate
from analytics.revenue.spec import Parsed, input_label
from analytics.revenue.values import Value, draw_all, one_at_a_time

PERCENTILES = (10, 50, 90)
CHUNK = 2500
OUTPUTS = {"cash": "cash at month end", "revenue": "revenue in the month", "ebitda": "EBITDA in the month",
           "cumulative_ebitda": "EBITDA summed to the month"}


@dataclass(frozen=True)
class MonteCarlo:
    """The summary of ``paths`` simulated worlds; fans are (percentile → months array)."""

    paths: int
    seed: int
    ranged_inputs: list[str]  # paths in the scenario file, e.g. streams[0].cac_usd
    ranged_labels: list[str]  # the same inputs as a founder reads them, e.g. "Legal API · CAC ($)"
    cash: dict[int, np.ndarray]
    revenue: dict[int, np.ndarray]
    ebitda: dict[int, np.ndarray]
    p_cash_out_by: np.ndarray  # P(cash < 0 at some month ≤ n), per month n
    break_even: np.ndarray  # each path's break-even month, −1 when not within the horizon

    @property
    def p_break_even(self) -> float:
        return float((self.break_even >= 0).mean())

    def break_even_percentiles(self) -> dict[int, float]:
        """P10/P50/P90 of the break-even month, counting 'never' as beyond the horizon (nan if past it)."""
        months = len(self.p_cash_out_by)
        values = np.where(self.break_even >= 0, self.break_even, months)
        return {q: (float(v) if v < months else float("nan"))
                for q, v in zip(PERCENTILES, np.percentile(values, PERCENTILES, method="lower"), strict=True)}


def _chunk(parsed: Parsed, inputs: dict[str, np.ndarray], lo: int, hi: int) -> ModelRun:
    return simulate(parsed, {k: v[lo:hi] for k, v in inputs.items()})


def monte_carlo(parsed: Parsed, paths: int = 10_000, seed: int = 0) -> MonteCarlo:
    """Run ``paths`` seeded paths; with no ranged input every path equals the deterministic model."""
    inputs = draw_all(parsed.values, paths, seed)
    cash, revenue, ebitda, be = [], [], [], []
    for lo in range(0, paths, CHUNK):
        run = _chunk(parsed, inputs, lo, min(paths, lo + CHUNK))
        cash.append(run.cash)
        revenue.append(run.revenue)
        ebitda.append(run.ebitda)
        be.append(break_even_month(run))
    c, r, e = np.vstack(cash), np.vstack(revenue), np.vstack(ebitda)

    def fan(a: np.ndarray) -> dict[int, np.ndarray]:
        return dict(zip(PERCENTILES, np.percentile(a, PERCENTILES, axis=0), strict=True))

    out_by = (np.minimum.accumulate(c, axis=1) < 0).mean(axis=0)
    ranged = sorted(k for k, v in parsed.values.items() if v.is_range)
    return MonteCarlo(paths=paths, seed=seed, ranged_inputs=ranged,
                      ranged_labels=[input_label(parsed.doc, k) for k in ranged],
                      cash=fan(c), revenue=fan(r), ebitda=fan(e), p_cash_out_by=out_by, break_even=np.concatenate(be))


def output_of(run: ModelRun, output: str, month: int) -> np.ndarray:
    """The chosen output of every path at ``month``."""
    if output == "cash":
        return run.cash[:, month]
    if output == "revenue":
        return run.revenue[:, month]
    if output == "ebitda":
        return run.ebitda[:, month]
    if output == "cumulative_ebitda":
        return run.ebitda[:, : month + 1].sum(axis=1)
    raise ValueError(f"output must be one of {', '.join(OUTPUTS)} (got {output!r})")


def tornado(parsed: Parsed, output: str = "cash", month: int | None = None, screen: float = 0.2) -> pd.DataFrame:
    """Swing of ``output`` at ``month`` when each input moves to its low and high, the others at base.

    Ranged inputs use their own low/high. With no ranged input, every non-zero point input is screened at
    ±``screen`` (investors' "±10–20 %" habit, REFERENCE.md B4.2). Rows are sorted by swing, largest first.
    """
    month = parsed.months - 1 if month is None else month
    if not 0 <= month < parsed.months:
        raise ValueError(f"month must be within 0 and {parsed.months - 1} (got {month})")
    values = dict(parsed.values)
    keys = sorted(k for k, v in values.items() if v.is_range)
    if not keys:
        for key, v in values.items():
            lo, hi = parsed.bounds.get(key, (None, None))
            # Points only (horizon, event months, tier edges) have no limits; a plan mix must keep adding up to 1.
            if v.base and lo is not None and not key.endswith(".mix"):
                values[key] = Value(v.base, max(lo, v.base * (1 - screen)), min(hi, v.base * (1 + screen)))
                keys.append(key)
        keys.sort()
    inputs, _ = one_at_a_time(values, keys)
    result = output_of(simulate(parsed, inputs), output, month)
    base = float(result[0])
    rows = []
    for i, key in enumerate(keys):
        low, high = float(result[1 + 2 * i]), float(result[2 + 2 * i])
        rows.append({"input": key, "label": input_label(parsed.doc, key), "low": values[key].low,
                     "high": values[key].high, "output_at_low": low, "output_at_high": high,
                     "swing": abs(high - low), "base_output": base})
    columns = ["input", "label", "low", "high", "output_at_low", "output_at_high", "swing", "base_output"]
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values("swing", ascending=False, ignore_index=True)
