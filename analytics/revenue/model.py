"""The monthly model: revenue and COGS by stream, opex, training runs, EBITDA, cash, runway, break-even, NPV, IRR.

``simulate(parsed, inputs)`` runs every stream and the company around them for all paths at once; the
deterministic model is the one-path case (``base_inputs``). Conventions (REFERENCE.md B2.5, B2.6):

- inference, hosting, support and delivery are COGS; acquisition spend (CAC × new customers) is opex;
- a training run is either expensed in its month (R&D opex) or amortised over N months below EBITDA; its cash
  leaves in its month either way;
- runway is given both ways: cash ÷ current net burn, and months until forecast cash < 0;
- the break-even month is the first month with EBITDA ≥ 0;
- NPV discounts the operating cash flow (funding excluded) at the annual rate converted to monthly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy_financial as npf
import pandas as pd

from analytics.revenue.spec import Parsed
from analytics.revenue.streams import COGS_PARTS, Inputs, StreamResult, run_stream
from analytics.revenue.values import base_all

OPEX_CATEGORIES = ("people", "compute", "rd", "marketing", "operations")


@dataclass
class ModelRun:
    """All paths of one scenario; every array is (paths, months)."""

    start: date
    streams: list[StreamResult]
    opex: dict[str, np.ndarray]  # the categories above, plus "acquisition" and "training" (expensed runs)
    amortisation: np.ndarray
    training_cash: np.ndarray
    funding: np.ndarray
    starting_cash: np.ndarray  # (paths, 1)
    monthly_discount: float

    @property
    def months(self) -> int:
        return self.funding.shape[1]

    @property
    def month_index(self) -> pd.DatetimeIndex:
        return pd.date_range(pd.Timestamp(self.start), periods=self.months, freq="MS")

    def total(self, attr: str) -> np.ndarray:
        return sum((getattr(s, attr) for s in self.streams), np.zeros_like(self.funding))

    @property
    def revenue(self) -> np.ndarray:
        return self.total("revenue")

    @property
    def cogs(self) -> np.ndarray:
        return self.total("cogs_total")

    @property
    def gross_profit(self) -> np.ndarray:
        return self.revenue - self.cogs

    @property
    def opex_total(self) -> np.ndarray:
        return sum(self.opex.values(), np.zeros_like(self.funding))

    @property
    def ebitda(self) -> np.ndarray:
        return self.gross_profit - self.opex_total

    @property
    def operating_cash_flow(self) -> np.ndarray:
        """Cash in from customers minus cash out for COGS, opex and training (no funding)."""
        expensed = self.opex["training"]  # paid through training_cash, not twice
        return self.total("billings") - self.cogs - (self.opex_total - expensed) - self.training_cash

    @property
    def cash(self) -> np.ndarray:
        """Cash at each month's end."""
        return self.starting_cash + np.cumsum(self.operating_cash_flow + self.funding, axis=1)


def _series(values: list[float], months: int) -> np.ndarray:
    """A monthly list, its last value repeated to the horizon (an empty list is zero)."""
    if not values:
        return np.zeros(months)
    out = np.asarray(values[:months], dtype=float)
    return np.concatenate([out, np.full(months - len(out), out[-1])])


def simulate(parsed: Parsed, inputs: Inputs) -> ModelRun:
    """Run the scenario for every path in ``inputs`` (each input a (paths, 1) array)."""
    doc, months = parsed.doc, parsed.months
    paths = next(iter(inputs.values())).shape[0]
    zeros = np.zeros((paths, months))
    t = np.arange(months)[None, :]
    streams = [run_stream(inputs, s, f"streams[{i}]", months) for i, s in enumerate(doc["streams"])]
    opex = {c: zeros.copy() for c in OPEX_CATEGORIES}
    for i, line in enumerate(doc["opex"]):
        opex[line["category"]] += _series(line["monthly_usd"], months)[None, :] * (
            1 + inputs[f"opex[{i}].growth_monthly"]) ** t
    opex["acquisition"] = sum((s.acquisition_usd for s in streams), zeros.copy())
    opex["training"] = zeros.copy()
    amortisation, training_cash = zeros.copy(), zeros.copy()
    for i, run in enumerate(doc["training"]):
        cost, month, spread = inputs[f"training[{i}].cost_usd"][:, 0], int(run["month"]), int(run["amortise_months"])
        training_cash[:, month] += cost
        if spread:
            end = min(months, month + spread)
            amortisation[:, month:end] += (cost / spread)[:, None]
        else:
            opex["training"][:, month] += cost
    funding = zeros.copy()
    for i, round_ in enumerate(doc["funding"]):
        funding[:, int(round_["month"])] += inputs[f"funding[{i}].amount_usd"][:, 0]
    monthly = (1 + inputs["discount_rate_annual"][0, 0]) ** (1 / 12) - 1
    return ModelRun(start=parsed.start, streams=streams, opex=opex, amortisation=amortisation,
                    training_cash=training_cash, funding=funding, starting_cash=inputs["starting_cash_usd"],
                    monthly_discount=float(monthly))


def deterministic(parsed: Parsed) -> ModelRun:
    """The scenario with every input at its base value (one path)."""
    return simulate(parsed, base_all(parsed.values))


def first_month(mask: np.ndarray) -> np.ndarray:
    """Index of the first True month per path, or −1 where there is none."""
    hit = mask.any(axis=1)
    return np.where(hit, mask.argmax(axis=1), -1)


def break_even_month(run: ModelRun) -> np.ndarray:
    """First month (0-based) with EBITDA ≥ 0 after revenue has started, per path; −1 if never within the horizon."""
    return first_month((run.ebitda >= 0) & (run.revenue > 0))


def cash_out_month(run: ModelRun) -> np.ndarray:
    """First month whose closing cash is below zero, per path; −1 if cash lasts the horizon."""
    return first_month(run.cash < 0)


def simple_runway(run: ModelRun, month: int = 0) -> np.ndarray:
    """Cash ÷ net burn at ``month`` (months); inf where the company is not burning cash then."""
    burn = -run.operating_cash_flow[:, month]
    return np.where(burn > 0, run.cash[:, month] / np.where(burn > 0, burn, 1.0), np.inf)


def npv(run: ModelRun) -> np.ndarray:
    """NPV of the monthly operating cash flow per path (numpy-financial's convention: the first month undiscounted)."""
    factors = (1 + run.monthly_discount) ** -np.arange(run.months)
    return (run.operating_cash_flow * factors[None, :]).sum(axis=1)


def irr_annual(run: ModelRun, path: int = 0) -> float:
    """Annualised IRR of one path's operating cash flow with the starting cash as the initial investment.

    numpy-financial's ``irr``; nan when the flows never change sign (no rate makes the NPV zero).
    """
    flows = np.concatenate([[-float(run.starting_cash[path, 0])], run.operating_cash_flow[path]])
    flows[1] -= float(run.funding[path].sum())  # money raised later is invested too
    monthly = npf.irr(flows)
    return float((1 + monthly) ** 12 - 1) if monthly is not None and math.isfinite(monthly) else math.nan


def monthly_table(run: ModelRun, path: int = 0) -> pd.DataFrame:
    """One path as the month-by-month P&L and cash table the page and the CLI show (USD)."""
    p = path
    table: dict[str, np.ndarray] = {}
    for s in run.streams:
        table[f"revenue · {s.name}"] = s.revenue[p]
    table["revenue"] = run.revenue[p]
    table["recurring (MRR)"] = run.total("recurring")[p]
    table["usage revenue"] = table["revenue"] - table["recurring (MRR)"]
    for part in COGS_PARTS:
        table[f"COGS · {part}"] = sum((s.cogs[part][p] for s in run.streams), np.zeros(run.months))
    table["COGS"] = run.cogs[p]
    table["gross profit"] = run.gross_profit[p]
    for s in run.streams:
        rev = s.revenue[p]
        table[f"gross margin · {s.name}"] = np.divide(rev - s.cogs_total[p], rev, out=np.full_like(rev, np.nan),
                                                      where=rev > 0)
    table["gross margin"] = np.divide(table["gross profit"], table["revenue"],
                                      out=np.full(run.months, np.nan), where=table["revenue"] > 0)
    for c, values in run.opex.items():
        table[f"opex · {c}"] = values[p]
    table["opex"] = run.opex_total[p]
    table["EBITDA"] = run.ebitda[p]
    table["training amortisation"] = run.amortisation[p]
    table["operating profit"] = run.ebitda[p] - run.amortisation[p]
    table["funding"] = run.funding[p]
    table["operating cash flow"] = run.operating_cash_flow[p]
    table["cash"] = run.cash[p]
    table["customers"] = run.total("customers")[p]
    table["M tokens served"] = run.total("tokens_m")[p]
    out = pd.DataFrame(table, index=run.month_index)
    out.index.name = "month"
    return out
