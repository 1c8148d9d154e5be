"""The revenue engine against hand-computed cases, numpy-financial, sampling, and its own identities."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import numpy_financial as npf
import pytest

from analytics.revenue.cohorts import expected_charges, sbg_survival, share_above, tiered_charge, top_share
from analytics.revenue.metrics import metrics_at, movements_total
from analytics.revenue.model import deterministic, irr_annual, npv, simulate
from analytics.revenue.montecarlo import monte_carlo, tornado
from analytics.revenue.report import compare, headline
from analytics.revenue.spec import input_label, parse
from analytics.revenue.values import base_all
from tests.conftest import ROOT


def _subscription(price: float = 100.0, churn: float = 0.05, signups: float = 10.0, **extra) -> dict:
    stream = {"kind": "subscription", "name": "plan", "plans": [{"name": "one", "price_monthly": price, "mix": 1}],
              "channels": [{"name": "ads", "signups_per_month": signups, "cac_usd": 50}], "churn_monthly": churn,
              **extra}
    return {"start_month": "2027-01", "months": 36, "streams": [stream]}


def _metric(run, name: str, month: int) -> float:
    return next(m.value for m in metrics_at(run, month) if m.name == name)


def test_a_constant_churn_cohort_has_the_textbook_ltv():
    # ChartMogul's example: ARPA $100, churn 5 % → LTV $2,000 (no COGS, so gross margin 100 %).
    run = deterministic(parse(_subscription()))
    assert _metric(run, "LTV", 24) == pytest.approx(2000.0)
    assert _metric(run, "logo churn", 24) == pytest.approx(5.0)
    assert _metric(run, "CAC", 24) == pytest.approx(50.0)
    assert _metric(run, "LTV/CAC", 24) == pytest.approx(40.0)


def test_a_fixed_price_plan_with_no_churn_grows_mrr_linearly():
    run = deterministic(parse(_subscription(price=20.0, churn=0.0)))
    mrr = run.total("recurring")[0]
    np.testing.assert_allclose(mrr, 20.0 * 10.0 * np.arange(1, 37))


def test_graduated_and_volume_tiers_match_the_reference_schedule():
    # REFERENCE B3.3: 0–1k @ $0.10, 1,001–10k @ $0.05, 10,001+ @ $0.01, 15,000 units.
    bounds, prices = [1000, 10_000, math.inf], np.array([0.10, 0.05, 0.01])
    assert float(tiered_charge(np.array(15_000.0), bounds, prices, "graduated")) == pytest.approx(600.0)
    assert float(tiered_charge(np.array(15_000.0), bounds, prices, "volume")) == pytest.approx(150.0)
    assert float(tiered_charge(np.array(1000.0), bounds, prices, "volume")) == pytest.approx(100.0)  # edge stays


@pytest.mark.parametrize("mode", ["graduated", "volume"])
@pytest.mark.parametrize("floor", [0.0, 60.0])
def test_closed_form_tier_and_commit_charges_agree_with_sampled_customers(mode, floor):
    rng = np.random.default_rng(1)
    median, sigma, scale = 40.0, 1.3, 1.7
    usage = np.exp(rng.normal(np.log(median), sigma, 4_000_000))
    bounds, factors = [100, 1000, math.inf], np.array([1.0, 0.9, 0.8])
    sampled = np.maximum(floor, scale * tiered_charge(usage, bounds, factors, mode)).mean()
    (exact,) = expected_charges(np.array([[median]]), np.array([[sigma]]), bounds, factors, mode,
                                [(np.array([[scale]]), floor)])
    assert float(exact[0, 0]) == pytest.approx(sampled, rel=3e-3)


def test_lognormal_skew_facts_match_sampling():
    rng = np.random.default_rng(2)
    usage = np.sort(np.exp(rng.normal(0.0, 1.5, 2_000_000)))
    assert top_share(1.5, 0.05) == pytest.approx(usage[-100_000:].sum() / usage.sum(), rel=0.01)
    assert share_above(3.0, 1.0, 1.5) == pytest.approx((usage > 3.0).mean(), abs=1e-3)


def test_shifted_beta_geometric_survival_matches_fader_and_hardie():
    alpha, beta = np.array([[1.2]]), np.array([[14.0]])
    s = sbg_survival(alpha, beta, 4)[0]
    assert s[0] == 1.0
    assert s[1] == pytest.approx(14 / 15.2)  # S(1) = β / (α + β)
    assert 1 - s[2] / s[1] == pytest.approx(1.2 / 16.2)  # churn at age t: α / (α + β + t − 1), falling with age
    churn = 1 - s[1:] / s[:-1]
    assert np.all(np.diff(churn) < 0)


def test_npv_and_irr_agree_with_numpy_financial(demo_doc):
    run = deterministic(parse(demo_doc))
    flow = run.operating_cash_flow[0]
    assert float(npv(run)[0]) == pytest.approx(npf.npv(run.monthly_discount, flow))
    flows = np.concatenate([[-float(run.starting_cash[0, 0])], flow])
    flows[1] -= float(run.funding[0].sum())
    assert irr_annual(run) == pytest.approx((1 + npf.irr(flows)) ** 12 - 1)


def test_mrr_movements_reconcile_month_by_month(demo_doc):
    run = deterministic(parse(demo_doc))
    mrr = run.total("recurring")[0]
    mv = movements_total(run)
    start = np.concatenate([[0.0], mrr[:-1]])
    rebuilt = start + mv["new"] + mv["expansion"] + mv["reactivation"] - mv["contraction"] - mv["churn"]
    np.testing.assert_allclose(rebuilt, mrr, rtol=1e-9, atol=1e-6)


def test_annual_plans_are_paid_up_front_and_recognised_monthly():
    doc = {"start_month": "2027-01", "months": 36, "streams": [{
        "kind": "saas", "name": "app", "annual_share": 1.0, "annual_discount": 0.2,
        "tiers": [{"name": "team", "price_per_seat": 50, "accounts_start": 10, "seats_per_account": 2}]}]}
    s = deterministic(parse(doc)).streams[0]
    assert s.revenue[0, 0] == pytest.approx(10 * 2 * 50 * 0.8)
    assert s.billings[0, 0] == pytest.approx(12 * s.revenue[0, 0])
    assert s.billings[0, 1:12].sum() == pytest.approx(0.0)
    assert s.billings[0, 12] == pytest.approx(12 * s.revenue[0, 0])  # the renewal


def test_monte_carlo_with_zero_width_ranges_equals_the_deterministic_model(demo_doc):
    assert parse(demo_doc).values and any(v.is_range for v in parse(demo_doc).values.values())
    flat = _collapse(copy.deepcopy(demo_doc))
    run = deterministic(parse(flat))
    mc = monte_carlo(parse(flat), paths=300, seed=7)
    for q in (10, 50, 90):
        np.testing.assert_allclose(mc.cash[q], run.cash[0])
    assert mc.ranged_inputs == [] and mc.ranged_labels == []


def _collapse(node):
    if isinstance(node, dict) and "low" in node and "high" in node:
        base = node.get("base", (node["low"] + node["high"]) / 2)
        return {"low": base, "base": base, "high": base}
    if isinstance(node, dict):
        return {k: _collapse(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_collapse(v) for v in node]
    return node


def test_monte_carlo_is_seeded_and_brackets_the_base_case(demo_doc):
    parsed = parse(demo_doc)
    a, b = monte_carlo(parsed, 2000, seed=3), monte_carlo(parsed, 2000, seed=3)
    np.testing.assert_array_equal(a.cash[50], b.cash[50])
    assert np.all(a.cash[10] <= a.cash[90])
    base_end = deterministic(parsed).cash[0, -1]
    assert a.cash[10][-1] < base_end < a.cash[90][-1]


def test_the_tornado_is_one_run_sorted_by_swing_and_its_base_is_the_model(demo_doc):
    parsed = parse(demo_doc)
    data = tornado(parsed, "cash", 23)
    assert list(data["swing"]) == sorted(data["swing"], reverse=True)
    assert data["base_output"].iloc[0] == pytest.approx(deterministic(parsed).cash[0, 23])
    assert set(data["input"]) == {k for k, v in parsed.values.items() if v.is_range}


def test_each_tornado_input_is_named_by_its_stream_and_field(demo_doc):
    parsed = parse(demo_doc)
    data = tornado(parsed, "cash", 23)
    labels = dict(zip(data["input"], data["label"], strict=True))
    name = demo_doc["streams"][0]["name"]
    assert labels["streams[0].cac_usd"] == f"{name} · CAC ($)"
    assert not any("[" in label for label in labels.values())


def test_an_input_label_names_list_items_by_name_or_number():
    doc = {"streams": [{"name": "API", "tiers": [{"discount": 0.1}, {"discount": 0.2}]}], "starting_cash_usd": 1}
    assert input_label(doc, "streams[0].tiers[1].discount") == "API · tier #2 · discount"
    assert input_label(doc, "starting_cash_usd") == "starting cash ($)"
    assert input_label(doc, "streams[5].churn_monthly") == "streams[5] · churn monthly"  # out of range: the path


def test_the_vectorised_paths_equal_a_per_path_loop(demo_doc):
    from analytics.revenue.values import draw_all

    parsed = parse(demo_doc)
    inputs = draw_all(parsed.values, 5, seed=11)
    together = simulate(parsed, inputs).cash
    for p in range(5):
        alone = simulate(parsed, {k: v[p: p + 1] for k, v in inputs.items()}).cash
        np.testing.assert_allclose(together[p], alone[0])
    assert base_all(parsed.values)


def test_the_example_file_is_the_demo_scenario_as_the_app_would_download_it():
    from db.demo_revenue import demo_scenario_file

    shipped = json.loads((ROOT / "examples" / "demo-scenario.json").read_text(encoding="utf-8"))
    assert shipped == json.loads(json.dumps(demo_scenario_file())), \
        "regenerate it: python -m db.demo_revenue examples/demo-scenario.json"


def test_the_comparison_reads_each_scenario_in_words_and_units(demo_doc):
    broke = copy.deepcopy(demo_doc)
    broke["name"], broke["funding"], broke["starting_cash_usd"] = "No round", [], 100_000.0
    table = compare([parse(demo_doc), parse(broke)])
    base, no_round = table[demo_doc["name"]], table["No round"]
    h = headline(deterministic(parse(demo_doc)))
    assert base["break-even"] == f"Aug 2028 (month {h.break_even_month + 1})" and h.break_even_month == 19
    assert base["cash runs out"] == "none by Dec 2029"
    assert base["revenue, last 12 months"] == f"${h.revenue_last_12_usd / 1e6:.1f}M"
    assert base["NPV"].startswith("-$") and h.npv_usd < 0  # the sign before the dollar
    out = headline(deterministic(parse(broke))).cash_out_month
    assert out is not None and no_round["cash runs out"].endswith(f"(month {out + 1})")
    assert not table.isna().any().any() and "inf" not in table.to_string().lower()
