"""Critical path: hand-computed networks, each link kind with lag, cycles refused, agreement with the oracle."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics import schedule_reference
from analytics.schedule import Calendar, critical_path, link_string


def _tasks(durations: dict[int, float], **extra) -> pd.DataFrame:
    return pd.DataFrame({"id": list(durations), "duration": list(durations.values()), **extra})


def _links(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["predecessor", "successor", "kind", "lag"])


# Textbook activity-on-node network (hand-computed): A(3) → B(4), C(2); B → D(5); C → E(1); D, E → F(2).
TEXTBOOK = _tasks({1: 3, 2: 4, 3: 2, 4: 5, 5: 1, 6: 2})
TEXTBOOK_LINKS = _links((1, 2, "FS", 0), (1, 3, "FS", 0), (2, 4, "FS", 0), (3, 5, "FS", 0),
                        (4, 6, "FS", 0), (5, 6, "FS", 0))


def test_textbook_network_has_the_known_critical_path_and_float():
    cpm = critical_path(TEXTBOOK, TEXTBOOK_LINKS)
    assert cpm.loc[cpm["critical"]].index.tolist() == [1, 2, 4, 6]  # A-B-D-F, 3+4+5+2 = 14 days
    assert cpm["ef"].max() == 14
    assert cpm[["es", "ef", "ls", "lf", "total_float"]].to_dict("index") == {
        1: {"es": 0, "ef": 3, "ls": 0, "lf": 3, "total_float": 0},
        2: {"es": 3, "ef": 7, "ls": 3, "lf": 7, "total_float": 0},
        3: {"es": 3, "ef": 5, "ls": 9, "lf": 11, "total_float": 6},
        4: {"es": 7, "ef": 12, "ls": 7, "lf": 12, "total_float": 0},
        5: {"es": 5, "ef": 6, "ls": 11, "lf": 12, "total_float": 6},
        6: {"es": 12, "ef": 14, "ls": 12, "lf": 14, "total_float": 0},
    }


# A(3) → B(4) with lag 2, one case per kind: (B's es, ef), A's total float, project finish.
@pytest.mark.parametrize(("kind", "b_es", "b_ef", "a_float", "finish"), [
    ("FS", 5, 9, 0, 9),   # B starts 2 days after A finishes
    ("SS", 2, 6, 0, 6),   # B starts 2 days after A starts
    ("FF", 1, 5, 0, 5),   # B finishes 2 days after A finishes: 3 + 2 − 4 = 1
    ("SF", 0, 4, 1, 4),   # B finishes >= 2 days after A starts: 2 − 4 < 0, so B starts at day 0;
                          # A may start as late as day 1 (finish 4) and still satisfy B's finish >= A's start + 2
])
def test_each_link_kind_with_lag(kind, b_es, b_ef, a_float, finish):
    cpm = critical_path(_tasks({1: 3, 2: 4}), _links((1, 2, kind, 2)))
    assert (cpm.loc[2, "es"], cpm.loc[2, "ef"]) == (b_es, b_ef)
    assert cpm.loc[1, "total_float"] == a_float
    assert cpm["ef"].max() == finish
    assert bool(cpm.loc[2, "critical"])


def test_a_negative_lag_is_a_lead():
    cpm = critical_path(_tasks({1: 3, 2: 4}), _links((1, 2, "FS", -1)))
    assert cpm.loc[2, "es"] == 2


def test_a_milestone_has_zero_duration_and_sits_at_its_predecessors_finish():
    cpm = critical_path(_tasks({1: 3, 2: 0, 3: 10}), _links((1, 2, "FS", 0)))
    assert (cpm.loc[2, "es"], cpm.loc[2, "ef"]) == (3, 3)
    assert cpm.loc[2, "total_float"] == 7 and not cpm.loc[2, "critical"]


def test_start_no_earlier_than_holds_a_task_back():
    cpm = critical_path(_tasks({1: 3, 2: 4}, not_before=[0, 6]), _links((1, 2, "FS", 0)))
    assert cpm.loc[2, "es"] == 6 and cpm.loc[1, "total_float"] == 3


def test_a_cycle_is_refused_naming_its_tasks():
    tasks = _tasks({1: 3, 2: 4, 3: 1}, name=["Collect data", "Train", "Evaluate"])
    with pytest.raises(ValueError, match="cycle") as caught:
        critical_path(tasks, _links((1, 2, "FS", 0), (2, 3, "FS", 0), (3, 2, "SS", 0)))
    assert "'Train' (id 2)" in str(caught.value) and "'Evaluate' (id 3)" in str(caught.value)
    assert "Collect data" not in str(caught.value)


@pytest.mark.parametrize(("tasks", "links", "message"), [
    (_tasks({1: -1}), _links(), "duration must be a number of days >= 0"),
    (_tasks({1: 3}), _links((1, 9, "FS", 0)), "successor is not a known task id"),
    (_tasks({1: 3, 2: 1}), _links((1, 2, "XX", 0)), "kind 'XX' is not one of FS, SS, FF, SF"),
    (pd.DataFrame({"id": [1, 1], "duration": [1, 2]}), _links(), "id 1 appears more than once"),
])
def test_bad_input_is_refused_with_a_message_naming_it(tasks, links, message):
    with pytest.raises(ValueError, match=message):
        critical_path(tasks, links)


def test_empty_plan_gives_an_empty_schedule():
    assert critical_path(pd.DataFrame({"id": [], "duration": []}), _links()).empty


@st.composite
def networks(draw):
    n = draw(st.integers(1, 12))
    durations = {i: float(draw(st.integers(0, 9))) for i in range(1, n + 1)}
    pairs = draw(st.lists(st.tuples(st.integers(1, n), st.integers(1, n)), max_size=20))
    links, seen = [], set()
    for a, b in pairs:
        if a < b and (a, b) not in seen:  # ids ascending along every link: never a cycle
            seen.add((a, b))
            links.append((a, b, draw(st.sampled_from(["FS", "SS", "FF", "SF"])), float(draw(st.integers(-3, 3)))))
    return durations, links


@settings(max_examples=150, deadline=None)
@given(networks())
def test_vectorised_cpm_matches_the_plain_python_oracle(network):
    durations, links = network
    cpm = critical_path(_tasks(durations), _links(*links))
    expected = schedule_reference.cpm(durations, links)
    for t in durations:
        assert tuple(cpm.loc[t, ["es", "ef", "ls", "lf"]]) == pytest.approx(expected[t])
    assert (cpm["total_float"] >= -1e-9).all() and cpm["critical"].any()


def test_calendar_days_put_a_five_day_task_from_monday_to_friday():
    calendar = Calendar(date(2026, 1, 5))  # a Monday
    assert calendar.start_dates(0.0) == np.datetime64("2026-01-05")
    assert calendar.finish_dates(5.0) == np.datetime64("2026-01-09")
    assert calendar.finish_dates(0.0) == np.datetime64("2026-01-05")  # a milestone at the start
    assert calendar.offset(date(2026, 1, 12)) == 7
    assert calendar.finish_limit(date(2026, 1, 9)) == 5


def test_working_days_skip_the_weekend():
    calendar = Calendar(date(2026, 1, 5), working_days=True)
    assert calendar.finish_dates(6.0) == np.datetime64("2026-01-12")  # 6th working day is the next Monday
    assert calendar.start_dates(5.0) == np.datetime64("2026-01-12")
    assert calendar.offset(date(2026, 1, 12)) == 5
    assert calendar.finish_limit(date(2026, 1, 10)) == 5  # a Saturday target: finished by Friday


def test_link_string_reads_like_the_csv():
    assert [link_string("FS", 0), link_string("SS", 3), link_string("FF", -2)] == ["FS", "SS+3", "FF-2"]


@settings(max_examples=100, deadline=None)
@given(networks())
def test_generations_match_networkx(network):
    import networkx as nx

    from analytics.schedule import topological_generations

    durations, links = network
    n = len(durations)
    pred = np.array([a - 1 for a, *_ in links], dtype=np.int64)
    succ = np.array([b - 1 for _, b, *_ in links], dtype=np.int64)
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(zip(pred.tolist(), succ.tolist(), strict=True))
    expected = np.empty(n, dtype=np.int64)
    for g, nodes in enumerate(nx.topological_generations(graph)):
        expected[list(nodes)] = g
    assert topological_generations(n, pred, succ).tolist() == expected.tolist()


def test_a_cycle_deep_in_a_larger_plan_is_found_and_only_its_tasks_named():
    tasks = _tasks({i: 1 for i in range(1, 8)}, name=[f"T{i}" for i in range(1, 8)])
    links = _links((1, 2, "FS", 0), (2, 3, "FS", 0), (3, 4, "FS", 0), (4, 5, "FS", 0), (5, 3, "FF", 0),
                   (5, 6, "FS", 0), (1, 7, "FS", 0))
    with pytest.raises(ValueError) as caught:
        critical_path(tasks, links)
    named = {f"T{i}" for i in range(1, 8) if f"'T{i}'" in str(caught.value)}
    assert named == {"T3", "T4", "T5"}
