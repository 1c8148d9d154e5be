"""Resource levelling suggestion: shift tasks later so that people and GPU pools are not over-allocated.

A greedy, serial heuristic (levelling is NP-hard; tools such as MS Project use the same kind of rule):

1. Take the earliest over-allocated (resource, week). Try moving each task that loads it later, just past
   that week and then by whole weeks more. A move pushes the task's successors by as much as the links
   require (all four link types; the slack a link already has is used first), so the plan stays valid.
2. **Phase 1** moves only non-critical tasks, and only within their total float (every task a move touches
   stays within its own float), so the project finish does not move.
3. **Phase 2**, for what phase 1 could not resolve, may move critical tasks (or beyond float); among the
   moves that help it picks the one touching the **fewest critical tasks**, then the smallest finish delay.
4. A move is accepted only if it reduces the over-allocation of the resource in question and, for every
   resource it touches, neither raises that resource's total excess nor its peak above the original plan's
   peak. So the suggested plan never makes any resource's peak over-allocation worse.

Nothing is written: the result is the proposed new dates per task, for a preview the founder applies or
discards. Dates are whole calendar days; ``total_float`` is in calendar days (a Series by task id).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.allocation import (
    PERSON,
    TOLERANCE,
    Workload,
    demand_rows,
    load_shares,
    week_starts,
    weekly_load,
)

MOVE_COLUMNS = ["name", "old_start", "old_end", "new_start", "new_end", "shift_days", "total_float_days",
                "critical", "within_float"]
# How many extra whole weeks past the first clearing shift a move may try.
EXTRA_WEEKS = 8
# Tasks tried per over-allocated cell: bounds the work on a heavily over-allocated week.
MAX_CANDIDATES = 8


@dataclass(frozen=True)
class LevellingPlan:
    """A levelling suggestion: proposed dates and what they change (nothing is written)."""

    moves: pd.DataFrame  # by task id: MOVE_COLUMNS (only tasks whose dates change)
    new_dates: pd.DataFrame  # every task: start_date, end_date after the moves
    finish_before: pd.Timestamp | None  # latest task end before / after
    finish_after: pd.Timestamp | None
    critical_moved: int  # tasks moved that were critical or moved beyond their float
    excess_before: float  # total over-allocation, summed over resources in their own unit
    excess_after: float
    resolved: bool  # no over-allocation left
    stopped_early: bool = False  # the evaluation budget ran out before every cell was tried

    @property
    def finish_delay_days(self) -> int:
        if self.finish_before is None or self.finish_after is None:
            return 0
        return int((self.finish_after - self.finish_before).days)


def _links_by_predecessor(links: pd.DataFrame | None, ids: pd.Index) -> dict[int, list[tuple[int, str, float]]]:
    """Successor links by predecessor position: (successor position, kind, lag days); links to unknown tasks
    are dropped."""
    out: dict[int, list[tuple[int, str, float]]] = defaultdict(list)
    if links is None or links.empty:
        return out
    pred = ids.get_indexer(links["predecessor_id"].to_numpy())
    succ = ids.get_indexer(links["successor_id"].to_numpy())
    keep = (pred >= 0) & (succ >= 0)
    lag = pd.to_numeric(links["lag_days"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    for p, s, kind, g in zip(pred[keep].tolist(), succ[keep].tolist(), links["kind"].to_numpy()[keep].tolist(),
                             lag[keep].tolist(), strict=True):
        out[p].append((s, str(kind), g))
    return out


class _State:
    """Current day numbers of every task and the load matrix, with cheap what-if evaluation of a move."""

    def __init__(self, tasks: pd.DataFrame, allocations: pd.DataFrame, weeks: pd.DatetimeIndex,
                 workload: Workload) -> None:
        self.ids = tasks.index
        epoch = np.datetime64("1970-01-01", "D")
        start = pd.to_datetime(tasks["start_date"]).to_numpy(dtype="datetime64[D]")
        end = pd.to_datetime(tasks["end_date"]).to_numpy(dtype="datetime64[D]")
        self.dated = ~(np.isnat(start) | np.isnat(end))
        self.start0 = np.where(self.dated, (start - epoch).astype("int64"), 0)
        self.end0 = np.where(self.dated, (end - epoch).astype("int64"), 0)
        self.start, self.end = self.start0.copy(), self.end0.copy()
        # Python-int mirrors of start/end/dated for the per-link walk of _propagate (indexing a NumPy array
        # one element at a time costs a boxed scalar each); kept in step with start/end by _apply_best_move.
        self.start_list, self.end_list = self.start.tolist(), self.end.tolist()
        self.dated_list, self.start0_list = self.dated.tolist(), self.start0.tolist()
        self.weeks = weeks
        self.week0_days = weeks.values.astype("datetime64[D]")
        self.week0 = (self.week0_days - epoch).astype("int64")
        self.demand = demand_rows(allocations)
        pos = self.ids.get_indexer(self.demand.task_id)
        res = workload.load.index.get_indexer(pd.MultiIndex.from_arrays([self.demand.kind, self.demand.resource_id]))
        keep = (pos >= 0) & (res >= 0)
        self.d_task, self.d_res = pos[keep], res[keep]
        self.d_kind, self.d_amount = self.demand.kind[keep], self.demand.amount[keep]
        self.d_person = self.d_kind == PERSON
        # Each task's demand rows in ascending order: one stable sort, cut at task boundaries (a scan of
        # every row per task was quadratic: 5,000 tasks × 5,500 rows).
        order = np.argsort(self.d_task, kind="stable")
        tasks_sorted = self.d_task[order]
        cuts = np.flatnonzero(np.r_[True, tasks_sorted[1:] != tasks_sorted[:-1]]) if order.size else order
        self.rows_of_task: dict[int, np.ndarray] = {
            int(tasks_sorted[c]): rows for c, rows in zip(cuts.tolist(), np.split(order, cuts[1:]), strict=True)}
        self.load = workload.load.to_numpy().copy()
        self.cap = workload.capacity.to_numpy()
        over = np.clip(self.load - self.cap, 0, None)
        self.peak0 = over.max(axis=1) if over.size else np.zeros(len(self.cap))
        self.flt_list: list[float] = []  # total float by position, set by level()
        self.evaluations = 0
        self.out_of_time = False

    def contrib(self, rows: np.ndarray, start: np.ndarray, end: np.ndarray, window: slice) -> np.ndarray:
        """Load of demand ``rows`` placed at day numbers ``start``..``end`` in the weeks ``window``.

        :func:`analytics.allocation.load_shares` itself (the heat map's arithmetic), on arrays: no DatetimeIndex
        slice or Demand per call, which were most of a what-if move's cost.
        """
        return load_shares(self.d_person[rows], self.d_amount[rows], start.astype("datetime64[D]"),
                           end.astype("datetime64[D]"), self.week0_days[window])

    def excess(self, load: np.ndarray, rows: np.ndarray | slice) -> np.ndarray:
        over = load - self.cap[rows]
        return np.where(over > TOLERANCE, over, 0.0)


def _propagate(state: _State, links: dict[int, list[tuple[int, str, float]]], task: int,
               shift: int) -> dict[int, int]:
    """New start day of ``task`` moved ``shift`` days later and of every successor the links push.

    A link's existing slack is used up before its successor moves; a link the plan already breaks keeps
    its deficit (levelling never "repairs" dates the founder set by hand).
    """
    start, end, dated = state.start_list, state.end_list, state.dated_list
    new_start = {task: start[task] + shift}
    queue = [task]
    while queue:
        u = queue.pop()
        delta = new_start[u] - start[u]
        for v, kind, lag in links.get(u, ()):
            if not dated[v]:
                continue
            on_end_u = kind in ("FS", "FF")  # the predecessor's date the link hangs on
            on_start_v = kind in ("FS", "SS")  # the successor's date it constrains
            anchor_old = (end[u] if on_end_u else start[u]) + round(lag)
            own_old = start[v] if on_start_v else end[v]
            deficit = max(0, anchor_old - own_old)
            required = anchor_old + delta - deficit
            vs = new_start.get(v, start[v])
            own_now = vs if on_start_v else vs + (end[v] - start[v])
            if required > own_now:
                new_start[v] = vs + (required - own_now)
                queue.append(v)
    return new_start


def _evaluate(state: _State, new_start: dict[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(affected resource rows, their new load, rows' demand) for the move, or None if it changes no load.

    Only the weeks between the moved tasks' old starts and new ends are recomputed.
    """
    state.evaluations += 1
    moved = [t for t in new_start if t in state.rows_of_task]
    if not moved:
        return None
    parts = [state.rows_of_task[t] for t in moved]
    rows = np.concatenate(parts)
    tasks = state.d_task[rows]
    # Each row's shift is its task's: one value per moved task, repeated over the task's rows.
    shift = np.repeat(np.array([new_start[t] - state.start_list[t] for t in moved], dtype="int64"),
                      [len(p) for p in parts])
    start, end = state.start[tasks], state.end[tasks]
    first_week = max(0, int((start.min() - state.week0[0]) // 7))
    last_week = min(len(state.week0), int((end.max() + shift.max() - state.week0[0]) // 7) + 1)
    window = slice(first_week, last_week)
    # Old and new placements in one call: the rows twice, before and after the shift.
    both = state.contrib(np.concatenate([rows, rows]), np.concatenate([start, start + shift]),
                         np.concatenate([end, end + shift]), window)
    old, new = both[:len(rows)], both[len(rows):]
    affected = np.unique(state.d_res[rows])
    load = state.load[affected].copy()
    np.add.at(load[:, window], np.searchsorted(affected, state.d_res[rows]), new - old)
    return affected, load, rows


def level(tasks: pd.DataFrame, allocations: pd.DataFrame, people: pd.DataFrame, pools: pd.DataFrame,
          total_float: pd.Series, links: pd.DataFrame | None = None, *, movable: pd.Series | None = None,
          max_shift_days: int = 182, max_moves: int = 400, max_evaluations: int = 600,
          time_budget_s: float | None = None) -> LevellingPlan:
    """Suggest later dates for some tasks so that no resource is over-allocated (see the module docstring).

    ``total_float``: calendar days by task id (missing = 0, i.e. critical). ``links``: predecessor_id,
    successor_id, kind (FS/SS/FF/SF), lag_days. ``movable``: bool by task id, False for tasks that must keep
    their dates (started or done); default all. ``max_shift_days`` bounds how far phase 2 may push a task.
    ``max_evaluations`` bounds the what-if moves tried, so a very large, very over-allocated plan gets a
    partial suggestion in bounded time (``stopped_early``) instead of a page that hangs. ``time_budget_s``
    (wall-clock seconds, default none) bounds it the same way for a page; the result then depends on the
    machine's speed, which is why it is off unless a caller asks for it.
    """
    dated = tasks.dropna(subset=["start_date", "end_date"])
    names = tasks["name"] if "name" in tasks.columns else pd.Series(tasks.index.astype(str), index=tasks.index)
    if dated.empty:
        return _plan(tasks, names, total_float, tasks, 0.0, 0.0, True, False)
    first = pd.to_datetime(dated["start_date"]).min()
    last = pd.to_datetime(dated["end_date"]).max() + pd.Timedelta(days=max_shift_days + 7 * (EXTRA_WEEKS + 2))
    weeks = week_starts(first, last)
    workload = weekly_load(tasks, allocations, people, pools, weeks)
    state = _State(tasks, allocations, weeks, workload)
    flt = total_float.reindex(tasks.index).fillna(0.0).clip(lower=0).to_numpy(dtype=float)
    state.flt_list = flt.tolist()
    by_pred = _links_by_predecessor(links, tasks.index)
    free = (movable.reindex(tasks.index).fillna(False).to_numpy(dtype=bool) if movable is not None
            else np.ones(len(tasks), dtype=bool))
    before = float(state.excess(state.load, slice(None)).sum())
    deadline = None if time_budget_s is None else time.perf_counter() + time_budget_s
    for phase in (1, 2):
        skipped: set[tuple[int, int]] = set()
        for _ in range(max_moves):
            cell = _next_cell(state, skipped)
            if cell is None or state.evaluations >= max_evaluations:
                break
            if deadline is not None and time.perf_counter() > deadline:
                state.out_of_time = True
                break
            if not _apply_best_move(state, by_pred, flt, free, cell, phase, max_shift_days):
                skipped.add(cell)
    after = float(state.excess(state.load, slice(None)).sum())
    epoch = np.datetime64("1970-01-01", "D")
    new_dates = tasks[["start_date", "end_date"]].copy()
    changed = state.dated & (state.start != state.start0)
    new_dates.loc[changed, "start_date"] = pd.to_datetime(epoch + state.start[changed].astype("timedelta64[D]")).date
    new_dates.loc[changed, "end_date"] = pd.to_datetime(epoch + state.end[changed].astype("timedelta64[D]")).date
    return _plan(tasks, names, total_float, new_dates, before, after, after <= TOLERANCE,
                 state.evaluations >= max_evaluations or state.out_of_time)


def _next_cell(state: _State, skipped: set[tuple[int, int]]) -> tuple[int, int] | None:
    """The earliest over-allocated (resource row, week) not yet given up on; the largest excess first."""
    over = state.excess(state.load, slice(None))
    r_idx, w_idx = np.nonzero(over)
    if r_idx.size == 0:
        return None
    order = np.lexsort((-over[r_idx, w_idx], w_idx))
    for k in order:
        cell = (int(r_idx[k]), int(w_idx[k]))
        if cell not in skipped:
            return cell
    return None


def _apply_best_move(state: _State, links: dict[int, list[tuple[int, str, float]]], flt: np.ndarray,
                     free: np.ndarray, cell: tuple[int, int], phase: int, max_shift_days: int) -> bool:
    r, w = cell
    week_start, week_end = state.week0[w], state.week0[w] + 7
    on_cell = state.d_task[state.d_res == r]
    on_cell = np.unique(on_cell[(state.start[on_cell] < week_end) & (state.end[on_cell] > week_start)])
    on_cell = on_cell[free[on_cell] & ((flt[on_cell] > 0) if phase == 1 else True)]
    # The tasks with the most float first (phase 1 can shift them furthest); a bounded number per cell.
    candidates = on_cell[np.lexsort((on_cell, -flt[on_cell]))][:MAX_CANDIDATES]
    finish = int(state.end[state.dated].max())
    target_before = float(state.excess(state.load[r], r).sum())
    start, end, start0, flt_list = state.start_list, state.end_list, state.start0_list, state.flt_list
    best: tuple | None = None
    for t in (int(c) for c in candidates):
        clear = int(week_end - state.start[t])
        for k in range(EXTRA_WEEKS + 1):
            shift = clear + 7 * k
            limit = flt[t] if phase == 1 else max_shift_days
            if shift <= 0 or shift > limit + 1e-9:
                break
            new_start = _propagate(state, links, t, shift)
            beyond = [v for v, s in new_start.items() if s - start0[v] > flt_list[v] + 1e-9]
            if phase == 1 and beyond:
                break
            new_finish = max(finish, max(s + (end[v] - start[v]) for v, s in new_start.items()))
            if phase == 1 and new_finish > finish:
                break
            evaluated = _evaluate(state, new_start)
            if evaluated is None:
                continue
            affected, load, _ = evaluated
            new_excess = state.excess(load, affected)
            old_excess = state.excess(state.load[affected], affected)
            if (new_excess.max(axis=1) > state.peak0[affected] + TOLERANCE).any():
                continue
            if (new_excess.sum(axis=1) > old_excess.sum(axis=1) + TOLERANCE).any():
                continue
            where = np.nonzero(affected == r)[0]
            target_after = float(new_excess[where[0]].sum()) if where.size else target_before
            if target_after >= target_before - TOLERANCE:
                continue
            newly_critical = sum(1 for v in beyond if start[v] == start0[v])
            score = (newly_critical, new_finish - finish, target_after, shift, t)
            if best is None or score < best[0]:
                best = (score, new_start, affected, load)
            if target_after <= TOLERANCE:
                break  # a longer shift of this task cannot touch fewer tasks, delay less or clear more
    if best is None:
        return False
    _, new_start, affected, load = best
    for v, s in new_start.items():
        duration = state.end_list[v] - state.start_list[v]
        state.start[v], state.end[v] = s, s + duration
        state.start_list[v], state.end_list[v] = s, s + duration
    state.load[affected] = load
    return True


def _plan(tasks: pd.DataFrame, names: pd.Series, total_float: pd.Series, new_dates: pd.DataFrame,
          before: float, after: float, resolved: bool, stopped_early: bool) -> LevellingPlan:
    old_start, old_end = pd.to_datetime(tasks["start_date"]), pd.to_datetime(tasks["end_date"])
    new_start, new_end = pd.to_datetime(new_dates["start_date"]), pd.to_datetime(new_dates["end_date"])
    shift = (new_start - old_start).dt.days
    moved = shift.fillna(0) != 0
    flt = total_float.reindex(tasks.index).fillna(0.0)
    moves = pd.DataFrame({
        "name": names, "old_start": old_start.dt.date, "old_end": old_end.dt.date, "new_start": new_start.dt.date,
        "new_end": new_end.dt.date, "shift_days": shift, "total_float_days": flt,
        "critical": flt <= 0, "within_float": shift <= flt + 1e-9,
    }, index=tasks.index)[moved][MOVE_COLUMNS]
    moves["shift_days"] = moves["shift_days"].astype(int)
    finish_before = old_end.max() if old_end.notna().any() else None
    finish_after = new_end.max() if new_end.notna().any() else None
    critical = int((moves["critical"] | ~moves["within_float"]).sum())
    return LevellingPlan(moves, new_dates, finish_before, finish_after, critical, before, after, resolved,
                         stopped_early)
