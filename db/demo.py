"""The demo workspace: an illustrative domain-LLM startup built from the documents' templates.

"Lexora AI" sells a legal-domain LLM through an API (MaaS) and a SaaS drafting app. Its plan
follows the documents' phase template; its risks are the documents' catalogue. Every number
in it (salaries, GPU prices, budgets, funding, probabilities) is illustrative, and the
workspace is flagged so the UI says so on every page.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from db import repo
from db.catalogues import phase_template, risk_catalogue
from db.demo_compute import add_demo_cost_scenario
from db.demo_market import add_demo_market
from db.demo_pitch import add_demo_pitch
from db.demo_resources import add_demo_resources
from db.demo_revenue import add_demo_revenue_scenarios
from db.demo_risks import link_demo_risks
from db.demo_roadmap import add_demo_roadmap
from db.models import (
    BudgetLine,
    ComputeResource,
    FundingRound,
    Milestone,
    Person,
    Project,
    Risk,
    Task,
    TaskDependency,
    Workspace,
)

DEMO_NAME = "Lexora AI (demo)"

# (name, role, illustrative fully-loaded monthly cost in USD, start offset in days)
_TEAM = (
    ("Mei Chen", "CEO", 12_000, -180),
    ("Arjun Rao", "CTO", 14_000, -180),
    ("Sofia Marquez", "ML engineer", 15_000, -120),
    ("Tomasz Nowak", "ML engineer", 14_500, -30),
    ("Aiko Tanaka", "Data engineer", 12_000, -60),
    ("Lena Fischer", "Product manager", 11_000, -90),
    ("Kwame Mensah", "Backend engineer", 12_500, 30),
    ("Grace Okafor", "Sales lead", 10_000, 120),
)

# (name, GPU type, count, illustrative $/GPU-hour, pricing, expected utilisation)
_COMPUTE = (
    ("Training cluster", "H100 SXM 80GB", 8, 2.50, "reserved", 0.85),
    ("Experiments (spot)", "A100 80GB", 4, 1.10, "spot", 0.50),
    ("Serving pool", "L40S 48GB", 2, 1.20, "on_demand", 0.60),
)

# (category, name, illustrative monthly plan in USD)
_BUDGET = (
    ("rd", "Data licensing and annotation", 8_000),
    ("rd", "Evaluation and red-teaming", 3_000),
    ("marketing", "Developer relations and content", 5_000),
    ("marketing", "Conferences and events", 4_000),
    ("operations", "Legal, IP and compliance", 4_000),
    ("operations", "Office and SaaS tools", 3_000),
)

# Phase start: (phase code it waits for, "FS" = after it ends / "SS" = after it starts, lag days)
_PHASE_LINKS = {
    "team-building": ("market-research", "SS", 0),
    "technology-selection": ("market-research", "FS", 0),
    "dataset-building": ("technology-selection", "FS", 0),
    "model-training": ("dataset-building", "FS", 0),
    "product-development": ("model-training", "SS", 14),
    "business-model": ("product-development", "FS", 0),
    "market-expansion": ("business-model", "FS", 0),
}

# Internal-only risks: kept out of the pitch view and every export.
_PRIVATE_RISKS = frozenset({"funding", "talent-team"})
_RISK_OWNER_ROLE = {
    "technical": "CTO", "market": "CEO", "financial": "CEO",
    "legal": "CEO", "operational": "CTO", "ethical": "ML engineer",
}


def _schedule(today: date) -> tuple[date, dict[str, tuple[date, date]]]:
    """Phase windows from the template's most-likely task durations, chained per _PHASE_LINKS."""
    start = today - timedelta(days=75)
    windows: dict[str, tuple[date, date]] = {}
    for phase in phase_template():
        length = sum(int(t["likely_days"]) for t in phase["tasks"])
        link = _PHASE_LINKS.get(phase["code"])
        if link is None:
            begin = start
        else:
            other, kind, lag = link
            begin = (windows[other][1] if kind == "FS" else windows[other][0]) + timedelta(days=lag)
        windows[phase["code"]] = (begin, begin + timedelta(days=length))
    return start, windows


def _status(begin: date, end: date, today: date) -> tuple[str, float]:
    if end <= today:
        return "done", 100.0
    if begin <= today:
        return "in_progress", round(100.0 * (today - begin).days / max((end - begin).days, 1), 0)
    return "todo", 0.0


def create_demo_workspace(*, session: Session, today: date | None = None, name: str = DEMO_NAME) -> Workspace:
    """Create the demo workspace (dates relative to ``today``) and return it."""
    today = today or date.today()
    start, windows = _schedule(today)
    ws = repo.create(
        session=session,
        model=Workspace,
        values={
            "name": name,
            "description": "Illustrative demo: a legal-domain LLM sold through an API (MaaS) and a SaaS "
            "drafting app. Every number here is made up for illustration; replace it with your own.",
            "illustrative": True,
            "cash_on_hand_usd": 2_650_000.0,
            "cash_as_of": today,
        },
    )
    people: dict[str, Person] = {}
    for name_, role, cost, offset in _TEAM:
        person = _add(session, Person, workspace_id=ws.id, name=name_, role=role, monthly_cost_usd=cost,
                      weekly_capacity_hours=40, start_date=today + timedelta(days=offset))
        people.setdefault(role, person)
    for name_, gpu, count, rate, pricing, util in _COMPUTE:
        _add(session, ComputeResource, workspace_id=ws.id, name=name_, gpu_type=gpu, count=count,
             hourly_rate_usd=rate, pricing=pricing, utilisation=util, start_date=start)
    _add_budget(session, ws.id, today)
    _add(session, FundingRound, workspace_id=ws.id, name="Angel round", kind="angel", amount_usd=500_000,
         close_date=start - timedelta(days=120), status="closed")
    _add(session, FundingRound, workspace_id=ws.id, name="Seed round", kind="seed", amount_usd=3_000_000,
         close_date=start + timedelta(days=20), status="closed")
    _add(session, FundingRound, workspace_id=ws.id, name="Series A (target)", kind="vc", amount_usd=12_000_000,
         close_date=today + timedelta(days=300), status="planned")
    _add_plan(session, ws.id, windows, people, today)
    _add_risks(session, ws.id, people, today)
    link_demo_risks(session=session, workspace_id=ws.id)
    add_demo_roadmap(session=session, workspace_id=ws.id, today=today)
    # After the roadmap: reservations are drawn around the final task dates.
    add_demo_resources(session=session, workspace_id=ws.id, today=today)
    add_demo_cost_scenario(session=session, workspace_id=ws.id)
    add_demo_revenue_scenarios(session=session, workspace_id=ws.id)  # after the cost scenario they name
    add_demo_market(session=session, workspace_id=ws.id)
    add_demo_pitch(session=session, workspace_id=ws.id)
    return ws


def _add(session: Session, model: type, **values: Any) -> Any:
    return repo.create(session=session, model=model, values=values)


def _add_budget(session: Session, workspace_id: int, today: date) -> None:
    first = date(today.year, today.month, 1)
    for i in range(-3, 18):
        month = date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1)
        for k, (category, line, planned) in enumerate(_BUDGET):
            # Past months carry an actual spend, deterministically off-plan by up to ±15 %.
            actual = round(planned * (1 + ((i * 7 + k * 3) % 7 - 3) * 0.05), 0) if month < first else None
            _add(session, BudgetLine, workspace_id=workspace_id, category=category, name=line, month=month,
                 planned_usd=planned, actual_usd=actual)


def _add_plan(
    session: Session, workspace_id: int, windows: dict[str, tuple[date, date]], people: dict[str, Person], today: date
) -> None:
    last_task: dict[str, Task] = {}
    first_task: dict[str, Task] = {}
    for phase in phase_template():
        begin, end = windows[phase["code"]]
        status = "done" if end <= today else "active" if begin <= today else "planned"
        project = _add(session, Project, workspace_id=workspace_id, name=phase["name"],
                       description=phase["description"], phase=phase["code"], status=status,
                       start_date=begin, target_date=end, sort_order=phase["order"])
        milestone = _add(session, Milestone, project_id=project.id, name=phase["milestone"], due_date=end,
                         status="done" if end <= today else "open")
        cursor, previous = begin, None
        for spec in phase["tasks"]:
            finish = cursor + timedelta(days=int(spec["likely_days"]))
            task_status, pct = _status(cursor, finish, today)
            task = _add(session, Task, project_id=project.id, milestone_id=milestone.id, name=spec["name"],
                        assignee_id=people[spec["role"]].id if spec["role"] in people else None,
                        start_date=cursor, end_date=finish, status=task_status, percent_done=pct,
                        optimistic_days=spec["optimistic_days"], likely_days=spec["likely_days"],
                        pessimistic_days=spec["pessimistic_days"])
            if previous is not None:
                _add(session, TaskDependency, predecessor_id=previous.id, successor_id=task.id, kind="FS")
            first_task.setdefault(phase["code"], task)
            previous, cursor = task, finish
        last_task[phase["code"]] = previous
        _add(session, Task, project_id=project.id, milestone_id=milestone.id, name=phase["milestone"],
             kind="milestone", start_date=end, end_date=end, status="done" if end <= today else "todo",
             percent_done=100.0 if end <= today else 0.0, optimistic_days=0, likely_days=0, pessimistic_days=0)
    for code, (other, kind, lag) in _PHASE_LINKS.items():
        pred = last_task[other] if kind == "FS" else first_task[other]
        _add(session, TaskDependency, predecessor_id=pred.id, successor_id=first_task[code].id, kind=kind,
             lag_days=lag)


def _add_risks(session: Session, workspace_id: int, people: dict[str, Person], today: date) -> None:
    for i, item in enumerate(risk_catalogue()):
        owner = people.get(_RISK_OWNER_ROLE[item["category"]])
        _add(session, Risk, workspace_id=workspace_id, owner_id=owner.id if owner else None, code=item["code"],
             category=item["category"], title=item["title"], cause=item["cause"], event=item["event"],
             effect=item["effect"], probability_pct=item["probability_pct"], impact=item["impact"],
             impact_usd=item["impact_usd"], response=item["response"],
             mitigation="\n".join(f"• {m}" for m in item["mitigations"]),
             # A few reviews fall due in the past, as in any real register.
             review_date=today + timedelta(days=(i % 6) * 10 - 15),
             private=item["code"] in _PRIVATE_RISKS, sources=", ".join(item["sources"]))


def ensure_demo(*, session: Session, today: date | None = None) -> Workspace | None:
    """Create the demo workspace if the database has no workspace at all; return it if created."""
    if repo.list_workspaces(session=session):
        return None
    return create_demo_workspace(session=session, today=today)
