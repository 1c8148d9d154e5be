"""Weekly load, over-allocation, levelling and GPU reservations against hand-computed cases."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.allocation import over_allocations, week_starts, weekly_load
from analytics.levelling import level
from analytics.reservations import (
    gpu_needs,
    reservation_cost_by_month,
    reservation_coverage,
    reservations_vs_budget,
)

MON = date(2026, 1, 5)  # a Monday


def _tasks(rows: dict[int, tuple[str, date | None, date | None]]) -> pd.DataFrame:
    return pd.DataFrame.from_dict(rows, orient="index", columns=["name", "start_date", "end_date"])


def _alloc(rows: list[tuple[int, int | None, int | None, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["task_id", "person_id", "compute_resource_id", "hours_per_week", "gpu_count"])


def _people(rows: dict[int, tuple[str, float, date | None, date | None]]) -> pd.DataFrame:
    return pd.DataFrame.from_dict(rows, orient="index",
                                  columns=["name", "weekly_capacity_hours", "start_date", "end_date"])


def _pools(rows: dict[int, tuple[str, int, date | None, date | None]] | None = None) -> pd.DataFrame:
    return pd.DataFrame.from_dict(rows or {}, orient="index", columns=["name", "count", "start_date", "end_date"])


def _d(days: int) -> date:
    return MON + timedelta(days=days)


def test_week_starts_are_mondays_covering_both_ends():
    weeks = week_starts(date(2026, 1, 7), date(2026, 1, 19))
    assert list(weeks.date) == [date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19)]


def test_person_load_prorates_partial_weeks_by_working_days():
    # A: Mon–Fri of week 1 (end exclusive, Saturday) at 40 h/week → 40 h.
    # B: Wednesday of week 1 to Wednesday of week 2 (exclusive) at 20 h/week → Wed–Fri 3/5 × 20 = 12 h,
    #    then Mon–Tue 2/5 × 20 = 8 h.  A milestone (no duration) loads nothing.
    tasks = _tasks({1: ("A", _d(0), _d(5)), 2: ("B", _d(2), _d(9)), 3: ("M", _d(4), _d(4))})
    alloc = _alloc([(1, 10, None, 40, 0), (2, 10, None, 20, 0), (3, 10, None, 10, 0)])
    workload = weekly_load(tasks, alloc, _people({10: ("Ana", 40, None, None)}), _pools(), week_starts(_d(0), _d(13)))
    assert workload.load.loc[("person", 10)].tolist() == pytest.approx([52.0, 8.0])
    assert workload.capacity.loc[("person", 10)].tolist() == [40.0, 40.0]


def test_gpu_load_prorates_by_calendar_days_and_pool_capacity_by_pool_dates():
    # 8 GPUs from Wednesday to the next Wednesday: 5 of 7 days in week 1, 2 of 7 in week 2.
    # The pool (4 GPUs) only exists from the Monday of week 2, so week 1 has capacity 0.
    tasks = _tasks({1: ("Train", _d(2), _d(9))})
    alloc = _alloc([(1, None, 5, 0, 8)])
    pools = _pools({5: ("H100 pool", 4, _d(7), None)})
    workload = weekly_load(tasks, alloc, _people({}), pools, week_starts(_d(0), _d(13)))
    assert workload.load.loc[("gpu", 5)].tolist() == pytest.approx([8 * 5 / 7, 8 * 2 / 7])
    assert workload.capacity.loc[("gpu", 5)].tolist() == [0.0, 4.0]


def test_capacity_is_zero_before_a_hire_and_prorated_in_the_joining_week():
    # Joins on Thursday of week 2 (inclusive): Thu–Fri = 2 of 5 working days.
    people = _people({10: ("New hire", 40, _d(10), None)})
    workload = weekly_load(_tasks({}), _alloc([]), people, _pools(), week_starts(_d(0), _d(20)))
    assert workload.capacity.loc[("person", 10)].tolist() == pytest.approx([0.0, 16.0, 40.0])


def test_tasks_without_dates_and_deleted_resources_carry_no_load():
    tasks = _tasks({1: ("Undated", None, None), 2: ("Dated", _d(0), _d(5))})
    alloc = _alloc([(1, 10, None, 40, 0), (2, 99, None, 40, 0)])  # person 99 is gone
    workload = weekly_load(tasks, alloc, _people({10: ("Ana", 40, None, None)}), _pools(), week_starts(_d(0), _d(6)))
    assert workload.load.to_numpy().sum() == 0.0


def test_over_allocation_names_the_week_the_load_and_the_tasks_causing_it():
    tasks = _tasks({1: ("Label contracts", _d(0), _d(5)), 2: ("Write eval set", _d(2), _d(5)),
                    3: ("Quiet task", _d(7), _d(12))})
    alloc = _alloc([(1, 10, None, 30, 0), (2, 10, None, 40, 0), (3, 10, None, 40, 0)])
    tasks_people = _people({10: ("Ana", 40, None, None)})
    workload = weekly_load(tasks, alloc, tasks_people, _pools(), week_starts(_d(0), _d(13)))
    over = over_allocations(workload, tasks, alloc)
    assert len(over) == 1
    row = over.iloc[0]
    assert (row["resource"], row["week"].date()) == ("Ana", MON)
    assert row["load"] == pytest.approx(30 + 40 * 3 / 5)  # 54 h
    assert row["capacity"] == 40 and row["excess"] == pytest.approx(14)
    assert row["task_ids"] == (1, 2) and row["tasks"] == "Label contracts, Write eval set"


def test_no_over_allocation_gives_an_empty_table_with_the_columns():
    tasks = _tasks({1: ("A", _d(0), _d(5))})
    alloc = _alloc([(1, 10, None, 40, 0)])
    workload = weekly_load(tasks, alloc, _people({10: ("Ana", 40, None, None)}), _pools(), week_starts(_d(0), _d(6)))
    over = over_allocations(workload, tasks, alloc)
    assert over.empty and "tasks" in over.columns


# --- levelling -------------------------------------------------------------------------------------

def _two_people_plan():
    """Ana holds a critical 3-week task C and a 1-week non-critical task N in week 1 (float 14 days);
    Ben holds the long task L that sets the finish. Ana is over-allocated in week 1 only."""
    tasks = _tasks({1: ("C", _d(0), _d(19)), 2: ("N", _d(0), _d(5)), 3: ("L", _d(0), _d(40))})
    alloc = _alloc([(1, 10, None, 40, 0), (2, 10, None, 20, 0), (3, 11, None, 40, 0)])
    people = _people({10: ("Ana", 40, None, None), 11: ("Ben", 40, None, None)})
    return tasks, alloc, people


def test_levelling_shifts_only_the_non_critical_task_within_its_float_when_that_suffices():
    tasks, alloc, people = _two_people_plan()
    # C: 21 days of float to L's finish (hand CPM: 40 − 19); N is short and has float; but give C 0 so it
    # counts as critical and must not move.
    flt = pd.Series({1: 0.0, 2: 35.0, 3: 0.0})
    plan = level(tasks, alloc, people, _pools(), flt)
    assert plan.resolved and plan.critical_moved == 0 and plan.finish_delay_days == 0
    assert list(plan.moves.index) == [2]
    move = plan.moves.loc[2]
    assert move["within_float"] and move["shift_days"] <= 35
    # N must leave C's 3 weeks to free Ana: it moves to the Monday after C ends (day 19 is a Saturday → 21).
    assert move["new_start"] == _d(21) and move["new_end"] == _d(26)


def test_levelling_moves_the_fewest_critical_tasks_and_reports_the_delay():
    # No float anywhere: something critical must slip. Moving C one week would also push its successor E
    # (two critical tasks); moving N three weeks touches one. The fewest wins, and L still sets the finish.
    tasks, alloc, people = _two_people_plan()
    tasks.loc[4] = ("E", _d(19), _d(24))
    links = pd.DataFrame({"predecessor_id": [1], "successor_id": [4], "kind": ["FS"], "lag_days": [0.0]})
    plan = level(tasks, alloc, people, _pools(), pd.Series(0.0, index=tasks.index), links)
    assert plan.resolved and plan.critical_moved == 1
    assert list(plan.moves.index) == [2]
    assert plan.finish_delay_days == 0


def test_levelling_pushes_successors_through_links_and_reports_the_finish_delay():
    # A (Ana) and B (Ana) clash in week 1; B → D is finish-to-start. All critical: B slips one week and D
    # (Ben) with it, so the finish slips 7 days.
    tasks = _tasks({1: ("A", _d(0), _d(5)), 2: ("B", _d(0), _d(5)), 3: ("D", _d(5), _d(12))})
    alloc = _alloc([(1, 10, None, 40, 0), (2, 10, None, 40, 0), (3, 11, None, 40, 0)])
    people = _people({10: ("Ana", 40, None, None), 11: ("Ben", 40, None, None)})
    links = pd.DataFrame({"predecessor_id": [2], "successor_id": [3], "kind": ["FS"], "lag_days": [0.0]})
    plan = level(tasks, alloc, people, _pools(), pd.Series(0.0, index=tasks.index), links,
                 movable=pd.Series({1: False, 2: True, 3: True}))
    assert plan.resolved
    assert plan.moves.loc[2, "new_start"] == _d(7) and plan.moves.loc[3, "new_start"] == _d(12)
    assert plan.finish_delay_days == 7 and plan.critical_moved == 2


def test_levelling_leaves_unmovable_tasks_and_says_when_it_cannot_resolve():
    tasks = _tasks({1: ("A", _d(0), _d(5)), 2: ("B", _d(0), _d(5))})
    alloc = _alloc([(1, 10, None, 40, 0), (2, 10, None, 40, 0)])
    plan = level(tasks, alloc, _people({10: ("Ana", 40, None, None)}), _pools(), pd.Series(0.0, index=[1, 2]),
                 movable=pd.Series(False, index=[1, 2]))
    assert plan.moves.empty and not plan.resolved and plan.excess_after == pytest.approx(40)


def test_levelling_stops_at_its_evaluation_budget_and_says_so():
    tasks, alloc, people = _two_people_plan()
    flt = pd.Series({1: 0.0, 2: 35.0, 3: 0.0})
    partial = level(tasks, alloc, people, _pools(), flt, max_evaluations=0)
    assert partial.stopped_early and partial.moves.empty and not partial.resolved
    assert not level(tasks, alloc, people, _pools(), flt).stopped_early


def test_levelling_writes_nothing_into_its_inputs():
    tasks, alloc, people = _two_people_plan()
    before = tasks.copy()
    level(tasks, alloc, people, _pools(), pd.Series({1: 0.0, 2: 35.0, 3: 0.0}))
    pd.testing.assert_frame_equal(tasks, before)


def _peak_by_resource(tasks, alloc, people, pools, weeks) -> pd.Series:
    return weekly_load(tasks, alloc, people, pools, weeks).excess.max(axis=1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(1, 15), st.integers(0, 2), st.sampled_from([10, 20, 40]),
                          st.integers(0, 20)), min_size=1, max_size=10),
       st.lists(st.integers(0, 3), min_size=0, max_size=6))
def test_levelled_plan_never_increases_any_resources_peak_over_allocation(specs, link_pairs):
    tasks = _tasks({i + 1: (f"T{i}", _d(s), _d(s + n)) for i, (s, n, _, _, _) in enumerate(specs)})
    alloc = _alloc([(i + 1, 10 + who, None, hours, 0) for i, (_, _, who, hours, _) in enumerate(specs)])
    flt = pd.Series({i + 1: float(f) for i, (*_, f) in enumerate(specs)})
    ids = list(tasks.index)
    links = pd.DataFrame([(ids[a], ids[a + 1], "FS", 0.0) for a in link_pairs if a + 1 < len(ids)],
                         columns=["predecessor_id", "successor_id", "kind", "lag_days"]).drop_duplicates()
    people = _people({10: ("A", 40, None, None), 11: ("B", 40, None, None), 12: ("C", 40, None, None)})
    plan = level(tasks, alloc, people, _pools(), flt, links)
    weeks = week_starts(_d(0), _d(400))
    before = _peak_by_resource(tasks, alloc, people, _pools(), weeks)
    after = _peak_by_resource(plan.new_dates.join(tasks["name"]), alloc, people, _pools(), weeks)
    assert (after <= before + 1e-6).all()
    assert plan.excess_after <= plan.excess_before + 1e-6
    # Levelling only ever delays tasks, never pulls one earlier.
    assert (plan.moves["shift_days"] > 0).all()



@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(-10, 60), st.integers(0, 30), st.booleans(), st.sampled_from([8, 24, 40]),
                          st.sampled_from([1, 2, 8])), min_size=1, max_size=12),
       st.integers(0, 6), st.integers(1, 12))
def test_levelling_what_if_load_is_the_allocation_modules_load_for_the_same_dates(specs, first_week, n_weeks):
    # The search evaluates moves on day numbers, without analytics.allocation.contributions; it must give
    # the same floats, or a move could be judged on a load the heat map would not show.
    from analytics.allocation import contributions, demand_rows
    from analytics.levelling import _State

    tasks = _tasks({i + 1: (f"T{i}", _d(s), _d(s + n)) for i, (s, n, *_) in enumerate(specs)})
    alloc = _alloc([(i + 1, 10 if person else None, None if person else 1, hours if person else 0,
                     0 if person else gpus) for i, (_, _, person, hours, gpus) in enumerate(specs)])
    people, pools = _people({10: ("A", 40, None, None)}), _pools({1: ("P", 8, None, None)})
    weeks = week_starts(_d(-14), _d(120))
    state = _State(tasks, alloc, weeks, weekly_load(tasks, alloc, people, pools, weeks))
    rows = np.arange(len(state.d_task))
    window = slice(first_week, first_week + n_weeks)
    epoch = np.datetime64("1970-01-01", "D")
    start, end = state.start[state.d_task], state.end[state.d_task]
    demand = demand_rows(alloc)
    expected = contributions(demand, epoch + start.astype("timedelta64[D]"), epoch + end.astype("timedelta64[D]"),
                             weeks[window])
    np.testing.assert_array_equal(state.contrib(rows, start, end, window), expected)
    # Each task's demand rows, grouped once, are the rows a scan for the task finds.
    for task, found in state.rows_of_task.items():
        np.testing.assert_array_equal(found, np.nonzero(state.d_task == task)[0])
    assert sorted(state.rows_of_task) == sorted(set(state.d_task.tolist()))

# --- GPU reservations ------------------------------------------------------------------------------

def _reservations(rows):
    return pd.DataFrame(rows, columns=["id", "task_id", "gpu_type", "count", "start_date", "end_date",
                                       "hourly_rate_usd", "status"]).set_index("id")


def test_a_task_needing_gpus_without_a_covering_reservation_is_flagged():
    tasks = _tasks({1: ("Pre-train", _d(0), _d(10)), 2: ("Fine-tune", _d(20), _d(25)), 3: ("Eval", _d(30), _d(32))})
    alloc = _alloc([(1, None, 5, 0, 8), (2, None, 5, 0, 4), (3, None, 5, 0, 2)])
    pools = pd.DataFrame({"gpu_type": ["H100 SXM"]}, index=[5])
    reservations = _reservations([
        (1, 1, "H100 SXM", 8, _d(0), _d(9), 2.5, "confirmed"),  # linked, covers day 0..9 inclusive
        (2, None, "h100 sxm", 2, _d(21), _d(27), 2.5, "requested"),  # unlinked, only part of Fine-tune
        (3, None, "H100 SXM", 8, _d(29), _d(40), 2.5, "cancelled"),  # cancelled covers nothing
    ])
    coverage = reservation_coverage(gpu_needs(tasks, alloc, pools), reservations).set_index("task")
    assert coverage.loc["Pre-train", "coverage"] == "covered" and coverage.loc["Pre-train", "confirmed"]
    assert coverage.loc["Fine-tune", "coverage"] == "partial"
    assert coverage.loc["Eval", "coverage"] == "none" and coverage.loc["Eval", "gpus_reserved"] == 0


def test_reserved_cost_per_month_is_count_times_hours_times_rate_and_compared_with_compute_burn():
    months = pd.date_range("2026-01-01", periods=2, freq="MS")
    reservations = _reservations([
        (1, None, "H100", 2, date(2026, 1, 31), date(2026, 2, 1), 3.0, "active"),  # 1 day in Jan, 1 in Feb
        (2, None, "H100", 9, date(2026, 1, 1), date(2026, 1, 31), 3.0, "released"),
    ])
    cost = reservation_cost_by_month(reservations, months)
    assert cost["gpu_hours"].tolist() == [48.0, 48.0]
    assert cost["reserved_usd"].tolist() == [144.0, 144.0]
    versus = reservations_vs_budget(cost, pd.Series([100.0, 500.0], index=months))
    assert versus["uncovered_usd"].tolist() == [44.0, 0.0]


def test_no_reservations_and_no_needs_give_empty_but_typed_results():
    months = pd.date_range("2026-01-01", periods=3, freq="MS")
    assert reservation_cost_by_month(_reservations([]), months)["reserved_usd"].tolist() == [0.0] * 3
    assert reservation_coverage(gpu_needs(_tasks({}), _alloc([]), pd.DataFrame({"gpu_type": []})),
                                _reservations([])).empty
    assert np.isfinite(reservations_vs_budget(reservation_cost_by_month(_reservations([]), months),
                                              pd.Series(dtype=float))["uncovered_usd"]).all()


def test_levelling_within_a_time_budget_gives_a_valid_possibly_partial_plan():
    tasks, alloc, people = _two_people_plan()
    flt = pd.Series({1: 0.0, 2: 35.0, 3: 0.0})
    out_of_time = level(tasks, alloc, people, _pools(), flt, time_budget_s=0.0)
    assert out_of_time.stopped_early and out_of_time.moves.empty
    assert level(tasks, alloc, people, _pools(), flt, time_budget_s=60.0).resolved
