"""The demo workspace: complete, consistent with the documents' catalogues, and labelled illustrative."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from db import repo
from db.catalogues import phase_template, risk_catalogue
from db.demo import create_demo_workspace, ensure_demo
from db.models import BudgetLine, ComputeResource, FundingRound, Person, Project, Risk, Task, TaskDependency
from db.views import overview

pytestmark = pytest.mark.db
TODAY = date(2026, 11, 23)


@pytest.fixture
def demo_id(factory):
    with factory.begin() as s:
        return create_demo_workspace(session=s, today=TODAY).id


def test_demo_follows_the_phase_template_in_order(factory, demo_id):
    with factory() as s:
        projects = repo.list_rows(session=s, model=Project, workspace_id=demo_id)
        tasks = repo.list_rows(session=s, model=Task, workspace_id=demo_id)
    assert [p.phase for p in sorted(projects, key=lambda p: p.sort_order)] == [p["code"] for p in phase_template()]
    assert len(tasks) == sum(len(p["tasks"]) + 1 for p in phase_template())  # + one milestone task per phase
    assert all(t.start_date <= t.end_date for t in tasks)


def test_demo_dependencies_are_respected_by_its_dates(factory, demo_id):
    with factory() as s:
        tasks = {t.id: t for t in repo.list_rows(session=s, model=Task, workspace_id=demo_id)}
        deps = repo.list_rows(session=s, model=TaskDependency, workspace_id=demo_id)
    assert deps
    for dep in deps:
        pred, succ = tasks[dep.predecessor_id], tasks[dep.successor_id]
        anchor = pred.end_date if dep.kind == "FS" else pred.start_date
        assert (succ.start_date - anchor).days >= dep.lag_days, (pred.name, succ.name)


def test_demo_carries_the_whole_risk_catalogue_with_sources(factory, demo_id):
    with factory() as s:
        risks = repo.list_rows(session=s, model=Risk, workspace_id=demo_id)
    assert sorted(r.code for r in risks) == sorted(item["code"] for item in risk_catalogue())
    assert all(r.mitigation and r.sources and r.owner_id for r in risks)
    assert {r.code for r in risks if r.private} == {"funding", "talent-team"}


def test_demo_has_team_compute_budget_and_funding(factory, demo_id):
    with factory() as s:
        for model in (Person, ComputeResource, BudgetLine, FundingRound):
            assert repo.list_rows(session=s, model=model, workspace_id=demo_id), model
        ws_rows = s.scalars(select(FundingRound).where(FundingRound.workspace_id == demo_id)).all()
    assert {r.status for r in ws_rows} >= {"closed", "planned"}


def test_demo_is_flagged_illustrative_and_ensure_demo_runs_once(factory):
    with factory.begin() as s:
        ws = ensure_demo(session=s, today=TODAY)
        assert ws is not None and ws.illustrative and "illustrative" in ws.description.lower()
    with factory.begin() as s:
        assert ensure_demo(session=s, today=TODAY) is None


def test_overview_of_the_demo_is_computed_from_its_rows(factory, demo_id):
    with factory() as s:
        view = overview(session=s, workspace_id=demo_id, today=TODAY)
        people = repo.list_rows(session=s, model=Person, workspace_id=demo_id)
    active = sum(p.monthly_cost_usd for p in people if p.start_date <= date(2026, 11, 1))
    assert view.burn.loc["2026-11-01", "people"] >= active
    assert view.runway.cash_usd == 2_650_000
    assert 0 < view.runway.months < 60
    assert view.projects["progress_pct"].between(0, 100).all()
    assert view.projects.loc[view.projects["status"] == "done", "progress_pct"].eq(100).all()
    assert int(view.open_risks_by_score["risks"].sum()) == len(risk_catalogue())


def test_overview_of_an_empty_workspace(factory, workspace_id):
    with factory() as s:
        view = overview(session=s, workspace_id=workspace_id, today=TODAY)
    assert view.projects.empty and view.top_risks.empty and view.funding.empty
    assert view.runway.cash_usd == 0 and view.runway.months == 0
