"""Critical path (CPM) for all four link types with lag, and the plan's calendar.

Time is measured in **days from the project start** (floats). A task occupies ``[es, ef)`` with
``ef = es + duration``; a link ``p → s`` of kind ``XY`` with lag ``L`` says that the X-end of ``p``
(S = start, F = finish) plus ``L`` comes no later than the Y-end of ``s``:

=====  ==============================  ========================================
kind   constraint                      forward pass: es[s] >= …
=====  ==============================  ========================================
FS     ef[p] + L <= es[s]               ef[p] + L
SS     es[p] + L <= es[s]               es[p] + L
FF     ef[p] + L <= ef[s]               ef[p] + L − d[s]
SF     es[p] + L <= ef[s]               es[p] + L − d[s]
=====  ==============================  ========================================

No task starts before day 0 (or before its own ``not_before`` day, a "start no earlier than"
constraint). The backward pass mirrors the table from the project finish, and the total float is
``ls − es``; tasks with no float are critical. Tasks are ordered by topological generation (a
vectorised Kahn's algorithm; networkx names the tasks of a cycle), and both passes are vectorised over
each generation, so Python loops over generations (the depth of the network), not tasks or links.

Days are **calendar days** by default: a founding team's plan, the Projects page's dates and the burn
(per calendar month) all count weekends. :class:`Calendar` with ``working_days=True`` counts Monday to
Friday instead (``numpy.busday_offset``; no public holidays).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

import networkx as nx
import numpy as np
import pandas as pd

LINK_KINDS = ("FS", "SS", "FF", "SF")
# A float this small is rounding, not slack: a task with less is critical.
FLOAT_TOLERANCE_DAYS = 1e-6


@dataclass(frozen=True)
class Network:
    """Tasks and links compiled into arrays (positions, not ids) in topological order."""

    ids: np.ndarray  # task id per position (input order)
    names: tuple[str, ...]  # for messages
    duration: np.ndarray  # days
    not_before: np.ndarray  # earliest start, days from project start
    pred: np.ndarray  # link → predecessor position
    succ: np.ndarray  # link → successor position
    from_finish: np.ndarray  # link starts at the predecessor's finish (FS, FF)
    to_finish: np.ndarray  # link ends at the successor's finish (FF, SF)
    lag: np.ndarray  # days
    order: np.ndarray  # positions in a topological order
    levels: tuple[np.ndarray, ...]  # links grouped by the successor's topological generation

    @property
    def size(self) -> int:
        return len(self.ids)


def _name(names: tuple[str, ...], ids: np.ndarray, position: int) -> str:
    return f"{names[position]!r} (id {ids[position]})" if names[position] else f"task {ids[position]}"


def topological_generations(size: int, pred: np.ndarray, succ: np.ndarray) -> np.ndarray:
    """Generation of every node (0 = no predecessor; else one more than its latest predecessor's), or −1
    for nodes on or behind a cycle.

    Kahn's algorithm a whole generation at a time: each step is a few NumPy calls over the links leaving
    the current frontier, so a 5,000-task plan is ordered in milliseconds. (networkx's
    ``topological_generations`` gives the same generations but spent most of the CPM time building its
    graph; it still names the tasks of a cycle, see :func:`_describe_cycle`.)
    """
    generation = np.full(size, -1, dtype=np.int64)
    indegree = np.bincount(succ, minlength=size)
    by_pred = np.argsort(pred, kind="stable")
    targets_sorted = succ[by_pred]
    first = np.searchsorted(pred[by_pred], np.arange(size + 1))
    frontier = np.flatnonzero(indegree == 0)
    level = 0
    while frontier.size:
        generation[frontier] = level
        counts = first[frontier + 1] - first[frontier]
        if not counts.sum():
            break
        # Positions of every link leaving the frontier: each node's run first[n] … first[n+1]−1, concatenated.
        starts = np.repeat(first[frontier] - np.cumsum(counts) + counts, counts)
        targets = targets_sorted[starts + np.arange(counts.sum())]
        indegree -= np.bincount(targets, minlength=size)
        frontier = np.unique(targets[indegree[targets] == 0])
        level += 1
    return generation


def _describe_cycle(names: tuple[str, ...], ids: np.ndarray, pred: np.ndarray, succ: np.ndarray,
                    generation: np.ndarray) -> str:
    """'A' (id 1) → 'B' (id 2) → 'A' (id 1) for one cycle among the unordered tasks (networkx finds it)."""
    stuck = generation < 0
    keep = stuck[pred] & stuck[succ]
    graph = nx.DiGraph(list(zip(pred[keep].tolist(), succ[keep].tolist(), strict=True)))
    cycle = [u for u, _v in nx.find_cycle(graph)]
    return " → ".join(_name(names, ids, i) for i in [*cycle, cycle[0]])


def compile_network(tasks: pd.DataFrame, links: pd.DataFrame) -> Network:
    """Check and compile ``tasks`` (id, duration[, name, not_before]) and ``links`` (predecessor,
    successor, kind, lag). Raises ValueError naming the task, link or cycle at fault."""
    for column in ("id", "duration"):
        if column not in tasks.columns:
            raise ValueError(f"tasks: missing column {column!r}")
    ids = tasks["id"].to_numpy()
    if pd.Index(ids).has_duplicates:
        dup = pd.Index(ids)[pd.Index(ids).duplicated()][0]
        raise ValueError(f"tasks: id {dup} appears more than once")
    duration = pd.to_numeric(tasks["duration"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(duration) | (duration < 0)
    names = tuple(str(n) for n in tasks["name"]) if "name" in tasks.columns else ("",) * len(ids)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"task {_name(names, ids, i)}: duration must be a number of days >= 0, "
                         f"not {tasks['duration'].iloc[i]!r}")
    not_before = (pd.to_numeric(tasks["not_before"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
                  if "not_before" in tasks.columns else np.zeros(len(ids)))
    position = pd.Series(np.arange(len(ids)), index=ids)
    if links is None or links.empty:
        links = pd.DataFrame({"predecessor": [], "successor": [], "kind": [], "lag": []})
    for column in ("predecessor", "successor"):
        unknown = ~links[column].isin(position.index)
        if unknown.any():
            raise ValueError(f"link {links[column][unknown].iloc[0]} → ?: {column} is not a known task id"
                             if column == "predecessor" else
                             f"link ? → {links[column][unknown].iloc[0]}: {column} is not a known task id")
    kinds = links["kind"].fillna("FS").astype(str).str.upper() if "kind" in links.columns else pd.Series(
        ["FS"] * len(links), index=links.index)
    wrong = ~kinds.isin(LINK_KINDS)
    if wrong.any():
        row = links[wrong].iloc[0]
        raise ValueError(f"link {row['predecessor']} → {row['successor']}: kind {kinds[wrong].iloc[0]!r} "
                         f"is not one of {', '.join(LINK_KINDS)}")
    raw_lag = links["lag"] if "lag" in links.columns else pd.Series(0.0, index=links.index)
    lag = pd.to_numeric(raw_lag, errors="coerce").to_numpy(dtype=float)
    lag = np.where(raw_lag.isna().to_numpy(), 0.0, lag)  # a missing lag is no lag; a word is an error
    if not np.isfinite(lag).all():
        row = links.iloc[int(np.flatnonzero(~np.isfinite(lag))[0])]
        raise ValueError(f"link {row['predecessor']} → {row['successor']}: lag must be a number of days")
    pred = position[links["predecessor"].to_numpy()].to_numpy(dtype=np.int64)
    succ = position[links["successor"].to_numpy()].to_numpy(dtype=np.int64)

    generation = topological_generations(len(ids), pred, succ)
    if (generation < 0).any():
        raise ValueError(f"the dependencies form a cycle: {_describe_cycle(names, ids, pred, succ, generation)}")
    depth = int(generation.max()) + 1 if len(ids) else 0
    by_level = np.argsort(generation[succ], kind="stable")
    bounds = np.searchsorted(generation[succ][by_level], np.arange(depth + 1))
    levels = tuple(by_level[a:b] for a, b in pairwise(bounds) if b > a)
    kind_arr = kinds.to_numpy(dtype=str)
    return Network(
        ids=ids, names=names, duration=duration, not_before=not_before, pred=pred, succ=succ,
        from_finish=np.isin(kind_arr, ("FS", "FF")), to_finish=np.isin(kind_arr, ("FF", "SF")), lag=lag,
        order=np.argsort(generation, kind="stable"),
        levels=levels,
    )


def schedule_arrays(net: Network, duration: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Early and late starts (days) of every task for the given durations (default: the network's)."""
    d = net.duration if duration is None else duration
    es = np.maximum(net.not_before, 0.0).copy()
    for links in net.levels:  # successors of one generation depend only on earlier generations
        p, s = net.pred[links], net.succ[links]
        candidate = es[p] + d[p] * net.from_finish[links] + net.lag[links] - d[s] * net.to_finish[links]
        np.maximum.at(es, s, candidate)
    finish = float((es + d).max()) if len(d) else 0.0
    lf = np.full(len(d), finish)
    for links in reversed(net.levels):  # predecessors of later generations are settled first
        p, s = net.pred[links], net.succ[links]
        candidate = lf[s] - d[s] * ~net.to_finish[links] - net.lag[links] + d[p] * ~net.from_finish[links]
        np.minimum.at(lf, p, candidate)
    return es, lf - d


def critical_path(tasks: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """CPM for all four link kinds with lag.

    ``tasks``: columns id (int), duration (float days; 0 for a milestone), optionally name (for
    messages) and not_before (earliest start, days). ``links``: predecessor, successor, kind
    ('FS', 'SS', 'FF', 'SF'), lag (float days, may be negative). Returns a DataFrame indexed by task
    id with es, ef, ls, lf (days from project start), total_float (days) and critical (bool).
    Raises ValueError naming the tasks of a cycle (or the bad task or link).
    """
    net = compile_network(tasks, links)
    es, ls = schedule_arrays(net)
    total_float = ls - es
    return pd.DataFrame(
        {"es": es, "ef": es + net.duration, "ls": ls, "lf": ls + net.duration, "total_float": total_float,
         "critical": total_float <= FLOAT_TOLERANCE_DAYS},
        index=pd.Index(net.ids, name="id"),
    )


@dataclass(frozen=True)
class Calendar:
    """Day offsets ↔ dates. Day 0 is the morning of ``start``; a task ending at offset 5.0 ends on
    the evening of day 4, so its (inclusive) finish date is start + 4 days (or working days)."""

    start: date
    working_days: bool = False

    def _shift(self, days: np.ndarray) -> np.ndarray:
        base = np.datetime64(self.start, "D")
        if self.working_days:
            return np.busday_offset(base, days, roll="forward")
        return base + days.astype("timedelta64[D]")

    def start_dates(self, offsets: np.ndarray | float) -> np.ndarray:
        """The date on which work at day ``offsets`` happens (datetime64[D])."""
        return self._shift(np.floor(np.asarray(offsets, dtype=float)).astype(np.int64))

    def finish_dates(self, offsets: np.ndarray | float) -> np.ndarray:
        """The last day of work for a task ending at ``offsets`` (a milestone at 0 falls on the start)."""
        return self._shift(np.maximum(np.ceil(np.asarray(offsets, dtype=float)) - 1, 0).astype(np.int64))

    def offset(self, when: date) -> float:
        """Days from the start to the morning of ``when`` (negative before the start)."""
        if self.working_days:
            return float(np.busday_count(np.datetime64(self.start, "D"), np.datetime64(when, "D")))
        return float((when - self.start).days)

    def finish_limit(self, target: date) -> float:
        """The latest finish offset whose finish date is on or before ``target``."""
        return self.offset(target + timedelta(days=1))


def link_string(kind: str, lag: float) -> str:
    """A link as the CLI and the page write it: 'FS', 'SS+3', 'FF-2'."""
    if not lag:
        return kind
    return f"{kind}{lag:+g}"
