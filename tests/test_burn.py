"""Burn and runway: hand-computed cases."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from analytics.burn import cash_balance, compute_monthly_cost, month_starts, monthly_burn, runway

MONTHS = month_starts(date(2026, 1, 15), 3)  # Jan, Feb, Mar 2026: 31, 28, 31 days
EMPTY_BUDGET = pd.DataFrame(columns=["category", "month", "planned_usd"])
EMPTY_COMPUTE = pd.DataFrame(columns=["count", "hourly_rate_usd", "pricing", "utilisation", "start_date", "end_date"])


def _people(*rows):
    return pd.DataFrame(rows, columns=["monthly_cost_usd", "start_date", "end_date"])


def test_month_starts_are_calendar_months():
    assert [m.strftime("%Y-%m-%d") for m in MONTHS] == ["2026-01-01", "2026-02-01", "2026-03-01"]


def test_people_are_prorated_by_days_employed():
    people = _people((10_000.0, date(2026, 1, 1), None), (6_200.0, date(2026, 1, 17), date(2026, 2, 14)))
    burn = monthly_burn(people, EMPTY_COMPUTE, EMPTY_BUDGET, MONTHS)
    # Second person: Jan 17–31 = 15 of 31 days; Feb 1–14 = 14 of 28 days.
    assert burn["people"].tolist() == pytest.approx([10_000 + 6_200 * 15 / 31, 10_000 + 6_200 * 0.5, 10_000])


def test_reserved_gpus_are_paid_every_hour_and_on_demand_only_when_used():
    compute = pd.DataFrame(
        [(8, 2.0, "reserved", 0.25, None, None), (2, 1.0, "on_demand", 0.5, None, None)],
        columns=["count", "hourly_rate_usd", "pricing", "utilisation", "start_date", "end_date"],
    )
    cost = compute_monthly_cost(compute, MONTHS)
    hours = [31 * 24, 28 * 24, 31 * 24]
    assert cost.tolist() == pytest.approx([(8 * 2.0 + 2 * 1.0 * 0.5) * h for h in hours])


def test_budget_lines_count_in_their_month_and_total_adds_up():
    budget = pd.DataFrame([("marketing", date(2026, 2, 1), 5_000.0), ("rd", date(2026, 2, 1), 1_000.0),
                           ("rd", date(2026, 7, 1), 9_999.0)], columns=["category", "month", "planned_usd"])
    burn = monthly_burn(_people((1_000.0, None, None)), EMPTY_COMPUTE, budget, MONTHS)
    assert burn["marketing"].tolist() == [0, 5_000, 0]
    assert burn["rd"].tolist() == [0, 1_000, 0]
    assert burn["total"].tolist() == [1_000, 7_000, 1_000]


def test_runway_walks_the_planned_burn_and_prorates_the_current_month():
    burn = pd.Series([100.0, 200.0, 200.0], index=MONTHS)
    # From Jan 1 (whole month left): 100 + 200 = 300 spent after two months, 50 more = 0.25 of month 3.
    result = runway(350.0, burn, date(2026, 1, 1))
    assert result.months == pytest.approx(2.25)
    assert result.monthly_burn_usd == 100.0
    # From Jan 17: 15/31 of January is still to be paid.
    assert runway(350.0, burn, date(2026, 1, 17)).months == pytest.approx(2 + (350 - 100 * 15 / 31 - 200) / 200)


def test_runway_beyond_the_plan_continues_at_the_last_month_burn():
    burn = pd.Series([100.0, 100.0, 100.0], index=MONTHS)
    assert runway(1_000.0, burn, date(2026, 1, 1)).months == pytest.approx(10.0)


def test_runway_edge_cases():
    burn = pd.Series([0.0, 0.0, 0.0], index=MONTHS)
    assert math.isinf(runway(1_000.0, burn, date(2026, 1, 1)).months)
    assert runway(0.0, pd.Series([10.0] * 3, index=MONTHS), date(2026, 1, 1)).months == 0.0


def test_cash_balance_falls_by_each_month_burn_and_agrees_with_runway():
    burn = pd.Series([100.0, 200.0, 200.0], index=MONTHS)
    balance = cash_balance(350.0, burn, date(2026, 1, 1))
    assert balance.tolist() == [250.0, 50.0, -150.0]
    # Runway ends inside the month where the balance crosses zero.
    assert 2 < runway(350.0, burn, date(2026, 1, 1)).months < 3
