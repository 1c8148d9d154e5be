"""Everything the Revenue page and the CLI show of one scenario, computed in one call.

``build_report(parsed)`` runs the deterministic model and, when asked, the Monte Carlo and the tornado;
``compare`` runs several scenarios side by side. Pure: a parsed scenario in, dataclasses and DataFrames out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.market import money
from analytics.revenue.cohorts import share_above, top_share
from analytics.revenue.metrics import Metric, metrics_at, movements_total
from analytics.revenue.model import (
    ModelRun,
    break_even_month,
    cash_out_month,
    deterministic,
    irr_annual,
    monthly_table,
    npv,
    simple_runway,
)
from analytics.revenue.montecarlo import MonteCarlo, monte_carlo, tornado
from analytics.revenue.spec import Parsed
from analytics.revenue.streams import MOVEMENTS


@dataclass(frozen=True)
class Headline:
    break_even_month: int | None  # 0-based month index, None when not within the horizon
    cash_out_month: int | None  # first month with cash < 0, None when cash lasts
    runway_now_months: float  # cash ÷ current net burn (inf when not burning)
    runway_forecast_months: float  # months until forecast cash < 0 (inf when it never is within the horizon)
    npv_usd: float
    irr_annual: float  # nan when the flows never change sign
    ending_cash_usd: float
    revenue_last_12_usd: float
    gross_margin_last_12: float


@dataclass(frozen=True)
class RevenueReport:
    name: str
    months: pd.DatetimeIndex
    table: pd.DataFrame  # the monthly model (base path)
    headline: Headline
    metrics: dict[int, list[Metric]]  # month index → metrics at that month
    waterfall: pd.DataFrame  # MRR movements over the last 12 months: step, usd
    cohorts: dict[str, pd.DataFrame]  # stream name → revenue retention by cohort (rows) and age (columns)
    usage_facts: dict[str, dict[str, float]]  # stream name → skew facts (top 5 % share, unprofitable share)
    monte_carlo: MonteCarlo | None
    tornado: pd.DataFrame | None
    tornado_month: int | None  # 0-based month the tornado's output is read at (None: no tornado)


def headline(run: ModelRun) -> Headline:
    be, out = int(break_even_month(run)[0]), int(cash_out_month(run)[0])
    revenue = run.revenue[0, -12:].sum()
    gm = (revenue - run.cogs[0, -12:].sum()) / revenue if revenue > 0 else math.nan
    forecast = math.inf if out < 0 else float(out)
    return Headline(break_even_month=be if be >= 0 else None, cash_out_month=out if out >= 0 else None,
                    runway_now_months=float(simple_runway(run)[0]), runway_forecast_months=forecast,
                    npv_usd=float(npv(run)[0]), irr_annual=irr_annual(run), ending_cash_usd=float(run.cash[0, -1]),
                    revenue_last_12_usd=float(revenue), gross_margin_last_12=float(gm))


def waterfall(run: ModelRun, end: int | None = None) -> pd.DataFrame:
    """MRR at the start of the 12 months ending at ``end``, each movement over them, and MRR at the end."""
    end = run.months - 1 if end is None else end
    first = max(0, end - 11)
    mrr = run.total("recurring")[0]
    mv = movements_total(run)
    start_value = float(mrr[first - 1]) if first > 0 else 0.0
    rows = [("MRR at start", start_value)]
    signs = {"new": 1, "expansion": 1, "reactivation": 1, "contraction": -1, "churn": -1}
    for m in ("new", "expansion", "reactivation", "contraction", "churn"):
        rows.append((m, signs[m] * float(mv[m][first: end + 1].sum())))
    rows.append(("MRR at end", float(mrr[end])))
    return pd.DataFrame(rows, columns=["step", "usd"])


def cohort_retention(run: ModelRun, stream: int, cohorts: int = 12) -> pd.DataFrame:
    """Revenue of each of the first ``cohorts`` monthly cohorts at each age, ÷ its first month's (base path).

    Survival × the change in revenue per customer since the cohort joined (usage growth, seat expansion).
    """
    s = run.streams[stream]
    months = run.months
    arpa = s.arpa[0]
    surv = s.survival[0] if s.kind != "saas" else s.survival[0] / max(s.survival[0][0], 1e-12)
    ages = min(months, 24)
    data = np.full((min(cohorts, months), ages), np.nan)
    for c in range(data.shape[0]):
        for a in range(min(ages, months - c)):
            growth = 1.0 if s.kind == "saas" or arpa[c] <= 0 else arpa[c + a] / arpa[c]
            data[c, a] = surv[a] * growth
    index = [d.strftime("%Y-%m") for d in run.month_index[: data.shape[0]]]
    return pd.DataFrame(data, index=pd.Index(index, name="cohort"), columns=pd.Index(range(ages), name="age"))


def _usage_facts(parsed: Parsed, run: ModelRun) -> dict[str, dict[str, float]]:
    """For token-metered streams: the heaviest 5 %'s share of tokens, and for flat plans the share of subscribers
    whose inference costs more than their plan pays (REFERENCE B3.4: flat plans subsidise heavy users)."""
    out: dict[str, dict[str, float]] = {}
    for i, doc in enumerate(parsed.doc["streams"]):
        if doc["kind"] not in ("maas", "subscription"):
            continue
        sigma = parsed.values[f"streams[{i}].usage_sigma"].base
        median = parsed.values[f"streams[{i}].usage_median_m_tokens"].base
        facts = {"top_5pct_share_of_tokens": top_share(sigma, 0.05)}
        if doc["kind"] == "subscription":
            arpu = float(run.streams[i].arpa[0, 0])
            cost = parsed.values[f"streams[{i}].serving_usd_per_m_tokens"].base
            facts["share_costing_more_than_they_pay"] = share_above(arpu / cost, median, sigma) if cost > 0 else 0.0
        out[str(doc["name"])] = facts
    return out


def metric_months(months: int) -> list[int]:
    """Month indices the metrics are shown at: the end of each year of the horizon."""
    return [m for m in range(11, months, 12)]


def build_report(parsed: Parsed, mc_paths: int = 0, seed: int = 0, tornado_output: str | None = None,
                 tornado_month: int | None = None) -> RevenueReport:
    """The deterministic model with its metrics; the Monte Carlo when ``mc_paths`` > 0; a tornado when asked.

    ``tornado_month`` past the horizon reads the last month (a page offers month 48 before it knows the horizon);
    the report says which month it used."""
    run = deterministic(parsed)
    at = None if not tornado_output else parsed.months - 1 if tornado_month is None else \
        min(tornado_month, parsed.months - 1)
    return RevenueReport(
        name=str(parsed.doc["name"]), months=run.month_index, table=monthly_table(run), headline=headline(run),
        metrics={m: metrics_at(run, m) for m in metric_months(run.months)}, waterfall=waterfall(run),
        cohorts={s.name: cohort_retention(run, i) for i, s in enumerate(run.streams) if s.kind != "units"},
        usage_facts=_usage_facts(parsed, run),
        monte_carlo=monte_carlo(parsed, mc_paths, seed) if mc_paths > 0 else None,
        tornado=tornado(parsed, tornado_output, at) if tornado_output else None, tornado_month=at)


def _when(months: pd.DatetimeIndex, month: int | None) -> str:
    """"Jul 2028 (month 20)", or "none by Nov 2029" when the event is not within the horizon."""
    return f"none by {months[-1]:%b %Y}" if month is None else f"{months[month]:%b %Y} (month {month + 1})"


def compare(parsed: list[Parsed]) -> pd.DataFrame:
    """Saved scenarios side by side, as a founder reads them: one column per scenario, one row per key output.

    Deterministic runs; the cells are text ($4.3M, 86.9 %, "Jul 2028 (month 20)", "none by Nov 2029")
    because scenarios may start in different months and an undefined cell needs words, not NaN or inf.
    """
    columns = {}
    for p in parsed:
        run = deterministic(p)
        h = headline(run)
        months = run.month_index
        m12 = {m.name: m for m in metrics_at(run, min(11, run.months - 1))}
        end = {m.name: m for m in metrics_at(run, run.months - 1)}
        columns[str(p.doc["name"])] = {
            "revenue, last 12 months": money(h.revenue_last_12_usd),
            "gross margin, last 12 months": "n/a" if math.isnan(h.gross_margin_last_12)
            else f"{h.gross_margin_last_12:.1%}".replace("%", " %"),
            "ARR at month 12": money(m12["ARR (run rate)"].value),
            "ARR at horizon end": money(end["ARR (run rate)"].value),
            "break-even": _when(months, h.break_even_month),
            "cash runs out": _when(months, h.cash_out_month),
            "ending cash": money(h.ending_cash_usd), "NPV": money(h.npv_usd),
            "LTV/CAC at horizon end": end["LTV/CAC"].shown,
        }
    return pd.DataFrame(columns)


__all__ = ["MOVEMENTS", "Headline", "RevenueReport", "build_report", "compare", "headline", "readable_table",
           "table_csv", "table_excel",
           "waterfall"]


def readable_table(table: pd.DataFrame) -> pd.DataFrame:
    """The monthly model for reading: one column per month, money with thousands separators, margins in %."""
    out = {}
    for col in table.columns:
        values = table[col]
        if col.startswith("gross margin"):
            out[col] = [f"{v:.1%}" if pd.notna(v) else "–" for v in values]
        elif col in ("customers", "M tokens served"):
            out[col] = [f"{v:,.1f}" for v in values]
        else:
            out[col] = [f"{v:,.0f}" for v in values]
    return pd.DataFrame(out, index=table.index.strftime("%Y-%m")).T


def table_csv(table: pd.DataFrame) -> str:
    """The monthly model as CSV (months as YYYY-MM)."""
    out = table.copy()
    out.index = out.index.strftime("%Y-%m")
    return out.to_csv()


def table_excel(table: pd.DataFrame) -> bytes:
    """The monthly model as an Excel workbook (one sheet, months as rows), written by openpyxl."""
    import io

    out = table.copy()
    out.index = out.index.strftime("%Y-%m")
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        out.to_excel(writer, sheet_name="monthly model")
    return buffer.getvalue()
