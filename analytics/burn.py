"""Monthly burn and runway from the tracker's people, compute and budget lines.

All money is in the workspace currency per calendar month. Inputs are DataFrames so the same
functions serve the Overview, the Resources page and (later) the revenue engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

# Billing models whose GPUs are paid only while used; reserved capacity is paid every hour.
PAY_PER_USE = frozenset({"on_demand", "spot"})

PEOPLE_COLUMNS = ("monthly_cost_usd", "start_date", "end_date")
COMPUTE_COLUMNS = ("count", "hourly_rate_usd", "pricing", "utilisation", "start_date", "end_date")
BUDGET_COLUMNS = ("category", "month", "planned_usd")


def month_starts(first: date, count: int) -> pd.DatetimeIndex:
    """``count`` consecutive calendar-month starts beginning with ``first``'s month."""
    return pd.date_range(pd.Timestamp(first.year, first.month, 1), periods=count, freq="MS")


_OPEN_START = np.datetime64("1900-01-01", "D")
_OPEN_END = np.datetime64("2199-12-31", "D")


def _days(dates: pd.Series, missing: np.datetime64) -> np.ndarray:
    """Dates as day precision; a missing date means open-ended (``missing``)."""
    days = pd.to_datetime(dates).to_numpy(dtype="datetime64[D]")
    return np.where(np.isnat(days), missing, days)


def _active_fraction(starts: pd.Series, ends: pd.Series, months: pd.DatetimeIndex) -> np.ndarray:
    """Share of each month (columns) that each row (rows) is active, from optional start/end dates."""
    m_start = months.values.astype("datetime64[D]")
    m_end = (months + pd.offsets.MonthBegin(1)).values.astype("datetime64[D]")
    days = (m_end - m_start).astype(float)
    lo = _days(starts, _OPEN_START)[:, None]
    # An end date is inclusive: the person is paid on their last day.
    hi = _days(ends, _OPEN_END)[:, None] + np.timedelta64(1, "D")
    overlap = (np.minimum(hi, m_end[None, :]) - np.maximum(lo, m_start[None, :])).astype(float)
    return np.clip(overlap / days[None, :], 0.0, 1.0)


def compute_monthly_cost(compute: pd.DataFrame, months: pd.DatetimeIndex) -> np.ndarray:
    """Cost per month of GPU resources: count × $/GPU-hour × hours × (utilisation if pay-per-use)."""
    if compute.empty:
        return np.zeros(len(months))
    hours = (months + pd.offsets.MonthBegin(1) - months).days.values * 24.0
    used = np.where(compute["pricing"].isin(PAY_PER_USE), compute["utilisation"].astype(float), 1.0)
    per_hour = compute["count"].astype(float).values * compute["hourly_rate_usd"].astype(float).values * used
    active = _active_fraction(compute["start_date"], compute["end_date"], months)
    return (per_hour[:, None] * hours[None, :] * active).sum(axis=0)


def monthly_burn(
    people: pd.DataFrame, compute: pd.DataFrame, budget: pd.DataFrame, months: pd.DatetimeIndex
) -> pd.DataFrame:
    """Gross burn per month, split into people, compute and the budget categories, plus ``total``.

    People cost is prorated by days employed in the month; budget lines count in their month.
    """
    out = pd.DataFrame(index=months)
    if people.empty:
        out["people"] = 0.0
    else:
        active = _active_fraction(people["start_date"], people["end_date"], months)
        out["people"] = (people["monthly_cost_usd"].astype(float).values[:, None] * active).sum(axis=0)
    out["compute"] = compute_monthly_cost(compute, months)
    for category in ("rd", "marketing", "operations"):
        out[category] = 0.0
    if not budget.empty:
        keyed = budget.assign(month=pd.to_datetime(budget["month"]).dt.to_period("M").dt.to_timestamp())
        pivot = keyed.pivot_table(index="month", columns="category", values="planned_usd", aggfunc="sum")
        for category in pivot.columns:
            out[category] = pivot[category].reindex(months).fillna(0.0).values
    out["total"] = out.sum(axis=1)
    out.index.name = "month"
    return out


@dataclass(frozen=True)
class Runway:
    cash_usd: float
    monthly_burn_usd: float
    months: float  # math.inf when nothing is burnt
    ends_on: date | None


def _still_to_pay(burn: pd.Series, as_of: date) -> np.ndarray:
    """The month-by-month burn from ``as_of`` on: only the rest of the current month is still to be paid."""
    values = burn.to_numpy(dtype=float).copy()
    if values.size:
        days_in_month = pd.Timestamp(as_of).days_in_month
        values[0] *= (days_in_month - as_of.day + 1) / days_in_month
    return values


def cash_balance(cash_usd: float, burn: pd.Series, as_of: date) -> pd.Series:
    """Cash left at the end of each month of ``burn`` (negative once it has run out)."""
    return pd.Series(cash_usd - np.cumsum(_still_to_pay(burn, as_of)), index=burn.index, name="cash_usd")


def runway(cash_usd: float, burn: pd.Series, as_of: date) -> Runway:
    """Months until cash runs out, walking the month-by-month burn forward from ``as_of``.

    Uses the planned burn of each coming month (not a flat average), so a hire planned for
    month 5 shortens the runway; beyond the plan the last month's burn is assumed to continue.
    """
    current = float(burn.iloc[0]) if len(burn) else 0.0
    values = _still_to_pay(burn, as_of)
    if cash_usd <= 0:
        return Runway(cash_usd, current, 0.0, as_of)
    if values.size == 0 or values.max() <= 0:
        return Runway(cash_usd, current, math.inf, None)
    remaining, months = cash_usd, 0.0
    for spend in values:
        if spend >= remaining:
            months += remaining / spend
            break
        remaining -= spend
        months += 1.0
    else:
        tail = values[-1]
        if tail <= 0:
            return Runway(cash_usd, current, math.inf, None)
        months += remaining / tail
    ends = pd.Timestamp(as_of) + pd.DateOffset(days=round(months * 30.4375))
    return Runway(cash_usd, current, float(months), ends.date())
