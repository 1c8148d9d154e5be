"""Risks: the weekly trend rebuilt from history, and the Risks page on a workspace with 500 risks.

Run: ``python -m bench.bench_risks``.

1. ``risk_trend`` (as-of join over weeks × risks, vectorised) against a plain Python single pass over the
   same change log, totalling the register at each week's end, on a generated log (500 risks re-estimated
   about weekly for a year); both must give the same table.
2. The Risks page's script time (Streamlit AppTest, median of 3 runs) on bench_pages' large workspace
   (5,000 tasks, 200 people, 500 risks) with 1,000 risk → task links and every risk edited twice, against
   the same page on the demo workspace, and its share of the issue's 1.5 s budget.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import db.history  # noqa: E402,F401
from analytics.risk import probability_level  # noqa: E402
from analytics.risk_register import risk_trend  # noqa: E402
from bench._report import Result, emit  # noqa: E402
from bench.bench_pages import BUDGET_S, demo_and_large_workspace  # noqa: E402
from db import repo  # noqa: E402
from db.models import Risk, Task  # noqa: E402
from db.risks import set_linked_tasks  # noqa: E402
from db.transaction import transaction  # noqa: E402

RISKS, WEEKS, TODAY = 500, 52, date(2026, 11, 23)


def generated_log(seed: int = 5) -> pd.DataFrame:
    """A year of a 500-risk register's change log: creates, weekly-ish re-estimates, closes, deletes."""
    rng = random.Random(seed)
    start = datetime(2025, 11, 24, 9)
    rows = []
    for risk in range(1, RISKS + 1):
        state = {"status": "open", "kind": rng.choice(["threat"] * 4 + ["opportunity"]),
                 "probability_pct": float(rng.randint(1, 99)), "impact": rng.randint(1, 5),
                 "impact_usd": float(rng.randint(1, 50) * 10_000), "deleted_at": None}
        at = start + timedelta(hours=rng.randint(0, 24 * 7 * 8))
        rows.append({"at": at, "row_id": risk, "action": "create", "after": dict(state)})
        while True:
            at += timedelta(hours=rng.randint(24, 24 * 14))
            if at.date() > TODAY:
                break
            roll = rng.random()
            if roll < 0.03:
                state["deleted_at"] = at.isoformat()
                rows.append({"at": at, "row_id": risk, "action": "delete", "after": dict(state)})
                break
            if roll < 0.08:
                state["status"] = "closed" if state["status"] != "closed" else "open"
            else:
                state["probability_pct"] = float(rng.randint(1, 99))
                state["impact"] = rng.randint(1, 5)
            rows.append({"at": at, "row_id": risk, "action": "update", "after": dict(state)})
    return pd.DataFrame(rows).sort_values("at", kind="stable").reset_index(drop=True)


def reference_trend(log: pd.DataFrame, today: date, weeks: int) -> pd.DataFrame:
    """Plain Python: one pass over the time-ordered log, totalling the open risks at each week's end."""
    entries = sorted(log.itertuples(index=False), key=lambda e: e.at)
    this_monday = today - timedelta(days=today.weekday())
    mondays = [this_monday - timedelta(weeks=w) for w in range(weeks - 1, -1, -1)]
    state: dict[int, dict | None] = {}
    position, out = 0, []
    for monday in mondays:
        end = datetime.combine(monday + timedelta(days=7), datetime.min.time())
        while position < len(entries) and entries[position].at < end:
            e = entries[position]
            state[e.row_id] = None if e.action == "purge" or e.after.get("deleted_at") else e.after
            position += 1
        open_risks = [s for s in state.values() if s is not None and s["status"] != "closed"]
        emv = [(1 if s["kind"] == "opportunity" else -1) * s["probability_pct"] / 100 * s["impact_usd"]
               for s in open_risks]
        scores = [probability_level(s["probability_pct"]) * s["impact"] for s in open_risks]
        out.append((pd.Timestamp(monday), len(open_risks), sum(emv), sum(scores) / len(scores) if scores else np.nan))
    return pd.DataFrame(out, columns=["week", "open_risks", "total_emv_usd", "mean_score"]).set_index("week")


def bench_trend() -> None:
    log = generated_log()
    ours = reference = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        fast = risk_trend(log, TODAY, weeks=WEEKS)
        ours = min(ours, time.perf_counter() - began)
    began = time.perf_counter()
    slow = reference_trend(log, TODAY, WEEKS)
    reference = time.perf_counter() - began
    assert fast["open_risks"].tolist() == slow["open_risks"].tolist()
    assert np.allclose(fast["total_emv_usd"], slow["total_emv_usd"])
    assert np.allclose(fast["mean_score"], slow["mean_score"], equal_nan=True)
    print(f"risk trend: {len(log):,} change-log rows, {RISKS} risks, {WEEKS} weeks — vectorised {ours * 1e3:.1f} ms "
          f"vs plain one-pass replay {reference * 1e3:.0f} ms: {reference / ours:.1f}x, same table")
    emit(Result("risks", f"risk trend, {len(log):,} log rows × {WEEKS} weeks", ours, reference,
                reference="plain one-pass replay"))


def _enrich(factory, workspace_id: int) -> int:
    """Link each risk of the large workspace to two tasks and edit it twice (history for the trend)."""
    rng = random.Random(7)
    with transaction(factory, actor="bench") as s:
        tasks = [t.id for t in repo.list_rows(session=s, model=Task, workspace_id=workspace_id)]
        risks = repo.list_rows(session=s, model=Risk, workspace_id=workspace_id)
        for risk in risks:
            set_linked_tasks(session=s, risk_id=risk.id, task_ids=rng.sample(tasks, 2))
            repo.update(session=s, model=Risk, row_id=risk.id, values={"schedule_impact_days": rng.randint(0, 10)})
            repo.update(session=s, model=Risk, row_id=risk.id, values={"probability_pct": rng.randint(1, 99),
                                                                        "review_date": TODAY})
    return len(risks)


def page_time(url: str, workspace_id: int, repeats: int = 3) -> float:
    """Median script time of the Risks page in AppTest (run through app.py, as the server does)."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    original = PagesManager.__init__

    def init(self, *args, **kwargs):  # see tests/conftest.py navigation_only
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init
    os.environ["DATABASE_URL"] = url
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.session_state["workspace_id"] = workspace_id
        at.run()
        at.switch_page("pages/risks.py").run()
        runs = []
        for _ in range(repeats):
            began = time.perf_counter()
            at.run()
            runs.append(time.perf_counter() - began)
            assert not at.exception, [e.value for e in at.exception]
        return statistics.median(runs)
    finally:
        PagesManager.__init__ = original


def bench_page() -> None:
    with demo_and_large_workspace() as (url, factory, demo, large):
        risks = _enrich(factory, large)
        small, big = page_time(url, demo), page_time(url, large)
    print(f"Risks page: demo {small:.3f} s, large workspace ({risks} risks, {2 * risks} task links, 5,000 tasks) "
          f"{big:.3f} s = {big / small:.1f}x the demo, {big / BUDGET_S:.0%} of the {BUDGET_S} s budget")
    emit(Result("risks", f"Risks page script run, {risks} risks", big, small, BUDGET_S, reference="demo workspace"))


if __name__ == "__main__":
    bench_trend()
    if "--trend-only" not in sys.argv:
        bench_page()
