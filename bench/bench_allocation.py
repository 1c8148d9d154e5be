"""Weekly load and over-allocation for 200 people × 5,000 tasks, vectorised vs a plain Python loop; then the
Resources page's script time on a 5,000-task workspace with allocations, against the demo workspace.

Run: ``python -m bench.bench_allocation``. Both implementations compute the same matrices (checked to 1e-9)
and the same over-allocated (resource, week) cells with the same tasks before anything is timed.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
import timeit
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analytics.allocation import over_allocations, week_starts, weekly_load  # noqa: E402
from bench._report import Result, emit  # noqa: E402

PEOPLE, TASKS, POOLS, GPU_TASKS = 200, 5_000, 50, 500
BUDGET_S = 1.5
START = date(2026, 1, 5)


def _workspace(seed: int = 7):
    rng = random.Random(seed)
    starts = [START + timedelta(days=rng.randrange(0, 330)) for _ in range(TASKS)]
    tasks = pd.DataFrame({"name": [f"Task {i}" for i in range(TASKS)], "start_date": starts,
                          "end_date": [s + timedelta(days=rng.randrange(1, 30)) for s in starts]},
                         index=pd.RangeIndex(1, TASKS + 1))
    rows = [(t, rng.randrange(PEOPLE) + 1, None, float(rng.choice([8, 16, 24, 40])), 0.0)
            for t in range(1, TASKS + 1)]
    rows += [(rng.randrange(TASKS) + 1, None, rng.randrange(POOLS) + 1, 0.0, float(rng.choice([1, 2, 4, 8])))
             for _ in range(GPU_TASKS)]
    allocations = pd.DataFrame(rows, columns=["task_id", "person_id", "compute_resource_id", "hours_per_week",
                                              "gpu_count"])
    people = pd.DataFrame({"name": [f"Person {i}" for i in range(PEOPLE)], "weekly_capacity_hours": 40.0,
                           "start_date": [START + timedelta(days=rng.randrange(0, 120)) if i % 4 == 0 else None
                                          for i in range(PEOPLE)], "end_date": None},
                          index=pd.RangeIndex(1, PEOPLE + 1))
    pools = pd.DataFrame({"name": [f"Pool {i}" for i in range(POOLS)], "count": 8, "start_date": None,
                          "end_date": None}, index=pd.RangeIndex(1, POOLS + 1))
    return tasks, allocations, people, pools, week_starts(START, START + timedelta(days=370))


def _reference(tasks, allocations, people, pools, weeks):
    """The same maths one day at a time in plain Python: load, capacity, over-allocated cells and their tasks."""
    first, n = weeks[0].date(), len(weeks)
    horizon = [first + timedelta(days=d) for d in range(7 * n)]
    load: dict[tuple[str, int], list[float]] = {}
    cap: dict[tuple[str, int], list[float]] = {}
    for rid, row in people.iterrows():
        week = [0.0] * n
        for day_no, day in enumerate(horizon):
            if day.weekday() < 5 and (row.start_date is None or day >= row.start_date) and (
                    row.end_date is None or day <= row.end_date):
                week[day_no // 7] += row.weekly_capacity_hours / 5
        cap[("person", rid)], load[("person", rid)] = week, [0.0] * n
    for rid, row in pools.iterrows():
        cap[("gpu", rid)], load[("gpu", rid)] = [row["count"] * 1.0] * n, [0.0] * n
    spans = {tid: (row.start_date, row.end_date) for tid, row in tasks.iterrows()}
    causes: dict[tuple[tuple[str, int], int], set[int]] = {}
    for a in allocations.itertuples():
        key, per_day = (("person", a.person_id), a.hours_per_week / 5) if a.person_id == a.person_id and (
            a.person_id is not None) else (("gpu", int(a.compute_resource_id)), a.gpu_count / 7)
        start, end = spans[a.task_id]
        day = start
        while day < end:
            offset = (day - first).days
            if 0 <= offset < 7 * n and (key[0] == "gpu" or day.weekday() < 5):
                load[key][offset // 7] += per_day
                causes.setdefault((key, offset // 7), set()).add(a.task_id)
            day += timedelta(days=1)
    over = {}
    for key, weeks_load in load.items():
        for w, value in enumerate(weeks_load):
            if value - cap[key][w] > 1e-6:
                over[(key, w)] = causes[(key, w)]
    return load, cap, over


def _check(ours_load, ours_over, ref_load, ref_over, weeks) -> None:
    for key, values in ref_load.items():
        np.testing.assert_allclose(ours_load.loc[key].to_numpy(), values, rtol=1e-9, atol=1e-9)
    week_no = {w: i for i, w in enumerate(weeks)}
    got = {((r.kind, int(r.resource_id)), week_no[r.week]): set(r.task_ids) for r in ours_over.itertuples()}
    assert got == ref_over, "over-allocated cells or their tasks differ"


def _page_times(url: str, workspace_id: int, repeats: int = 3) -> tuple[float, float, float]:
    """Resources page script time: the first run (the read model computed), the median rerun (the page
    caches its read model until something is written) and the run that computes a levelling preview (its
    search is bounded by db.views_resources.LEVELLING_BUDGET_S)."""
    import streamlit as st
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    original = PagesManager.__init__

    def init(self, *args, **kwargs):  # run app.py every time, as the server does (see tests/conftest.py)
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init
    os.environ["DATABASE_URL"] = url
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state["workspace_id"] = workspace_id
    at.run()
    st.cache_data.clear()  # the first run computes the read model, whatever ran before
    began = time.perf_counter()
    at.switch_page("pages/resources.py").run()
    first = time.perf_counter() - began
    assert not at.exception, [e.value for e in at.exception]
    runs = []
    for _ in range(repeats):
        began = time.perf_counter()
        at.run()
        runs.append(time.perf_counter() - began)
        assert not at.exception, [e.value for e in at.exception]
    levelling = float("nan")
    buttons = [b for b in at.button if b.key == "levelling_suggest"]
    if buttons:
        began = time.perf_counter()
        buttons[0].click().run()
        levelling = time.perf_counter() - began
        assert not at.exception, [e.value for e in at.exception]
    PagesManager.__init__ = original
    return first, statistics.median(runs), levelling


def _add_allocations(factory, workspace_id: int) -> int:
    """Each task's assignee at 24 h/week, and every tenth task on a GPU pool, through the repositories.

    bench_pages' tasks start on fixed dates early in 2026; they are first moved by whole weeks so that they
    start a month before today, inside the page's window (otherwise the heat map would be empty).
    """
    from db import repo
    from db.models import Allocation, ComputeResource, Task
    from db.transaction import transaction

    rng = random.Random(5)
    with transaction(factory, actor="bench") as s:
        pools = [p.id for p in repo.list_rows(session=s, model=ComputeResource, workspace_id=workspace_id)]
        tasks = repo.list_rows(session=s, model=Task, workspace_id=workspace_id)
        first = min(t.start_date for t in tasks)
        shift = timedelta(weeks=max(0, (date.today() - timedelta(days=28) - first).days // 7))
        for task in tasks:
            task.start_date, task.end_date = task.start_date + shift, task.end_date + shift
        s.flush()
        for i, task in enumerate(tasks):
            repo.create(session=s, model=Allocation, values={"task_id": task.id, "person_id": task.assignee_id,
                                                             "hours_per_week": 24})
            if i % 10 == 0:
                repo.create(session=s, model=Allocation, values={"task_id": task.id, "gpu_count": 4,
                                                                 "compute_resource_id": rng.choice(pools)})
        return len(tasks) + len(tasks[::10])


def main() -> None:
    tasks, allocations, people, pools, weeks = _workspace()
    workload = weekly_load(tasks, allocations, people, pools, weeks)
    over = over_allocations(workload, tasks, allocations)
    ref_load, _ref_cap, ref_over = _reference(tasks, allocations, people, pools, weeks)
    _check(workload.load, over, ref_load, ref_over, weeks)

    def ours():
        w = weekly_load(tasks, allocations, people, pools, weeks)
        return over_allocations(w, tasks, allocations)

    t_fast = min(timeit.repeat(ours, number=3, repeat=3)) / 3
    t_slow = min(timeit.repeat(lambda: _reference(tasks, allocations, people, pools, weeks), number=1, repeat=2))
    print(f"weekly load + over-allocation: {PEOPLE} people, {POOLS} GPU pools, {TASKS:,} tasks, "
          f"{len(allocations):,} allocations, {len(weeks)} weeks; {len(over):,} over-allocated cells")
    print(f"  vectorised (analytics.allocation): {t_fast * 1e3:8.1f} ms")
    print(f"  plain Python reference:            {t_slow * 1e3:8.1f} ms")
    print(f"  speed-up: {t_slow / t_fast:.1f}x (same loads to 1e-9, same cells and tasks)")
    emit(Result("allocation", f"weekly load + over-allocation, {PEOPLE} people × {TASKS:,} tasks", t_fast, t_slow,
                reference="plain loop"))

    import db.history  # noqa: F401 - the change log, as in the app
    from bench.bench_pages import demo_and_large_workspace

    with demo_and_large_workspace() as (url, factory, demo, large):
        rows = _add_allocations(factory, large)
        _page_times(url, demo, repeats=1)  # warm-up: imports and plotly's first figure are not the page's cost
        small = _page_times(url, demo)
        big = _page_times(url, large)
    print(f"Resources page (AppTest); large workspace from bench_pages + {rows:,} allocations")
    for label, i in (("first run (read model computed)", 0), ("rerun (read model cached, median of 3)", 1),
                     ("run that computes a levelling preview", 2)):
        print(f"  {label:<40} demo {small[i]:.3f} s, large {big[i]:.3f} s ({big[i] / small[i]:.1f}x the demo, "
              f"{big[i] / BUDGET_S:.0%} of the {BUDGET_S} s budget)")
    emit(Result("allocation", "Resources page first run, 5,000 tasks + allocations", big[0], small[0], BUDGET_S,
                reference="demo workspace"))
    emit(Result("allocation", "Resources page rerun (cached read model), 5,000 tasks", big[1], small[1], BUDGET_S,
                reference="demo workspace"))
    emit(Result("allocation", "Resources page run computing a levelling preview, 5,000 tasks", big[2], small[2],
                BUDGET_S, reference="demo workspace"))


if __name__ == "__main__":
    main()
