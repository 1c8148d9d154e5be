"""Weekly workload of people (hours) and GPU pools (GPUs) from task allocations, and over-allocation.

An allocation puts a person on a task for ``hours_per_week`` and/or a GPU pool for ``gpu_count``
GPUs, for the task's whole span, so moving a task moves its load. Conventions (documented on the page):

* Weeks start on Monday (ISO). A task occupies the days ``start_date <= day < end_date`` (the end is
  exclusive: a successor may start on its predecessor's end date, as the demo plan does); a task with a
  missing date or no duration (a milestone) carries no load.
* People work Monday–Friday: a partial week is prorated by the working days of the task that fall in it
  (a Monday–Wednesday task at 40 h/week loads 24 h). Capacity is prorated the same way by the working days
  of employment (``start_date``/``end_date`` inclusive; none = open-ended), so it is 0 before a hire.
* GPUs run every day: a partial week is prorated by calendar days, for both load and pool capacity. The
  load is the week's *average* GPUs in use, so two tasks that overlap for a day inside a week are only
  flagged when the week's average exceeds the pool.

Everything is vectorised with NumPy over (demand row × week) arrays; no Python loop per task.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

PERSON, GPU = "person", "gpu"
# Loads are sums of prorated floats; ignore rounding noise when comparing with capacity.
TOLERANCE = 1e-6
_FAR_PAST = np.datetime64("1900-01-01", "D")
_FAR_FUTURE = np.datetime64("2199-12-31", "D")


def week_starts(first: object, last: object) -> pd.DatetimeIndex:
    """Mondays of every week that contains a day in ``first``..``last`` (inclusive)."""
    lo = pd.Timestamp(first).normalize()
    hi = pd.Timestamp(last).normalize()
    lo -= pd.Timedelta(days=lo.weekday())
    return pd.date_range(lo, max(lo, hi), freq="7D")


def _days(values: pd.Series | np.ndarray, missing: np.datetime64 | None = None) -> np.ndarray:
    """Dates as ``datetime64[D]``; missing values become ``missing`` (or stay NaT)."""
    days = pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[D]")
    if missing is not None:
        days = np.where(np.isnat(days), missing, days)
    return days


@dataclass(frozen=True)
class Demand:
    """One row per (allocation, resource): what the load matrix is summed from."""

    kind: np.ndarray  # "person" / "gpu"
    resource_id: np.ndarray  # int
    task_id: np.ndarray  # int
    amount: np.ndarray  # hours per week, or GPUs


def demand_rows(allocations: pd.DataFrame) -> Demand:
    """Split allocations into person rows (hours/week) and GPU-pool rows (GPUs); zero amounts are dropped."""
    parts = []
    for kind, id_col, amount_col in ((PERSON, "person_id", "hours_per_week"), (GPU, "compute_resource_id",
                                                                                "gpu_count")):
        if allocations.empty:
            continue
        rows = allocations[allocations[id_col].notna() & (allocations[amount_col].astype(float) > 0)]
        parts.append(pd.DataFrame({"kind": kind, "resource_id": rows[id_col].astype("int64"),
                                   "task_id": rows["task_id"].astype("int64"),
                                   "amount": rows[amount_col].astype(float)}))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        {"kind": pd.Series(dtype=object), "resource_id": pd.Series(dtype="int64"),
         "task_id": pd.Series(dtype="int64"), "amount": pd.Series(dtype=float)})
    return Demand(frame["kind"].to_numpy(dtype=object), frame["resource_id"].to_numpy(dtype="int64"),
                  frame["task_id"].to_numpy(dtype="int64"), frame["amount"].to_numpy(dtype=float))


def week_fractions(starts: np.ndarray, ends: np.ndarray, weeks: pd.DatetimeIndex | np.ndarray, *,
                   working_days: bool) -> np.ndarray:
    """Share of each week (columns) covered by ``[start, end)`` of each row (rows), in 0..1.

    ``weeks``: the Mondays, as a DatetimeIndex or a datetime64[D] array (the levelling search passes arrays:
    slicing an index per what-if move was most of its cost). ``working_days`` counts Monday–Friday only
    (out of 5), otherwise calendar days (out of 7). Missing dates (NaT) give 0.
    """
    w0 = np.asarray(weeks).astype("datetime64[D]")[None, :]
    w1 = w0 + np.timedelta64(7, "D")
    valid = ~(np.isnat(starts) | np.isnat(ends))
    lo = np.where(valid, starts, _FAR_PAST)[:, None]
    hi = np.where(valid, ends, _FAR_PAST)[:, None]
    a = np.maximum(lo, w0)
    b = np.minimum(hi, w1)
    b = np.maximum(a, b)  # busday_count is negative when b < a
    if working_days:
        return np.busday_count(a, b) / 5.0
    return (b - a).astype("timedelta64[D]").astype(float) / 7.0


@dataclass(frozen=True)
class Workload:
    """Load and capacity per resource (rows) and week (columns, Mondays).

    Rows are a MultiIndex (kind, resource_id); people are in hours, GPU pools in GPUs.
    """

    load: pd.DataFrame
    capacity: pd.DataFrame
    names: pd.Series  # (kind, resource_id) → display name

    @property
    def weeks(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.load.columns)

    @property
    def excess(self) -> pd.DataFrame:
        """Load above capacity (0 where within capacity)."""
        over = self.load - self.capacity
        return over.where(over > TOLERANCE, 0.0)


def _resource_index(people: pd.DataFrame, pools: pd.DataFrame) -> pd.MultiIndex:
    tuples = [(PERSON, int(i)) for i in people.index] + [(GPU, int(i)) for i in pools.index]
    return pd.MultiIndex.from_tuples(tuples, names=["kind", "resource_id"])


def capacity_matrix(people: pd.DataFrame, pools: pd.DataFrame, weeks: pd.DatetimeIndex) -> np.ndarray:
    """Capacity per resource and week: people's weekly hours × working days employed / 5; a pool's GPU
    count × calendar days active / 7. Rows follow ``people`` then ``pools``."""
    def fractions(frame: pd.DataFrame, working: bool) -> np.ndarray:
        if frame.empty:
            return np.zeros((0, len(weeks)))
        lo = _days(frame["start_date"], _FAR_PAST)
        # Employment and pool end dates are inclusive (paid on the last day), as in analytics.burn.
        hi = _days(frame["end_date"], _FAR_FUTURE - np.timedelta64(1, "D")) + np.timedelta64(1, "D")
        return week_fractions(lo, hi, weeks, working_days=working)

    hours = people["weekly_capacity_hours"].astype(float).to_numpy() if not people.empty else np.zeros(0)
    gpus = pools["count"].astype(float).to_numpy() if not pools.empty else np.zeros(0)
    return np.vstack([hours[:, None] * fractions(people, True), gpus[:, None] * fractions(pools, False)])


def contributions(demand: Demand, task_start: np.ndarray, task_end: np.ndarray,
                  weeks: pd.DatetimeIndex | np.ndarray) -> np.ndarray:
    """Load of each demand row in each week: amount × share of the week the task covers."""
    return load_shares(demand.kind == PERSON, demand.amount, task_start, task_end, weeks)


def load_shares(person: np.ndarray, amount: np.ndarray, task_start: np.ndarray, task_end: np.ndarray,
                weeks: pd.DatetimeIndex | np.ndarray) -> np.ndarray:
    """:func:`contributions` on bare arrays: ``person`` marks rows counted in working days (hours), the rest
    (GPUs) in calendar days."""
    frac = np.empty((len(amount), len(weeks)))
    frac[person] = week_fractions(task_start[person], task_end[person], weeks, working_days=True)
    frac[~person] = week_fractions(task_start[~person], task_end[~person], weeks, working_days=False)
    return amount[:, None] * frac


def _row_positions(demand: Demand, index: pd.MultiIndex) -> np.ndarray:
    """Position of each demand row's resource in ``index`` (-1 when the resource is gone)."""
    keys = pd.MultiIndex.from_arrays([demand.kind, demand.resource_id])
    return index.get_indexer(keys)


def _task_dates(tasks: pd.DataFrame, task_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    positions = tasks.index.get_indexer(task_ids)
    known = positions >= 0
    start = np.full(len(task_ids), np.datetime64("NaT"), dtype="datetime64[D]")
    end = start.copy()
    start[known] = _days(tasks["start_date"])[positions[known]]
    end[known] = _days(tasks["end_date"])[positions[known]]
    return start, end


def weekly_load(tasks: pd.DataFrame, allocations: pd.DataFrame, people: pd.DataFrame, pools: pd.DataFrame,
                weeks: pd.DatetimeIndex) -> Workload:
    """Hours per person and GPUs per pool in each week, with each resource's capacity.

    ``tasks``: indexed by task id, ``start_date``, ``end_date``. ``allocations``: ``task_id``, ``person_id``,
    ``compute_resource_id``, ``hours_per_week``, ``gpu_count``. ``people``: indexed by id, ``name``,
    ``weekly_capacity_hours``, ``start_date``, ``end_date``. ``pools``: indexed by id, ``name``, ``count``,
    ``start_date``, ``end_date``. Allocations of deleted tasks or resources (absent from the frames) are ignored.
    """
    index = _resource_index(people, pools)
    demand = demand_rows(allocations)
    start, end = _task_dates(tasks, demand.task_id)
    contrib = contributions(demand, start, end, weeks)
    rows = _row_positions(demand, index)
    load = np.zeros((len(index), len(weeks)))
    keep = rows >= 0
    np.add.at(load, rows[keep], contrib[keep])
    names = pd.Series(list(people["name"]) + list(pools["name"]), index=index, dtype=object, name="name")
    return Workload(pd.DataFrame(load, index=index, columns=weeks),
                    pd.DataFrame(capacity_matrix(people, pools, weeks), index=index, columns=weeks), names)


OVER_COLUMNS = ["kind", "resource_id", "resource", "week", "load", "capacity", "excess", "task_ids", "tasks"]


def over_allocations(workload: Workload, tasks: pd.DataFrame, allocations: pd.DataFrame) -> pd.DataFrame:
    """Every (resource, week) whose load exceeds capacity, with the tasks loading it that week.

    Columns: kind, resource_id, resource (name), week (Monday), load, capacity, excess (same unit as load:
    hours or GPUs), task_ids (tuple, largest contribution first), tasks (their names, comma-separated).
    """
    excess = workload.excess.to_numpy()
    over_r, over_w = np.nonzero(excess)
    if over_r.size == 0:
        return pd.DataFrame(columns=OVER_COLUMNS)
    weeks = workload.weeks
    demand = demand_rows(allocations)
    start, end = _task_dates(tasks, demand.task_id)
    contrib = contributions(demand, start, end, weeks)
    rows = _row_positions(demand, workload.load.index)
    over_mask = np.zeros(excess.shape, dtype=bool)
    over_mask[over_r, over_w] = True
    # Demand rows × weeks that land on an over-allocated cell of their own resource.
    hits = (rows[:, None] >= 0) & over_mask[np.maximum(rows, 0)] & (contrib > TOLERANCE)
    d_idx, w_idx = np.nonzero(hits)
    causes = pd.DataFrame({"r": rows[d_idx], "w": w_idx, "task_id": demand.task_id[d_idx],
                           "amount": contrib[d_idx, w_idx]})
    # One task may load a resource through two allocations: sum them (Cython groupby), then order each
    # cell's tasks by contribution and cut the sorted arrays at cell boundaries (no Python per row).
    causes = causes.groupby(["r", "w", "task_id"], as_index=False, sort=False)["amount"].sum()
    r, w, t, amount = (causes[c].to_numpy() for c in ("r", "w", "task_id", "amount"))
    order = np.lexsort((t, -amount, w, r))
    n_weeks = len(weeks)
    key, t = (r * n_weeks + w)[order], t[order]
    cuts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    groups = np.split(t, cuts[1:])
    label_of = tasks["name"].astype(str) if "name" in tasks.columns else pd.Series(dtype=str)
    found = label_of.index.get_indexer(t)
    labels = np.where(found >= 0, label_of.to_numpy(dtype=object)[np.maximum(found, 0)], t.astype(str))
    label_groups = np.split(labels, cuts[1:])
    cell = np.searchsorted(key[cuts], over_r * n_weeks + over_w)
    index = workload.load.index
    load, cap = workload.load.to_numpy(), workload.capacity.to_numpy()
    out = pd.DataFrame({
        "kind": index.get_level_values(0)[over_r], "resource_id": index.get_level_values(1)[over_r],
        "resource": workload.names.to_numpy()[over_r], "week": weeks[over_w],
        "load": load[over_r, over_w], "capacity": cap[over_r, over_w], "excess": excess[over_r, over_w],
    })
    out["task_ids"] = [tuple(int(x) for x in groups[c]) for c in cell]
    out["tasks"] = [", ".join(label_groups[c]) for c in cell]
    return out.sort_values(["week", "kind", "resource"], kind="stable").reset_index(drop=True)[OVER_COLUMNS]
