"""Page script time on a large workspace (5,000 tasks, 200 people, 500 risks) vs the demo workspace.

Run: ``python -m bench.bench_pages``. Builds the workspace through the repositories (validated, with
history), reports the write time and the database size, then runs every page of the router with
Streamlit's AppTest and prints the median script time per page, its ratio to the same page on the
demo workspace, and its share of the 1.5 s budget.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy.orm import sessionmaker  # noqa: E402

import db.history  # noqa: E402,F401
from bench._report import Result, emit  # noqa: E402
from db import migrate, repo  # noqa: E402
from db.demo import create_demo_workspace  # noqa: E402
from db.engine import make_engine, make_session_factory  # noqa: E402
from db.models import ComputeResource, Person, Project, Risk, Task, TaskDependency  # noqa: E402
from db.transaction import transaction  # noqa: E402

BUDGET_S = 1.5
PROJECTS, TASKS_PER_PROJECT, PEOPLE, RISKS, GPUS = 50, 100, 200, 500, 50


def build_large_workspace(factory) -> int:
    rng = random.Random(3)
    start = date(2026, 1, 5)
    with transaction(factory, actor="bench") as s:
        ws = repo.create_workspace(session=s, name="Large Co").id
        people = [repo.create(session=s, model=Person, values={
            "workspace_id": ws, "name": f"Person {i}", "role": "ML engineer", "monthly_cost_usd": 12_000,
            "start_date": start}).id for i in range(PEOPLE)]
        for i in range(GPUS):
            repo.create(session=s, model=ComputeResource, values={
                "workspace_id": ws, "name": f"Pool {i}", "gpu_type": "H100 SXM", "count": 8, "hourly_rate_usd": 2.5})
        for i in range(RISKS):
            repo.create(session=s, model=Risk, values={
                "workspace_id": ws, "category": "technical", "title": f"Risk {i}",
                "probability_pct": rng.randint(1, 99), "impact": rng.randint(1, 5), "impact_usd": 50_000})
        for p in range(PROJECTS):
            project = repo.create(session=s, model=Project, values={"workspace_id": ws, "name": f"Project {p}"}).id
            previous = None
            for t in range(TASKS_PER_PROJECT):
                begin = start + timedelta(days=t)
                task = repo.create(session=s, model=Task, values={
                    "project_id": project, "name": f"Task {p}.{t}", "assignee_id": rng.choice(people),
                    "start_date": begin, "end_date": begin + timedelta(days=3), "optimistic_days": 2,
                    "likely_days": 3, "pessimistic_days": 6, "percent_done": rng.choice([0, 50, 100])}).id
                if previous is not None:
                    repo.create(session=s, model=TaskDependency, values={"predecessor_id": previous,
                                                                         "successor_id": task})
                previous = task
    return ws


@contextmanager
def demo_and_large_workspace() -> Iterator[tuple[str, sessionmaker, int, int]]:
    """A migrated SQLite file in a temporary folder holding the demo and the large workspace.

    Yields (url, session factory, demo id, large id); the other page benchmarks start from it.
    """
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'large.db'}"
        migrate.upgrade(url)
        factory = make_session_factory(make_engine(url))
        with transaction(factory, actor="bench") as s:
            demo = create_demo_workspace(session=s).id
        yield url, factory, demo, build_large_workspace(factory)


def page_times(url: str, workspace_id: int, repeats: int = 3) -> dict[str, float]:
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    import app

    original = PagesManager.__init__

    def init(self, *args, **kwargs):  # run app.py every time, as the server does (see tests/conftest.py)
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init
    os.environ["DATABASE_URL"] = url
    times: dict[str, float] = {}
    for _section, path, title, _icon in app.PAGES:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.session_state["workspace_id"] = workspace_id
        at.run()
        if path != app.PAGES[0][1]:
            at.switch_page(path).run()
        runs = []
        for _ in range(repeats):
            began = time.perf_counter()
            at.run()
            runs.append(time.perf_counter() - began)
            assert not at.exception, [e.value for e in at.exception]
        times[title] = statistics.median(runs)
    PagesManager.__init__ = original
    return times


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "large.db"
        url = f"sqlite:///{path}"
        migrate.upgrade(url)
        factory = make_session_factory(make_engine(url))
        with transaction(factory, actor="bench") as s:
            demo = create_demo_workspace(session=s).id
        began = time.perf_counter()
        large = build_large_workspace(factory)
        write_s = time.perf_counter() - began
        rows = PEOPLE + GPUS + RISKS + PROJECTS * (1 + 2 * TASKS_PER_PROJECT - 1)
        print(f"large workspace: {PROJECTS * TASKS_PER_PROJECT:,} tasks, {PEOPLE} people, {RISKS} risks, "
              f"{GPUS} GPU pools — {rows:,} rows written through the repositories in {write_s:.1f} s "
              f"({rows / write_s:,.0f} rows/s, validated, with history); database {path.stat().st_size / 1e6:.1f} MB")
        small, big = page_times(url, demo), page_times(url, large)
        print(f"{'page':<12}{'demo (s)':>10}{'large (s)':>11}{'large/demo':>12}{'of 1.5 s budget':>17}")
        for title in big:
            print(f"{title:<12}{small[title]:>10.3f}{big[title]:>11.3f}{big[title] / small[title]:>11.1f}x"
                  f"{big[title] / BUDGET_S:>16.0%}")
            emit(Result("pages", f"{title} script run, large workspace", big[title], small[title], BUDGET_S,
                        reference="demo workspace"))


if __name__ == "__main__":
    main()
