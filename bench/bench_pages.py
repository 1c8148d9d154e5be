"""Page script time on a large workspace vs the demo workspace (issue 7's scale).

The large workspace: 5,000 tasks, 200 people, 500 risks, 50 GPU pools and 50 cost scenarios, plus 1,000
modelhub benchmark runs in the same database (runs are global, so every workspace's Modelhub and Compute
cost pages read them).

Run: ``python -m bench.bench_pages``. Times every page of the router on the demo workspace first (the
database as a new user has it: the demo and no benchmark runs), then builds the large workspace through the
repositories (validated, with history), reports the write time and the database size, and times every page
again on it. Prints the median script time per page (Streamlit's AppTest), its ratio to the demo and its
share of the 1.5 s budget.
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

from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

import db.history  # noqa: E402,F401
from analytics.compute_report import CostRequest, build_report, scenario_values  # noqa: E402
from analytics.gpu_catalogue import api_price_table, merged_gpus, price_table  # noqa: E402
from bench._report import Result, emit  # noqa: E402
from db import migrate, modelhub_repo, repo  # noqa: E402
from db.cost_scenarios import save_scenario  # noqa: E402
from db.demo import create_demo_workspace  # noqa: E402
from db.engine import make_engine, make_session_factory  # noqa: E402
from db.models import ComputeResource, Person, Project, Risk, Task, TaskDependency  # noqa: E402
from db.transaction import transaction  # noqa: E402

BUDGET_S = 1.5
PROJECTS, TASKS_PER_PROJECT, PEOPLE, RISKS, GPUS = 50, 100, 200, 500, 50
SCENARIOS, RUNS = 50, 1_000
ROWS = PEOPLE + GPUS + RISKS + PROJECTS * (1 + 2 * TASKS_PER_PROJECT - 1) + 2 * SCENARIOS + RUNS
GENERATED = "generated row for load (bench_pages), not a measurement"


def build_large_workspace(factory) -> int:
    """The large workspace's plan, GPU pools and risks, then its cost scenarios and the global benchmark runs."""
    ws = _build_plan(factory)
    add_cost_scenarios(factory, ws)
    add_revenue_scenarios(factory, ws)
    add_benchmark_runs(factory)
    return ws


def add_revenue_scenarios(factory, workspace_id: int, count: int = SCENARIOS) -> None:
    """``count`` revenue scenarios: the demo's base case with demand, churn and prices scaled at random (made up
    for load, saved through :func:`db.revenue.save_revenue_scenario`, so checked like a user's)."""
    from analytics.revenue.editing import what_if
    from db.demo_revenue import DEMO_BASE
    from db.revenue import save_revenue_scenario

    rng = random.Random(6)
    with transaction(factory, actor="bench") as s:
        for i in range(count):
            doc = what_if(DEMO_BASE, demand=rng.uniform(0.5, 2), churn=rng.uniform(0.5, 2), price=rng.uniform(0.7, 1.4))
            save_revenue_scenario(session=s, workspace_id=workspace_id, name=f"Revenue scenario {i}", spec=doc,
                                  notes=GENERATED, private=rng.random() < 0.2)


def add_cost_scenarios(factory, workspace_id: int, count: int = SCENARIOS) -> None:
    """``count`` saved cost scenarios, each computed by the cost engine from a varied request (model size,
    tokens, GPU, fleet, load) and saved through :func:`db.cost_scenarios.save_scenario` (validated, unique
    names, with history). The requests are made up for load; the figures are the engine's."""
    rng = random.Random(5)
    gpus, prices, api = merged_gpus(), price_table(), api_price_table()
    keys = sorted(set(gpus.index) & set(prices["gpu"]))  # GPUs the catalogue can price
    with transaction(factory, actor="bench") as s:
        for i in range(count):
            params = rng.choice([1e9, 3e9, 7e9, 8e9, 13e9, 34e9, 70e9])
            request = CostRequest(
                gpu=rng.choice(keys), params=params, tokens=params * rng.choice([20, 50, 100, 200]),
                n_gpus=rng.choice([8, 16, 32, 64, 128, 256]), tokens_per_day=rng.choice([1e7, 1e8, 5e8, 1e9, 5e9]),
                prompt_tokens=rng.choice([200, 1_000, 2_000, 8_000]), output_tokens=rng.choice([100, 250, 400]),
                utilisation=rng.choice([0.3, 0.5, 0.7]), price_kind=rng.choice(["on_demand", "on_demand", "reserved"]))
            try:
                report = build_report(request, gpus, prices, api)
            except ValueError:  # e.g. no reserved price for that GPU: price it on demand instead
                report = build_report(CostRequest(**{**request.__dict__, "price_kind": "on_demand"}), gpus, prices,
                                      api)
            values = scenario_values(report, name=f"Scenario {i}: {params / 1e9:g}B on {request.gpu}",
                                     private=rng.random() < 0.2, notes=GENERATED,
                                     amortise_months=rng.choice([None, None, 12, 24, 36]))
            save_scenario(session=s, workspace_id=workspace_id, values=values)


# Per registry family: the unit the harness counts, a parameter count, and whether FLOPs are counted.
_FAMILY = {"classic": ("sample", 50_000, False), "cnn": ("sample", 1_200_000, True), "mlp": ("sample", 270_000, True),
           "resnet": ("sample", 11_000_000, True), "lstm": ("token", 16_000_000, True),
           "ngram": ("token", 0, False), "transformer": ("token", 124_000_000, True)}
_DEVICES = {"cpu": ("AMD EPYC 7B13 64-Core Processor", 1.2e12, "measured fp32 matmul probe, 2 threads"),
            "cuda": ("NVIDIA H100 80GB HBM3", 989e12, "datasheet dense bf16 peak (h100-sxm)")}


def add_benchmark_runs(factory, count: int = RUNS) -> None:
    """``count`` modelhub benchmark runs (global rows) stored through :func:`db.modelhub_repo.add_run`.

    These are generated rows for load, not measurements: model names cycle through the registry, devices
    alternate cpu/cuda (fit recipes only on cpu), and throughput, step times, MFU and the quality metric are
    drawn from plausible ranges. Every row says so in ``peak_source``, ``versions`` and ``git_commit``.
    """
    from modelhub import registry

    rng = random.Random(7)
    entries = [registry.get(name) for name in registry.list_models()]
    with transaction(factory, actor="bench") as s:
        for i in range(count):
            entry = entries[i % len(entries)]
            unit, params, counted = _FAMILY.get(entry.family, ("sample", 100_000, True))
            device = "cpu" if not counted or rng.random() < 0.5 else "cuda"
            device_name, peak, peak_source = _DEVICES[device]
            config = rng.choice(["smoke", "default", "scale"] if device == "cuda" else ["smoke", "default"])
            ups = rng.lognormvariate(10 if device == "cuda" else 7, 1.0)
            batch = rng.choice([32, 64, 128]) * (256 if unit == "token" else 1)
            step = batch / ups
            fpu = 6.0 * params * rng.uniform(0.9, 1.2) if counted else None
            achieved = fpu * ups if fpu else None
            quality = rng.uniform(1.5, 5.0) if not entry.higher_is_better else rng.uniform(0.55, 0.99)
            modelhub_repo.add_run(session=s, values={
                "model_name": entry.name, "config_name": config, "device_name": device_name, "device_type": device,
                "precision": "fp64" if not counted else ("bf16" if device == "cuda" else "fp32"),
                "compiled": device == "cuda" and rng.random() < 0.3, "params": params or 1, "unit": unit,
                "flops_per_unit": fpu, "batch_units": batch, "units_per_second": ups, "step_time_median": step,
                "step_time_p10": step * 0.95, "step_time_p90": step * rng.uniform(1.05, 1.4),
                "achieved_flops": achieved, "peak_flops": peak if counted else None,
                "peak_source": f"{peak_source}; {GENERATED}" if counted else f"not applicable; {GENERATED}",
                "mfu": min(achieved / peak, 0.8) if achieved else None,
                "peak_memory_bytes": int(params * rng.uniform(16, 40)) + 50 * 2**20, "memory_source": GENERATED,
                "metric_name": entry.metric, "metric_value": quality, "metrics": {entry.metric: quality},
                "train_seconds": rng.uniform(5, 3_600),
                "hardware": {"device_type": device, "device_name": device_name, "cpu_cores": 16, "torch_threads": 2},
                "versions": {"note": GENERATED}, "git_commit": "generated",
                "samples": ["(generated row: no text)"] if entry.task == "language-modeling" and i < 60 else []})


def _build_plan(factory) -> int:
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
        small = page_times(url, demo)  # before the large workspace and its global benchmark runs exist
        began = time.perf_counter()
        large = _build_plan(factory)
        plan_s = time.perf_counter() - began
        add_cost_scenarios(factory, large)
        add_revenue_scenarios(factory, large)
        scenarios_s = time.perf_counter() - began - plan_s
        add_benchmark_runs(factory)
        write_s = time.perf_counter() - began
        runs_s = write_s - plan_s - scenarios_s
        # WAL mode: committed rows may still sit in the -wal file (with superseded page copies) until a
        # checkpoint; move them into the database file so its size is the data's.
        with factory() as s:
            s.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        size = path.stat().st_size
        print(f"large workspace: {PROJECTS * TASKS_PER_PROJECT:,} tasks, {PEOPLE} people, {RISKS} risks, "
              f"{GPUS} GPU pools, {SCENARIOS} cost and {SCENARIOS} revenue scenarios + {RUNS:,} benchmark runs — "
              f"{ROWS:,} rows written "
              f"through the repositories in {write_s:.1f} s ({ROWS / write_s:,.0f} rows/s, validated, with history; "
              f"plan {plan_s:.1f} s, scenarios {scenarios_s:.2f} s, runs {runs_s:.2f} s); database "
              f"{size / 1e6:.1f} MB")
        big = page_times(url, large)
        print(f"{'page':<12}{'demo (s)':>10}{'large (s)':>11}{'large/demo':>12}{'of 1.5 s budget':>17}")
        for title in big:
            print(f"{title:<12}{small[title]:>10.3f}{big[title]:>11.3f}{big[title] / small[title]:>11.1f}x"
                  f"{big[title] / BUDGET_S:>16.0%}")
            emit(Result("pages", f"{title} script run, large workspace", big[title], small[title], BUDGET_S,
                        reference="demo workspace"))


if __name__ == "__main__":
    main()
