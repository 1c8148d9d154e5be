"""SaaS and usage metrics of one path of the monthly model, with their standard definitions and benchmark bands.

Definitions follow REFERENCE.md B2 (ChartMogul, a16z, Bessemer, David Sacks). Where a convention has to be
chosen it is stated in the metric's ``definition`` and shown on the page:

- MRR counts recurring revenue only (seats, plans, recurring unit lines, MaaS commitments); metered usage is
  reported apart, and its ARR is the run rate 4 × trailing-3-month usage revenue (the most common convention);
- NRR and GRR are chain-linked: the product of the last 12 months' retention of the MRR at each month's start;
- LTV is gross-margin LTV: ARPA × gross margin ÷ the trailing six-month average logo churn (ChartMogul, excluding
  the current month); CAC is acquisition spend ÷ new customers over the trailing three months.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from analytics.revenue.model import ModelRun
from analytics.revenue.streams import MOVEMENTS


@dataclass(frozen=True)
class Metric:
    name: str
    value: float  # nan when undefined (e.g. LTV with no churn); inf is kept where it is the honest answer
    unit: str  # "usd", "ratio", "pct", "months"
    definition: str
    band: str  # the benchmark bands, in words
    verdict: str  # which band the value falls in; when the value is undefined, why ("n/a: not burning")
    source: str

    @property
    def shown(self) -> str:
        """The value as a founder reads it: $103,343, 83.6 %, 2.1×, 5.2 mo; n/a when undefined."""
        v = self.value
        if math.isnan(v):
            return "n/a"
        if math.isinf(v):
            return "∞" if v > 0 else "−∞"
        if self.unit == "usd":
            return f"${v:,.0f}" if abs(v) >= 1000 else f"${v:,.2f}"
        return {"pct": f"{v:.1f} %", "ratio": f"{v:.2f}×", "months": f"{v:.1f} mo"}.get(self.unit, f"{v:,.4g}")


def metrics_frame(metrics: list[Metric]) -> pd.DataFrame:
    """One row per metric with its value formatted, its band and where its definition comes from."""
    return pd.DataFrame([{"metric": m.name, "value": m.shown, "band": m.verdict, "benchmark": m.band,
                          "definition": m.definition, "source": m.source} for m in metrics],
                        columns=["metric", "value", "band", "benchmark", "definition", "source"])


def _window(a: np.ndarray, month: int, length: int) -> np.ndarray:
    return a[max(0, month - length + 1): month + 1]


def _safe(num: float, den: float) -> float:
    return num / den if den else math.nan


def _band(value: float, edges: list[tuple[float, str]], otherwise: str) -> str:
    """The first band whose lower edge ``value`` reaches (edges from best to worst)."""
    if math.isnan(value):
        return ""
    for edge, label in edges:
        if value >= edge:
            return label
    return otherwise


def movements_total(run: ModelRun, usage: bool = False, path: int = 0) -> dict[str, np.ndarray]:
    """The five MRR movements summed over streams (``usage=True``: of the metered revenue instead)."""
    out = {m: np.zeros(run.months) for m in MOVEMENTS}
    for s in run.streams:
        source = s.usage_movements if usage else s.movements
        if source is None:
            continue
        for m in MOVEMENTS:
            out[m] += source[m][path]
    return out


def chain_retention(run: ModelRun, month: int, path: int = 0, net: bool = True) -> float:
    """NRR (``net``) or GRR over the 12 months ending at ``month``, chain-linked from monthly movements."""
    mrr = run.total("recurring")[path]
    mv = movements_total(run, path=path)
    factor, seen = 1.0, 0
    for t in range(max(1, month - 11), month + 1):
        start = mrr[t - 1]
        if start <= 0:
            continue
        lost = mv["churn"][t] + mv["contraction"][t]
        gained = mv["expansion"][t] if net else 0.0
        factor *= (start + gained - lost) / start
        seen += 1
    return factor if seen else math.nan


def metrics_at(run: ModelRun, month: int, path: int = 0) -> list[Metric]:
    """The headline metrics at ``month`` (0-based) of one path."""
    p = path
    revenue, cogs = run.revenue[p], run.cogs[p]
    mrr = run.total("recurring")[p]
    usage = revenue - mrr
    customers = run.total("customers")[p]
    new = run.total("new_customers")[p]
    churned = run.total("churned_customers")[p]
    acquisition = run.opex["acquisition"][p]
    ocf = run.operating_cash_flow[p]
    gm = _safe(float(revenue[month] - cogs[month]), float(revenue[month]))
    arpa = _safe(float(revenue[month]), float(customers[month]))
    starts = np.concatenate([[0.0], customers[:-1]])
    churn_months = [_safe(float(churned[t]), float(starts[t])) for t in range(max(1, month - 6), month)]
    churn_months = [c for c in churn_months if not math.isnan(c)]
    churn = float(np.mean(churn_months)) if churn_months else math.nan
    ltv = arpa * gm / churn if churn and not math.isnan(churn) and not math.isnan(gm) else math.nan
    cac = _safe(float(_window(acquisition, month, 3).sum()), float(_window(new, month, 3).sum()))
    payback = _safe(cac, arpa * gm) if not math.isnan(cac) and not math.isnan(gm) else math.nan
    mv = {m: float(_window(v, month, 3).sum()) for m, v in movements_total(run, path=p).items()}
    umv = {m: float(_window(v, month, 3).sum()) for m, v in movements_total(run, usage=True, path=p).items()}
    quick = _safe(mv["new"] + mv["expansion"] + umv["new"] + umv["expansion"],
                  mv["churn"] + mv["contraction"] + umv["churn"] + umv["contraction"])
    usage_arr = 4 * float(_window(usage, month, 3).sum())
    arr = 12 * float(mrr[month]) + usage_arr
    year_ago = max(0, month - 12)
    arr_then = 12 * float(mrr[year_ago]) + 4 * float(_window(usage, year_ago, 3).sum())
    net_burn = -float(_window(ocf, month, 12).sum())
    burn_multiple = _safe(net_burn, arr - arr_then) if net_burn > 0 else math.nan
    last12, prior12 = float(_window(revenue, month, 12).sum()), float(_window(revenue, month - 12, 12).sum()) \
        if month >= 12 else 0.0
    growth = (_safe(last12, prior12) - 1) * 100 if month >= 23 and prior12 else math.nan
    ebitda_margin = _safe(float(_window(run.ebitda[p], month, 12).sum()), last12) * 100
    nrr, grr = chain_retention(run, month, p) * 100, chain_retention(run, month, p, net=False) * 100
    B2 = "REFERENCE.md B2"  # noqa: N806 - a citation, not a variable
    # Why a metric is undefined, so a founder reads "n/a: not burning" instead of a bare NaN.
    why = {
        "gross margin": "no revenue this month", "ARPA": "no customers this month",
        "NRR": "no recurring revenue at any month start of the last 12", "GRR": "no recurring revenue at any "
        "month start of the last 12", "logo churn": "no customers at the start of the last six months",
        "LTV": "",  # set below: it depends on which of its parts is missing
        "CAC": "no new customers in the last 3 months",
        "quick ratio": "no churn or contraction in the last 3 months (unbounded)",
        "burn multiple": "not burning (operating cash flow ≥ 0 over the last 12 months)" if net_burn <= 0
        else "no change in ARR over the last 12 months",
        "Rule of 40": "needs 24 months of revenue" if month < 23 else "no revenue in the prior 12 months",
    }
    why["LTV"] = ("no churn in the last six months, so LTV is unbounded" if churn == 0 else why["logo churn"]
                  if math.isnan(churn) else why["gross margin"])
    why["LTV/CAC"] = why["LTV"] if math.isnan(ltv) else why["CAC"]
    why["CAC payback"] = why["CAC"] if math.isnan(cac) else why["gross margin"]
    shown = [
        Metric("MRR", float(mrr[month]), "usd", "recurring revenue of the month (seats, plans, commitments); "
               "metered usage excluded", "", "", "ChartMogul, " + B2 + ".1"),
        Metric("ARR (run rate)", arr, "usd", "12 × MRR + usage run rate (4 × trailing-3-month usage revenue, "
               "disclosed convention)", "", "", "ChartMogul; Ordway, " + B2 + ".1"),
        Metric("usage ARR", usage_arr, "usd", "4 × trailing-3-month usage revenue", "", "", "Ordway, " + B2 + ".1"),
        Metric("gross margin", gm * 100, "pct", "(revenue − COGS) ÷ revenue, inference as COGS",
               "AI companies 50–60 %, SaaS 60–80 %", _band(gm * 100, [(60, "SaaS-like"), (50, "typical AI")],
                                                            "below typical AI"), "a16z, " + B2 + ".6"),
        Metric("NRR", nrr, "pct", "chain-linked 12-month net MRR retention", "≥ 110 % best-in-class, ≥ 100 % healthy",
               _band(nrr, [(110, "best-in-class"), (100, "healthy")], "shrinking base"), B2 + ".3"),
        Metric("GRR", grr, "pct", "chain-linked 12-month gross MRR retention (no expansion)",
               "≥ 90 % strong, ≥ 80 % SMB-typical", _band(grr, [(90, "strong"), (80, "SMB-typical")], "weak"),
               B2 + ".3"),
        Metric("ARPA", arpa, "usd", "revenue ÷ customers in the month", "", "", "ChartMogul, " + B2 + ".4"),
        Metric("logo churn", churn * 100 if not math.isnan(churn) else math.nan, "pct",
               "trailing six-month mean of churned ÷ customers at month start", "", "", "ChartMogul, " + B2 + ".3"),
        Metric("LTV", ltv, "usd", "ARPA × gross margin ÷ logo churn (gross-margin LTV)", "", "", B2 + ".4"),
        Metric("CAC", cac, "usd", "acquisition spend ÷ new customers, trailing 3 months", "", "", "a16z, " + B2 + ".4"),
        Metric("LTV/CAC", _safe(ltv, cac) if not math.isnan(ltv) else math.nan, "ratio", "LTV ÷ CAC",
               "≥ 3 good, 1–3 marginal, < 1 loses money per customer",
               _band(_safe(ltv, cac) if not math.isnan(ltv) else math.nan, [(3, "good"), (1, "marginal")], "bad"),
               "Skok; ChartMogul, " + B2 + ".4"),
        Metric("CAC payback", payback, "months", "CAC ÷ (ARPA × gross margin)",
               "< 12 great, 12–18 fine for SMB, > 36 brake",
               "" if math.isnan(payback) else ("great" if payback < 12 else "fine" if payback <= 18 else
                                              "slow" if payback <= 36 else "brake"), "Bessemer, " + B2 + ".4"),
        Metric("quick ratio", quick, "ratio", "(new + expansion) ÷ (churn + contraction), trailing 3 months, "
               "recurring and usage", "≥ 4 strong, ≥ 1 growing, < 1 shrinking",
               _band(quick, [(4, "strong"), (1, "growing")], "shrinking"), "Mamoon Hamid, " + B2 + ".4"),
        Metric("burn multiple", burn_multiple, "ratio", "net burn ÷ net new ARR, trailing 12 months",
               "< 1 amazing, 1–1.5 great, 1.5–2 good, 2–3 suspect, > 3 bad",
               "" if math.isnan(burn_multiple) else "bad: ARR fell while burning" if burn_multiple < 0 else
               ("amazing" if burn_multiple < 1 else "great" if burn_multiple < 1.5 else "good"
                if burn_multiple < 2 else "suspect" if burn_multiple < 3 else "bad"), "David Sacks, " + B2 + ".5"),
        Metric("Rule of 40", growth + ebitda_margin if not math.isnan(growth) else math.nan, "pct",
               "revenue growth (last 12 vs prior 12 months) + EBITDA margin (last 12 months)", "≥ 40 passes",
               _band(growth + ebitda_margin if not math.isnan(growth) else math.nan, [(40, "passes")], "below 40"),
               B2 + ".5"),
    ]
    return [replace(m, verdict=f"n/a: {why[m.name]}") if math.isnan(m.value) and m.name in why else m for m in shown]
