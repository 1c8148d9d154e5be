"""Monte Carlo schedule risk: finish-date distributions, criticality and risk-adjusted cost.

Each iteration draws every task's duration from its three-point estimate (beta-PERT or triangular),
adds the delay of every risk event that fires in that iteration to the tasks it is linked to, and
runs the CPM passes of :mod:`analytics.schedule`. Iterations are the vector axis (a NumPy row per
task); Python loops only over tasks or links in topological order, never over iterations. A wide plan
(many short chains side by side) is passed a whole topological generation at a time instead of a task
at a time (:class:`_Steps`): the same sums in the same order, so the same dates to the last bit.

Cost in the same draw: each task's duration × its daily cost (e.g. the assignee's salary per day),
plus the $ impact of every risk event that fired. So the P80 date and the P80 cost both include the
risk events, drawn together. Days follow :class:`analytics.schedule.Calendar` (calendar days by default).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from analytics.schedule import FLOAT_TOLERANCE_DAYS, Calendar, Network, compile_network

DISTRIBUTIONS = ("pert", "triangular")
# Rows × iterations held at once: bounds memory (8 bytes each, five arrays: ~120 MB) whatever the plan size.
_CELLS_PER_CHUNK = 3_000_000
QUANTILES = {"p50": 0.50, "p80": 0.80, "p95": 0.95}


@dataclass(frozen=True)
class Simulation:
    """Samples of one Monte Carlo run. Finishes are day offsets from the project start."""

    iterations: int
    distribution: str
    seed: int
    finish: dict[str, np.ndarray]  # group name → finish offset per iteration (days)
    cost_usd: np.ndarray  # per iteration: task cost + risk events' cost
    risk_cost_usd: np.ndarray  # per iteration: the risk events' share of it
    criticality: pd.Series  # task id → share of iterations in which the task was critical (0–1)
    risk_hits: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))  # risk id → share fired


def _estimates(tasks: pd.DataFrame) -> np.ndarray:
    """(n, 3) optimistic/likely/pessimistic days; a missing estimate falls back to ``duration``."""
    cols = []
    for name in ("optimistic", "likely", "pessimistic"):
        source = tasks[name] if name in tasks.columns else pd.Series(np.nan, index=tasks.index)
        if "duration" in tasks.columns:
            source = source.fillna(tasks["duration"])
        cols.append(pd.to_numeric(source, errors="coerce").to_numpy(dtype=float))
    est = np.column_stack(cols) if cols else np.zeros((0, 3))
    ok = np.isfinite(est).all(axis=1) & (est[:, 0] >= 0) & (est[:, 0] <= est[:, 1]) & (est[:, 1] <= est[:, 2])
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        label = tasks["name"].iloc[i] if "name" in tasks.columns else ""
        raise ValueError(f"task {tasks['id'].iloc[i]}{f' {label!r}' if label else ''}: estimates must be numbers "
                         f"with 0 <= optimistic <= likely <= pessimistic, not {tuple(est[i])}")
    return est


def sample_durations(est: np.ndarray, iterations: int, distribution: str, rng: np.random.Generator) -> np.ndarray:
    """(n_tasks, iterations) durations from three-point estimates.

    beta-PERT: a + (b − a)·Beta(1 + 4(m − a)/(b − a), 1 + 4(b − m)/(b − a)), mean (a + 4m + b)/6.
    Triangular: inverse CDF of the triangle (a, m, b). A task with a = b is that many days every time.
    """
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"distribution {distribution!r} is not one of {', '.join(DISTRIBUTIONS)}")
    a, m, b = est[:, 0:1], est[:, 1:2], est[:, 2:3]
    width = b - a
    out = np.repeat(a, iterations, axis=1)
    # A fixed task (a = b: done, or one estimate) draws nothing: only the uncertain rows are sampled.
    vary = np.flatnonzero(width[:, 0] > 0)
    if not len(vary):
        return out
    a, m, b, width = a[vary], m[vary], b[vary], width[vary]
    if distribution == "pert":
        x = rng.beta(1 + 4 * (m - a) / width, 1 + 4 * (b - m) / width, size=(len(vary), iterations))
    else:
        u = rng.random((len(vary), iterations))
        c = (m - a) / width  # mode's share of the width, in [0, 1]
        x = np.where(u < c, np.sqrt(u * c), 1 - np.sqrt((1 - u) * (1 - c)))
    out[vary] += width * x
    return out


@dataclass(frozen=True)
class _Risks:
    ids: np.ndarray
    probability: np.ndarray  # 0–1
    delay: np.ndarray  # days added to each linked task
    cost: np.ndarray  # USD
    rows: tuple[np.ndarray, ...]  # linked task positions per risk


def _risks(risks: pd.DataFrame | None, net: Network) -> _Risks:
    """Risk events: columns id, probability (0–1), delay_days, cost_usd, task_ids (list of task ids)."""
    if risks is None or risks.empty:
        return _Risks(np.zeros(0, int), np.zeros(0), np.zeros(0), np.zeros(0), ())
    position = dict(zip(net.ids.tolist(), range(net.size), strict=True))
    p = pd.to_numeric(risks["probability"], errors="coerce").to_numpy(dtype=float)
    delay = pd.to_numeric(risks.get("delay_days", 0.0), errors="coerce")
    cost = pd.to_numeric(risks.get("cost_usd", 0.0), errors="coerce")
    delay = np.broadcast_to(np.asarray(delay, dtype=float), p.shape)
    cost = np.broadcast_to(np.asarray(cost, dtype=float), p.shape)
    bad = ~((p >= 0) & (p <= 1) & (delay >= 0) & np.isfinite(cost) & (cost >= 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"risk {risks['id'].iloc[i]}: probability must be 0–1 and delay and cost >= 0")
    rows = []
    for rid, linked in zip(risks["id"], risks.get("task_ids", [()] * len(risks)), strict=True):
        linked = list(linked) if isinstance(linked, list | tuple | np.ndarray | set) else []
        unknown = [t for t in linked if t not in position]
        if unknown:
            raise ValueError(f"risk {rid}: linked task {unknown[0]} is not in the plan")
        rows.append(np.unique(np.fromiter((position[t] for t in linked), dtype=np.int64, count=len(linked))))
    return _Risks(risks["id"].to_numpy(), p, delay, cost, tuple(rows))


def simulate(
    tasks: pd.DataFrame,
    links: pd.DataFrame,
    *,
    iterations: int = 5_000,
    distribution: str = "pert",
    seed: int = 0,
    groups: Mapping[str, Sequence[int]] | None = None,
    risks: pd.DataFrame | None = None,
) -> Simulation:
    """Monte Carlo over the three-point estimates with risk events.

    ``tasks``: id, optimistic, likely, pessimistic (days; or one ``duration``), optionally name,
    not_before (days) and daily_cost_usd. ``links`` as for :func:`analytics.schedule.critical_path`.
    ``groups``: name → task ids whose latest finish is reported (e.g. a milestone's tasks); the whole
    plan is always reported as ``"project"``. ``risks``: see :func:`_risks`. Seeded: the same inputs
    and seed give the same samples.
    """
    if iterations < 1:
        raise ValueError("iterations must be at least 1")
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"distribution {distribution!r} is not one of {', '.join(DISTRIBUTIONS)}")
    est = _estimates(tasks)
    net = compile_network(tasks.assign(duration=est[:, 1]), links)
    events = _risks(risks, net)
    position = pd.Series(np.arange(net.size), index=net.ids)
    members = {"project": np.arange(net.size)}
    for name, ids in (groups or {}).items():
        members[name] = position[[i for i in ids if i in position.index]].to_numpy(dtype=np.int64)
    daily_cost = (pd.to_numeric(tasks["daily_cost_usd"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
                  if "daily_cost_usd" in tasks.columns else np.zeros(net.size))
    steps = _Steps.of(net)
    incoming = outgoing = None
    if steps is None:
        incoming, outgoing = _by(net, net.succ), _by(net, net.pred)

    rng = np.random.default_rng(seed)
    chunk = max(1, min(iterations, _CELLS_PER_CHUNK // max(net.size, 1)))
    finish = {name: [] for name in members}
    costs, risk_costs, hits = [], [], np.zeros(len(events.ids))
    critical = np.zeros(net.size)
    for begin in range(0, iterations, chunk):
        c = min(chunk, iterations - begin)
        d = sample_durations(est, c, distribution, rng)
        fired = rng.random((len(events.ids), c)) < events.probability[:, None]
        hits += fired.sum(axis=1)
        for r, rows in enumerate(events.rows):
            if len(rows) and events.delay[r]:
                d[rows] += fired[r] * events.delay[r]
        es, ef = _forward(net, d, incoming) if steps is None else steps.forward(d)
        for name, rows in members.items():
            if not len(rows):
                finish[name].append(np.zeros(c))
            else:  # the whole plan: a max over the array itself, not over a fancy-indexed copy of it
                finish[name].append((ef if name == "project" else ef[rows]).max(axis=0))
        ls = (_backward(net, d, outgoing, finish["project"][-1]) if steps is None
              else steps.backward(d, finish["project"][-1]))
        np.subtract(ls, es, out=ls)  # total float, in place: ls is not needed after this
        critical += (ls <= FLOAT_TOLERANCE_DAYS).sum(axis=1)
        risk_cost = events.cost @ fired if len(events.ids) else np.zeros(c)
        costs.append(daily_cost @ d + risk_cost)
        risk_costs.append(risk_cost)
    return Simulation(
        iterations=iterations, distribution=distribution, seed=seed,
        finish={name: np.concatenate(parts) for name, parts in finish.items()},
        cost_usd=np.concatenate(costs), risk_cost_usd=np.concatenate(risk_costs),
        criticality=pd.Series(critical / iterations, index=pd.Index(net.ids, name="id"), name="criticality"),
        risk_hits=pd.Series(hits / iterations, index=pd.Index(events.ids, name="risk_id"), name="fired"),
    )


def _by(net: Network, key: np.ndarray) -> list[list[tuple[int, int, float, bool, bool]]]:
    """Per task position, its links as plain tuples (predecessor, successor, lag, from_finish, to_finish),
    grouped by ``key`` (net.succ: incoming links; net.pred: outgoing) for the per-task loops."""
    grouped: list[list[tuple[int, int, float, bool, bool]]] = [[] for _ in range(net.size)]
    for p, s, lag, ff, tf, k in zip(net.pred.tolist(), net.succ.tolist(), net.lag.tolist(), net.from_finish.tolist(),
                                    net.to_finish.tolist(), key.tolist(), strict=True):
        grouped[k].append((p, s, lag, ff, tf))
    return grouped


@dataclass(frozen=True)
class _Steps:
    """The links in steps a whole generation wide: within one generation of successors, the k-th link of
    every successor (forward) or of every predecessor (backward) forms one step, so no position repeats in a
    step and a fancy-indexed ``np.maximum`` / ``np.minimum`` updates every row of it at once."""

    net: Network
    forward_steps: tuple[np.ndarray, ...]  # link indices, generation by generation, ascending
    backward_steps: tuple[np.ndarray, ...]  # link indices, generations descending

    # Worth it when it makes at most this share of the Python steps a task-by-task pass makes: each step
    # moves its rows through several gathers, which costs more than a per-task loop on a deep, dense plan.
    MAX_STEP_SHARE = 1 / 8

    @staticmethod
    def _ranked(links: np.ndarray, key: np.ndarray) -> list[np.ndarray]:
        order = np.argsort(key[links], kind="stable")
        links, keys = links[order], key[links][order]
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        rank = np.arange(len(keys)) - np.repeat(starts, np.diff(np.r_[starts, len(keys)]))
        return [links[rank == r] for r in range(int(rank.max()) + 1)] if len(keys) else []

    @classmethod
    def of(cls, net: Network) -> _Steps | None:
        """The stepped passes for ``net``, or None where the task-by-task ones make fewer Python steps."""
        forward = [step for links in net.levels for step in cls._ranked(links, net.succ)]
        if len(forward) > cls.MAX_STEP_SHARE * net.size:
            return None
        backward = [step for links in reversed(net.levels) for step in cls._ranked(links, net.pred)]
        return cls(net, tuple(forward), tuple(backward))

    def forward(self, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Early starts and finishes, as :func:`_forward` computes them."""
        net = self.net
        es = np.repeat(np.maximum(net.not_before, 0.0)[:, None], d.shape[1], axis=1)
        for links in self.forward_steps:
            p, s = net.pred[links], net.succ[links]
            ff, tf, lag = net.from_finish[links], net.to_finish[links], net.lag[links]
            candidate = es[p]
            if ff.any():  # from the predecessor's finish: es + d, as _forward's ef
                candidate += d[p] if ff.all() else d[p] * ff[:, None]
            if lag.any():
                candidate += lag[:, None]
            if tf.any():
                candidate -= d[s] if tf.all() else d[s] * tf[:, None]
            es[s] = np.maximum(es[s], candidate)
        return es, es + d

    def backward(self, d: np.ndarray, finish: np.ndarray) -> np.ndarray:
        """Late starts against each iteration's own finish, as :func:`_backward` computes them."""
        net = self.net
        lf = np.repeat(finish[None, :], net.size, axis=0)
        for links in self.backward_steps:
            p, s = net.pred[links], net.succ[links]
            ss, sf, lag = ~net.to_finish[links], ~net.from_finish[links], net.lag[links]
            candidate = lf[s]
            if ss.any():  # to the successor's start: lf − d, as _backward's ls
                candidate -= d[s] if ss.all() else d[s] * ss[:, None]
            if lag.any():
                candidate -= lag[:, None]
            if sf.any():
                candidate += d[p] if sf.all() else d[p] * sf[:, None]
            lf[p] = np.minimum(lf[p], candidate)
        lf -= d
        return lf


def _forward(net: Network, d: np.ndarray, incoming: list) -> tuple[np.ndarray, np.ndarray]:
    """Early starts and finishes (n_tasks, iterations): one row per task in topological order.

    A finish-to-start or start-to-start link without lag is a single ``np.maximum`` into the row; the
    scratch buffer keeps the other kinds free of temporary arrays.
    """
    es, ef = np.empty_like(d), np.empty_like(d)
    buf = np.empty(d.shape[1])
    nb = np.maximum(net.not_before, 0.0)
    for t in net.order.tolist():
        row = es[t]
        row.fill(nb[t])
        for p, _s, lag, ff, tf in incoming[t]:
            source = ef[p] if ff else es[p]
            if not lag and not tf:
                np.maximum(row, source, out=row)
                continue
            np.add(source, lag, out=buf)
            if tf:
                buf -= d[t]
            np.maximum(row, buf, out=row)
        np.add(row, d[t], out=ef[t])
    return es, ef


def _backward(net: Network, d: np.ndarray, outgoing: list, finish: np.ndarray) -> np.ndarray:
    """Late starts (n_tasks, iterations) against each iteration's own project finish."""
    lf, ls = np.empty_like(d), np.empty_like(d)
    buf = np.empty(d.shape[1])
    for t in net.order[::-1].tolist():
        row = lf[t]
        row[:] = finish
        for _p, s, lag, ff, tf in outgoing[t]:
            target = lf[s] if tf else ls[s]
            if not lag and ff:
                np.minimum(row, target, out=row)
                continue
            np.subtract(target, lag, out=buf)
            if not ff:
                buf += d[t]
            np.minimum(row, buf, out=row)
        np.subtract(row, d[t], out=ls[t])
    return ls


def quantiles(samples: np.ndarray) -> dict[str, float]:
    """P50/P80/P95 as values reached by at least that share of the samples (no interpolation)."""
    values = np.quantile(samples, list(QUANTILES.values()), method="inverted_cdf")
    return dict(zip(QUANTILES, values.tolist(), strict=True))


def finish_table(sim: Simulation, calendar: Calendar, target: date | None = None) -> pd.DataFrame:
    """Per group: P50/P80/P95 finish offsets and dates, mean, and the probability of finishing by ``target``."""
    rows = []
    for name, samples in sim.finish.items():
        q = quantiles(samples)
        row: dict[str, object] = {"group": name, "mean_days": float(samples.mean())}
        for key, value in q.items():
            row[f"{key}_days"] = value
            row[f"{key}_date"] = pd.Timestamp(calendar.finish_dates(value)).date()
        if target is not None:
            row["p_target"] = float((samples <= calendar.finish_limit(target) + 1e-9).mean())
        rows.append(row)
    return pd.DataFrame(rows).set_index("group")


def s_curve(samples: np.ndarray, calendar: Calendar) -> pd.DataFrame:
    """Cumulative probability of finishing by each date that occurs in the samples."""
    dates = pd.Series(calendar.finish_dates(samples)).value_counts().sort_index()
    return pd.DataFrame({"date": pd.to_datetime(dates.index), "iterations": dates.to_numpy(),
                         "probability": dates.cumsum().to_numpy() / len(samples)})
