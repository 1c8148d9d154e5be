"""Risk-adjusted cost: each task's GPUs in its daily cost, and the P80 cost beside the planned budget."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from db import repo
from db.models import (
    Allocation,
    BudgetLine,
    ComputeResource,
    GpuReservation,
    Person,
    Project,
    Risk,
    RiskTaskLink,
    Task,
    TaskDependency,
)
from db.plan_schedule import gpu_costs, load_plan
from db.views_roadmap import SimulationSettings, roadmap, schedule_risk

START = date(2026, 3, 1)


@pytest.fixture
def costed(factory, workspace_id):
    """Ada ($3,043.75 a month = $100 a calendar day) trains for 10 days on 2 reserved H100s ($2/h) and 4 spot
    A100s ($1/h, 50 % used); Eval (5 days, after Train) runs on a linked L4 reservation ($0.5/h); Serve (3 days)
    holds 1 GPU of the H100 pool but a linked H100 reservation at $3/h sets its rate. Every estimate is fixed."""
    with factory.begin() as s:
        ws = workspace_id
        project = repo.create(session=s, model=Project, values={"workspace_id": ws, "name": "Model",
                                                               "start_date": START}).id
        ada = repo.create(session=s, model=Person, values={"workspace_id": ws, "name": "Ada",
                                                          "monthly_cost_usd": 3_043.75}).id
        h100 = repo.create(session=s, model=ComputeResource, values={
            "workspace_id": ws, "name": "H100 pool", "gpu_type": "H100", "count": 8, "hourly_rate_usd": 2.0,
            "pricing": "reserved", "utilisation": 0.5}).id
        a100 = repo.create(session=s, model=ComputeResource, values={
            "workspace_id": ws, "name": "A100 spot", "gpu_type": "A100", "count": 4, "hourly_rate_usd": 1.0,
            "pricing": "spot", "utilisation": 0.5}).id
        ids = {name: repo.create(session=s, model=Task, values={
            "project_id": project, "name": name, "assignee_id": ada if name == "Train" else None,
            "optimistic_days": days, "likely_days": days, "pessimistic_days": days}).id
            for name, days in (("Train", 10), ("Eval", 5), ("Serve", 3))}
        repo.create(session=s, model=TaskDependency, values={"predecessor_id": ids["Train"],
                                                             "successor_id": ids["Eval"]})
        for task, pool, gpus in (("Train", h100, 2), ("Train", a100, 4), ("Serve", h100, 1)):
            repo.create(session=s, model=Allocation, values={"task_id": ids[task], "compute_resource_id": pool,
                                                             "gpu_count": gpus})
        for task, gpu, rate, status in (("Eval", "L4", 0.5, "confirmed"), ("Eval", "L4", 9.0, "cancelled"),
                                        ("Serve", "h100", 3.0, "requested")):
            repo.create(session=s, model=GpuReservation, values={
                "workspace_id": ws, "task_id": ids[task], "gpu_type": gpu, "count": 1, "hourly_rate_usd": rate,
                "start_date": START, "end_date": date(2026, 3, 31), "status": status})
        repo.create(session=s, model=BudgetLine, values={"workspace_id": ws, "category": "rd", "name": "Data",
                                                         "month": START, "planned_usd": 3_100})
    return ids


def test_each_tasks_daily_cost_adds_its_gpus(factory, workspace_id, costed):
    with factory() as s:
        tasks = load_plan(session=s, workspace_id=workspace_id).tasks.set_index("name")
    # Train: 2 × $2 × 24 h (reserved: every hour) + 4 × $1 × 24 h × 0.5 (spot: only while used) = $96 + $48.
    # Eval: its confirmed L4 reservation, 1 × $0.5 × 24 h (the cancelled one costs nothing).
    # Serve: its H100 GPU at the linked reservation's $3/h, all day = $72 (not the pool's $48).
    assert tasks["gpu_daily_usd"].to_dict() == {"Train": 144.0, "Eval": 12.0, "Serve": 72.0}
    assert tasks["people_daily_usd"].to_dict() == {"Train": 100.0, "Eval": 0.0, "Serve": 0.0}
    assert tasks["daily_cost_usd"].to_dict() == {"Train": 244.0, "Eval": 12.0, "Serve": 72.0}
    with factory() as s:  # counted in working days, a task's day is 7/5 of a calendar day's pay and GPU hours
        working = load_plan(session=s, workspace_id=workspace_id, working_days=True).tasks.set_index("name")
    assert working.loc["Train", "daily_cost_usd"] == pytest.approx(244.0 * 7 / 5)


def test_the_p80_cost_counts_gpus_and_risks_beside_the_planned_budget(factory, workspace_id, costed):
    with factory.begin() as s:
        risk = repo.create(session=s, model=Risk, values={"workspace_id": workspace_id, "category": "technical",
                                                          "title": "Cluster outage", "probability_pct": 100,
                                                          "impact_usd": 1_000}).id
        repo.create(session=s, model=RiskTaskLink, values={"risk_id": risk, "task_id": costed["Train"]})
    with factory() as s:
        plan = load_plan(session=s, workspace_id=workspace_id, today=START)
        result = schedule_risk(session=s, workspace_id=workspace_id, plan=plan,
                               settings=SimulationSettings(iterations=200))
    # 10 × $244 + 5 × $12 + 3 × $72 = $2,716 in every iteration, plus the certain $1,000 event.
    assert result.cost["plan_cost"] == pytest.approx(2_716.0)
    assert result.cost["p80"] == pytest.approx(3_716.0)
    # Train 1–10 Mar, Eval 11–15 Mar: the P80 finish is 15 March, so 15 of March's 31 days are budgeted.
    budget = result.budget
    assert (budget.start, budget.end) == (START, date(2026, 3, 15))
    assert budget.people == pytest.approx(3_043.75 * 15 / 31)
    # Pools: 8 × $2 × 24 h × 31 d (reserved) + 4 × $1 × 24 h × 31 d × 0.5 (spot) = $13,392 in March.
    assert budget.compute == pytest.approx(13_392 * 15 / 31) and budget.compute == pytest.approx(6_480.0)
    assert budget.budget_lines == pytest.approx(1_500.0)
    assert budget.total == pytest.approx(3_043.75 * 15 / 31 + 6_480 + 1_500)


def test_a_kept_result_shows_a_fresh_budget(factory, workspace_id, costed):
    settings = SimulationSettings(iterations=100)
    with factory() as s:
        first = roadmap(session=s, workspace_id=workspace_id, simulation=settings, today=START).risk
    with factory.begin() as s:  # a budget line is no input of the simulation: the result is kept
        repo.create(session=s, model=BudgetLine, values={"workspace_id": workspace_id, "category": "marketing",
                                                         "name": "Launch", "month": START, "planned_usd": 620})
    with factory() as s:
        again = roadmap(session=s, workspace_id=workspace_id, simulation=settings, today=START, previous=first).risk
    assert again.fingerprint == first.fingerprint and again.cost == first.cost
    assert again.budget.budget_lines == pytest.approx(first.budget.budget_lines + 620 * 15 / 31)


def test_gpu_costs_without_allocations_or_reservations_is_empty():
    empty = pd.DataFrame(columns=["task_id", "compute_resource_id", "gpu_count"])
    pools = pd.DataFrame(columns=["gpu_type", "hourly_rate_usd", "pricing", "utilisation"])
    reservations = pd.DataFrame(columns=["task_id", "gpu_type", "count", "hourly_rate_usd"])
    assert gpu_costs(empty, pools, reservations).empty
