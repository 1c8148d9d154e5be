"""Plain-Python CPM and Monte Carlo: the oracle the tests compare against and the benchmark's baseline.

Deliberately the textbook shape: dicts and lists, Kahn's algorithm, one iteration after another.
It shares no code with :mod:`analytics.schedule` or :mod:`analytics.schedule_mc`, so agreement
between the two is evidence, not tautology.
"""

from __future__ import annotations

import math
import random
from collections import deque


def cpm(
    durations: dict[int, float], links: list[tuple[int, int, str, float]], not_before: dict[int, float] | None = None
) -> dict[int, tuple[float, float, float, float]]:
    """task id → (es, ef, ls, lf) in days; ``links`` are (predecessor, successor, kind, lag)."""
    not_before = not_before or {}
    preds: dict[int, list[tuple[int, str, float]]] = {t: [] for t in durations}
    succs: dict[int, list[tuple[int, str, float]]] = {t: [] for t in durations}
    indegree = dict.fromkeys(durations, 0)
    for p, s, kind, lag in links:
        preds[s].append((p, kind, lag))
        succs[p].append((s, kind, lag))
        indegree[s] += 1
    queue = deque(t for t, n in indegree.items() if n == 0)
    order = []
    while queue:
        t = queue.popleft()
        order.append(t)
        for s, _kind, _lag in succs[t]:
            indegree[s] -= 1
            if indegree[s] == 0:
                queue.append(s)
    if len(order) != len(durations):
        raise ValueError("cycle")
    es: dict[int, float] = {}
    for t in order:
        start = max(0.0, not_before.get(t, 0.0))
        for p, kind, lag in preds[t]:
            anchor = es[p] + durations[p] if kind[0] == "F" else es[p]
            start = max(start, anchor + lag - (durations[t] if kind[1] == "F" else 0.0))
        es[t] = start
    finish = max((es[t] + durations[t] for t in order), default=0.0)
    lf: dict[int, float] = {}
    for t in reversed(order):
        late = finish
        for s, kind, lag in succs[t]:
            anchor = lf[s] if kind[1] == "F" else lf[s] - durations[s]
            late = min(late, anchor - lag + (0.0 if kind[0] == "F" else durations[t]))
        lf[t] = late
    return {t: (es[t], es[t] + durations[t], lf[t] - durations[t], lf[t]) for t in durations}


def pert_sample(rng: random.Random, a: float, m: float, b: float) -> float:
    """One beta-PERT draw with Python's ``random.betavariate``."""
    if b <= a:
        return a
    return a + (b - a) * rng.betavariate(1 + 4 * (m - a) / (b - a), 1 + 4 * (b - m) / (b - a))


def monte_carlo(
    estimates: dict[int, tuple[float, float, float]], links: list[tuple[int, int, str, float]], iterations: int,
    seed: int = 0,
) -> tuple[list[float], dict[int, float]]:
    """Project finish per iteration and the share of iterations each task was critical, one at a time."""
    rng = random.Random(seed)
    finishes, critical = [], dict.fromkeys(estimates, 0)
    for _ in range(iterations):
        durations = {t: pert_sample(rng, *abc) for t, abc in estimates.items()}
        times = cpm(durations, links)
        finishes.append(max((ef for _es, ef, _ls, _lf in times.values()), default=0.0))
        for t, (es, _ef, ls, _lf) in times.items():
            if ls - es <= 1e-6:
                critical[t] += 1
    return finishes, {t: n / iterations for t, n in critical.items()}


def percentile(samples: list[float], q: float) -> float:
    """The smallest sample reached by at least a share ``q`` of the samples."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]
