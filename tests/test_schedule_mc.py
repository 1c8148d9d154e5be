"""Monte Carlo schedule risk: fixed chains, symmetric cases, seeds, risk events, properties."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics import schedule_reference
from analytics.schedule import Calendar, critical_path
from analytics.schedule_mc import finish_table, quantiles, s_curve, sample_durations, simulate

MONDAY = Calendar(date(2026, 1, 5))


def _tasks(*rows, **extra) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["id", "optimistic", "likely", "pessimistic"]).assign(**extra)


def _chain(ids, kind="FS", lag=0.0) -> pd.DataFrame:
    return pd.DataFrame({"predecessor": ids[:-1], "successor": ids[1:], "kind": kind, "lag": lag})


def _risk(probability, delay, cost, task_ids) -> pd.DataFrame:
    return pd.DataFrame({"id": [1], "probability": [probability], "delay_days": [delay], "cost_usd": [cost],
                         "task_ids": [task_ids]})


def test_a_chain_of_fixed_durations_gives_a_fixed_date():
    tasks = _tasks((1, 5, 5, 5), (2, 3, 3, 3), (3, 0, 0, 0))
    sim = simulate(tasks, _chain([1, 2, 3]), iterations=500, distribution="pert", seed=4)
    table = finish_table(sim, MONDAY, target=date(2026, 1, 12))
    assert set(sim.finish["project"]) == {8.0}
    assert table.loc["project", ["p50_date", "p80_date", "p95_date"]].tolist() == [date(2026, 1, 12)] * 3
    assert table.loc["project", "p_target"] == 1.0
    assert finish_table(sim, MONDAY, target=date(2026, 1, 11)).loc["project", "p_target"] == 0.0
    assert sim.criticality.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("distribution", ["pert", "triangular"])
def test_the_p50_of_a_symmetric_estimate_is_its_most_likely_value(distribution):
    sim = simulate(_tasks((1, 2, 5, 8)), _chain([1]), iterations=20_000, distribution=distribution, seed=1)
    assert quantiles(sim.finish["project"])["p50"] == pytest.approx(5.0, abs=0.05)


def test_pert_mean_is_a_plus_four_m_plus_b_over_six():
    est = np.array([[2.0, 3.0, 13.0]])
    draws = sample_durations(est, 200_000, "pert", np.random.default_rng(0))
    assert draws.mean() == pytest.approx((2 + 4 * 3 + 13) / 6, abs=0.02)
    assert draws.min() >= 2 and draws.max() <= 13


def test_triangular_mean_is_a_plus_m_plus_b_over_three():
    draws = sample_durations(np.array([[2.0, 3.0, 13.0]]), 200_000, "triangular", np.random.default_rng(0))
    assert draws.mean() == pytest.approx(6.0, abs=0.03)


def test_the_same_seed_gives_the_same_samples_and_another_seed_does_not():
    tasks = _tasks((1, 1, 2, 6), (2, 2, 4, 9))
    a, b = (simulate(tasks, _chain([1, 2]), iterations=300, seed=7) for _ in range(2))
    c = simulate(tasks, _chain([1, 2]), iterations=300, seed=8)
    assert np.array_equal(a.finish["project"], b.finish["project"])
    assert not np.array_equal(a.finish["project"], c.finish["project"])


def test_a_certain_risk_event_shifts_the_finish_by_its_delay_and_adds_its_cost():
    tasks = _tasks((1, 1, 2, 6), (2, 2, 4, 9), daily_cost_usd=[100.0, 0.0])
    plain = simulate(tasks, _chain([1, 2]), iterations=400, seed=3, risks=_risk(0.0, 5.0, 20_000.0, [1]))
    hit = simulate(tasks, _chain([1, 2]), iterations=400, seed=3, risks=_risk(1.0, 5.0, 20_000.0, [1]))
    assert hit.finish["project"] - plain.finish["project"] == pytest.approx(np.full(400, 5.0))
    # 5 more days of task 1 at $100/day, plus the event's $20,000.
    assert hit.cost_usd - plain.cost_usd == pytest.approx(np.full(400, 20_500.0))
    assert hit.risk_hits.tolist() == [1.0] and plain.risk_hits.tolist() == [0.0]


def test_an_impossible_risk_event_changes_nothing():
    tasks = _tasks((1, 1, 2, 6), (2, 2, 4, 9))
    without = simulate(tasks, _chain([1, 2]), iterations=400, seed=3)
    never = simulate(tasks, _chain([1, 2]), iterations=400, seed=3, risks=_risk(0.0, 30.0, 1e6, [1, 2]))
    assert np.array_equal(without.finish["project"], never.finish["project"])
    assert never.cost_usd.sum() == 0


def test_a_risk_on_a_task_with_float_moves_the_finish_only_past_its_float():
    # Task 2 (3 days) runs beside task 1 (10 days): 7 days of float absorb part of a 9-day delay.
    tasks = _tasks((1, 10, 10, 10), (2, 3, 3, 3))
    sim = simulate(tasks, pd.DataFrame(columns=["predecessor", "successor", "kind", "lag"]), iterations=50,
                   risks=_risk(1.0, 9.0, 0.0, [2]))
    assert set(sim.finish["project"]) == {12.0}
    assert sim.criticality.to_dict() == {1: 0.0, 2: 1.0}


def test_criticality_index_follows_the_branch_that_is_longer_more_often():
    # 1 → {2, 3} → 4; branch 2 is 10 days for sure, branch 3 is 5–20 days with most likely 8.
    tasks = _tasks((1, 1, 1, 1), (2, 10, 10, 10), (3, 5, 8, 20), (4, 1, 1, 1))
    links = pd.DataFrame({"predecessor": [1, 1, 2, 3], "successor": [2, 3, 4, 4], "kind": "FS", "lag": 0.0})
    sim = simulate(tasks, links, iterations=20_000, distribution="triangular", seed=2)
    share_longer = float((sample_durations(np.array([[5.0, 8.0, 20.0]]), 200_000, "triangular",
                                           np.random.default_rng(9)) >= 10).mean())
    assert sim.criticality[3] == pytest.approx(share_longer, abs=0.02)
    assert sim.criticality[2] == pytest.approx(1 - share_longer, abs=0.02)
    assert sim.criticality[1] == sim.criticality[4] == 1.0


def test_milestone_groups_report_their_own_finish():
    tasks = _tasks((1, 4, 4, 4), (2, 6, 6, 6), (3, 0, 0, 0))
    sim = simulate(tasks, _chain([1, 2, 3]), iterations=10, groups={"Data ready": [1], "Launch": [3]})
    assert set(sim.finish["Data ready"]) == {4.0} and set(sim.finish["Launch"]) == {10.0}


def test_fixed_durations_reproduce_the_deterministic_critical_path():
    tasks = _tasks((1, 3, 3, 3), (2, 4, 4, 4), (3, 2, 2, 2), (4, 5, 5, 5))
    links = pd.DataFrame({"predecessor": [1, 1, 2, 3], "successor": [2, 3, 4, 4],
                          "kind": ["FS", "SS", "FF", "SF"], "lag": [1.0, 2.0, 0.0, 3.0]})
    cpm = critical_path(tasks.assign(duration=tasks["likely"]), links)
    sim = simulate(tasks, links, iterations=5)
    assert set(sim.finish["project"]) == {cpm["ef"].max()}
    assert sim.criticality.to_dict() == cpm["critical"].astype(float).to_dict()


def test_the_vectorised_run_agrees_with_the_plain_python_one():
    estimates = {1: (2.0, 4.0, 9.0), 2: (1.0, 3.0, 4.0), 3: (5.0, 6.0, 12.0), 4: (1.0, 1.0, 3.0)}
    links = [(1, 2, "FS", 0.0), (1, 3, "SS", 1.0), (2, 4, "FS", 0.0), (3, 4, "FF", 0.0)]
    reference, ref_crit = schedule_reference.monte_carlo(estimates, links, 20_000, seed=1)
    tasks = _tasks(*[(t, *abc) for t, abc in estimates.items()])
    sim = simulate(tasks, pd.DataFrame(links, columns=["predecessor", "successor", "kind", "lag"]),
                   iterations=20_000, seed=1)
    for q in (0.5, 0.8, 0.95):
        assert np.quantile(sim.finish["project"], q) == pytest.approx(schedule_reference.percentile(reference, q),
                                                                      abs=0.15)
    for t, share in ref_crit.items():
        assert sim.criticality[t] == pytest.approx(share, abs=0.02)


def test_s_curve_rises_to_one_by_date():
    sim = simulate(_tasks((1, 2, 5, 8)), _chain([1]), iterations=1000, seed=0)
    curve = s_curve(sim.finish["project"], MONDAY)
    assert curve["probability"].is_monotonic_increasing and curve["probability"].iloc[-1] == 1.0
    assert curve["iterations"].sum() == 1000 and curve["date"].is_monotonic_increasing


@pytest.mark.parametrize(("tasks", "kwargs", "message"), [
    (_tasks((1, 5, 3, 8)), {}, "0 <= optimistic <= likely <= pessimistic"),
    (_tasks((1, 1, 2, 3)), {"distribution": "normal"}, "distribution 'normal'"),
    (_tasks((1, 1, 2, 3)), {"iterations": 0}, "iterations must be at least 1"),
    (_tasks((1, 1, 2, 3)), {"risks": _risk(1.5, 1, 0, [1])}, "probability must be 0–1"),
    (_tasks((1, 1, 2, 3)), {"risks": _risk(0.5, 1, 0, [42])}, "linked task 42 is not in the plan"),
])
def test_bad_simulation_input_is_refused_with_a_message(tasks, kwargs, message):
    with pytest.raises(ValueError, match=message):
        simulate(tasks, _chain([1]), **kwargs)


@st.composite
def chains(draw):
    n = draw(st.integers(1, 6))
    rows = []
    for i in range(1, n + 1):
        a, m, b = sorted(draw(st.lists(st.integers(0, 20), min_size=3, max_size=3)))
        rows.append((i, float(a), float(m), float(b)))
    return rows


@settings(max_examples=60, deadline=None)
@given(chains(), st.sampled_from(["pert", "triangular"]), st.integers(0, 2**32 - 1))
def test_percentiles_are_ordered_and_inside_the_estimates(rows, distribution, seed):
    tasks = _tasks(*rows)
    sim = simulate(tasks, _chain([r[0] for r in rows]), iterations=200, distribution=distribution, seed=seed)
    q = quantiles(sim.finish["project"])
    assert q["p50"] <= q["p80"] <= q["p95"]
    assert tasks["optimistic"].sum() - 1e-9 <= sim.finish["project"].min()
    assert sim.finish["project"].max() <= tasks["pessimistic"].sum() + 1e-9
    assert ((sim.criticality >= 0) & (sim.criticality <= 1)).all()


def _wide_network(chains: int, length: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Side-by-side chains with cross links of all four kinds and lags (a wide plan, as a company's is)."""
    rng = np.random.default_rng(seed)
    n = chains * length
    tasks = pd.DataFrame({"id": rng.permutation(n) + 10, "duration": rng.uniform(0, 9, n).round(1),
                          "not_before": rng.choice([0.0, 0.0, 3.0, 40.0], n)})
    pairs = {(c * length + i, c * length + i + 1) for c in range(chains) for i in range(length - 1)}
    while len(pairs) < 2 * n:  # links only forward in a chain's position: never a cycle
        a, b = rng.integers(0, n, 2)
        if a % length < b % length:
            pairs.add((int(a), int(b)))
    ordered = sorted(pairs)
    ids = tasks["id"].to_numpy()
    links = pd.DataFrame({"predecessor": [ids[a] for a, _ in ordered], "successor": [ids[b] for _, b in ordered],
                          "kind": rng.choice(["FS", "FS", "SS", "FF", "SF"], len(ordered)),
                          "lag": rng.choice([0.0, 0.0, 2.0, -1.5], len(ordered))})
    return tasks, links


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_generation_wide_passes_give_the_task_by_task_dates_to_the_bit(seed):
    from analytics.schedule import compile_network, schedule_arrays
    from analytics.schedule_mc import _backward, _by, _forward, _Steps

    tasks, links = _wide_network(chains=40, length=12, seed=seed)
    net = compile_network(tasks, links)
    steps = _Steps.of(net)
    assert steps is not None  # 40 tasks a generation: the wide passes apply
    d = np.random.default_rng(seed).uniform(0, 9, (net.size, 64)).round(2)
    es, ef = _forward(net, d, _by(net, net.succ))
    wide_es, wide_ef = steps.forward(d)
    assert np.array_equal(es, wide_es) and np.array_equal(ef, wide_ef)
    finish = ef.max(axis=0)
    assert np.array_equal(_backward(net, d, _by(net, net.pred), finish), steps.backward(d, finish))
    for j in (0, 31, 63):  # and both are the deterministic CPM of each iteration's durations
        cpm_es, cpm_ls = schedule_arrays(net, d[:, j])
        assert np.allclose(wide_es[:, j], cpm_es) and np.allclose(steps.backward(d, finish)[:, j], cpm_ls)


def test_a_deep_plan_keeps_the_task_by_task_passes():
    from analytics.schedule import compile_network
    from analytics.schedule_mc import _Steps

    chain = pd.DataFrame({"id": range(50), "duration": 1.0})
    assert _Steps.of(compile_network(chain, _chain(list(range(50))))) is None
