"""Undefined metrics say why (a founder reads "n/a: not burning", not NaN); a burn multiple below zero is bad."""

from __future__ import annotations

import math

import pytest

from analytics.revenue.metrics import Metric, metrics_at, metrics_frame
from analytics.revenue.model import deterministic
from analytics.revenue.spec import parse


def _plan(*, churn: float, signups: float = 10.0, start: float = 0.0, opex_usd: float = 0.0) -> dict:
    stream = {"kind": "subscription", "name": "plan", "plans": [{"name": "one", "price_monthly": 100, "mix": 1}],
              "channels": [{"name": "ads", "signups_per_month": signups, "cac_usd": 50}], "churn_monthly": churn,
              "subscribers_start": start}
    opex = [{"name": "team", "category": "people", "monthly_usd": [opex_usd] * 36}] if opex_usd else []
    return {"start_month": "2027-01", "months": 36, "streams": [stream], "opex": opex}


def _at(doc: dict, month: int) -> dict[str, tuple[float, str]]:
    return {m.name: (m.value, m.verdict) for m in metrics_at(deterministic(parse(doc)), month)}


def test_with_no_churn_ltv_is_undefined_and_called_unbounded():
    got = _at(_plan(churn=0.0), 24)
    for name in ("LTV", "LTV/CAC"):
        value, verdict = got[name]
        assert math.isnan(value)
        assert verdict == "n/a: no churn in the last six months, so LTV is unbounded"


def test_rule_of_40_in_the_first_year_needs_24_months_and_is_defined_after():
    assert _at(_plan(churn=0.05), 11)["Rule of 40"][1] == "n/a: needs 24 months of revenue"
    value, verdict = _at(_plan(churn=0.05), 23)["Rule of 40"]
    assert math.isfinite(value) and verdict in {"passes", "below 40"}


def test_a_profitable_plan_has_no_burn_multiple_and_says_it_is_not_burning():
    value, verdict = _at(_plan(churn=0.05), 24)["burn multiple"]
    assert math.isnan(value)
    assert verdict.startswith("n/a: not burning")


def test_burning_while_arr_falls_is_a_negative_burn_multiple_called_bad():
    value, verdict = _at(_plan(churn=0.05, signups=0.0, start=1000.0, opex_usd=500_000.0), 24)["burn multiple"]
    assert value < 0
    assert verdict == "bad: ARR fell while burning"


def test_defined_metrics_keep_their_band():
    got = _at(_plan(churn=0.05), 24)
    assert got["LTV/CAC"] == (pytest.approx(40.0), "good")
    assert not any(v.startswith("n/a") for value, v in got.values() if not math.isnan(value))


@pytest.mark.parametrize(("value", "unit", "shown"), [
    (103343.2612, "usd", "$103,343"), (70.022, "usd", "$70.02"), (83.5892, "pct", "83.6 %"),
    (2.345, "ratio", "2.35×"), (5.26, "months", "5.3 mo"), (math.nan, "usd", "n/a"), (math.inf, "ratio", "∞")])
def test_a_metric_is_shown_in_its_unit(value, unit, shown):
    assert Metric("m", value, unit, "", "", "", "").shown == shown


def test_the_metrics_frame_has_every_metric_once_with_its_value_as_shown():
    run = deterministic(parse(_plan(churn=0.05, opex_usd=20_000)))
    metrics = metrics_at(run, 23)
    frame = metrics_frame(metrics)
    assert list(frame["metric"]) == [m.name for m in metrics]
    assert list(frame["value"]) == [m.shown for m in metrics] and "nan" not in " ".join(frame["value"])
