"""The Risks page's read model and grid save, and one row's history as a field-by-field diff."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from db import repo
from db.catalogues import risk_catalogue
from db.demo import create_demo_workspace
from db.models import Person, Project, Risk, RiskTaskLink, Task
from db.row_history import row_changes
from db.validation import ValidationError
from db.views_risks import RiskCards, RiskFilters, risk_adjusted_schedule, risks_view, save_register, score_bands
from tests.helpers import table_dump

pytestmark = pytest.mark.db
TODAY = date(2026, 11, 23)


@pytest.fixture
def register(factory, workspace_id):
    """Three risks: an open threat, a closed threat and an open opportunity; Ada owns the first."""
    with factory.begin() as s:
        ada = repo.create(session=s, model=Person, values={"workspace_id": workspace_id, "name": "Ada"}).id
        ids = [repo.create(session=s, model=Risk, values={"workspace_id": workspace_id, **values}).id for values in (
            {"title": "GPU shortage", "category": "technical", "probability_pct": 60, "impact": 4,
             "impact_usd": 100_000, "owner_id": ada, "review_date": TODAY - timedelta(days=3),
             "cause": "One supplier", "event": "Cluster late", "effect": "Training slips"},
            {"title": "Old lawsuit", "category": "legal", "probability_pct": 90, "impact": 5, "impact_usd": 1e6,
             "status": "closed", "review_date": TODAY - timedelta(days=30)},
            {"title": "EU grant", "category": "financial", "kind": "opportunity", "response": "exploit",
             "probability_pct": 25, "impact": 3, "impact_usd": 200_000},
        )]
    return ids


def test_the_register_is_scored_and_the_charts_use_only_open_risks(factory, workspace_id, register):
    with factory() as s:
        view = risks_view(session=s, workspace_id=workspace_id, today=TODAY)
    assert view.total == 3
    assert view.register.loc[register[0], "score"] == 16  # 60 % → level 4, × impact 4
    assert view.register.loc[register[0], "emv_usd"] == -60_000.0
    assert view.register.loc[register[2], "emv_usd"] == 50_000.0
    assert view.register.loc[register[0], "statement"] == "One supplier → Cluster late → Training slips"
    assert view.heat.total == 2 and view.heat.counts.loc[4, 4] == 1 and view.heat.counts.loc[2, 3] == 1
    assert view.top["title"].tolist() == ["GPU shortage", "EU grant"]
    assert view.overdue["title"].tolist() == ["GPU shortage"]  # the closed one is not overdue
    assert view.trend["open_risks"].iloc[-1] == 2
    assert len(view.catalogue) == len(risk_catalogue())
    assert view.owners == ["(none)", "Ada"]


def test_filters_narrow_the_register_grid_and_heat_map(factory, workspace_id, register):
    with factory() as s:
        view = risks_view(session=s, workspace_id=workspace_id, filters=RiskFilters(owners=("(none)",)), today=TODAY)
    assert view.grid.ids == register[1:]
    assert view.grid.rows["title"].tolist() == ["Old lawsuit", "EU grant"]
    assert view.heat.total == 1 and view.total == 3


def test_an_edit_in_a_filtered_grid_changes_the_right_risk_and_ignores_computed_columns(factory, workspace_id,
                                                                                         register):
    with factory() as s:
        view = risks_view(session=s, workspace_id=workspace_id, filters=RiskFilters(kinds=("opportunity",)))
    with factory.begin() as s:
        result = save_register(session=s, workspace_id=workspace_id, grid=view.grid, changes={
            "edited_rows": {"0": {"probability_pct": 80, "score": 999, "emv_usd": 1}},
            "added_rows": [{"title": "New rival", "category": "market", "score": 3}],
        })
    assert (result.updated, result.created) == (1, 1)
    with factory() as s:
        assert repo.get(session=s, model=Risk, row_id=register[2]).probability_pct == 80
        assert repo.get(session=s, model=Risk, row_id=register[0]).probability_pct == 60
        view = risks_view(session=s, workspace_id=workspace_id)
    assert view.register.loc[register[2], "score"] == 15


def test_a_grid_save_with_a_mismatched_response_names_the_row_and_writes_nothing(factory, workspace_id, register):
    with factory() as s:
        view = risks_view(session=s, workspace_id=workspace_id)
    before = table_dump(factory)
    with pytest.raises(ValidationError) as caught, factory.begin() as s:
        save_register(session=s, workspace_id=workspace_id, grid=view.grid, changes={
            "edited_rows": {"0": {"title": "GPU shortage (H100)"}, "2": {"response": "mitigate"}}})
    assert [(e.row, e.field) for e in caught.value.errors] == [(3, "response")]
    assert table_dump(factory) == before


def test_deleted_risks_are_listed_and_the_catalogue_offers_only_what_is_missing(factory, workspace_id, register):
    with factory.begin() as s:
        repo.soft_delete(session=s, model=Risk, row_id=register[1])
        repo.create(session=s, model=Risk, values={"workspace_id": workspace_id, "code": "funding",
                                                   "category": "financial", "title": "Funding"})
    with factory() as s:
        view = risks_view(session=s, workspace_id=workspace_id, today=TODAY)
    assert view.deleted["title"].tolist() == ["Old lawsuit"]
    assert "funding" not in [item["code"] for item in view.catalogue]


def test_row_history_lists_each_changed_field_with_before_and_after(factory, workspace_id, register):
    with factory() as s:
        owner_id = repo.get(session=s, model=Risk, row_id=register[0]).owner_id
    with factory.begin() as s:
        repo.update(session=s, model=Risk, row_id=register[0], values={"probability_pct": 20, "status": "monitoring"})
    with factory.begin() as s:
        repo.soft_delete(session=s, model=Risk, row_id=register[0])
    with factory() as s:
        changes = row_changes(session=s, workspace_id=workspace_id, table_name="risk", row_id=register[0])
    assert changes["action"].tolist()[0] == "delete"
    update = changes[changes["action"] == "update"]
    assert sorted(zip(update["field"], update["before"], update["after"], strict=True)) == [
        ("probability_pct", "60.0", "20.0"), ("status", "open", "monitoring")]
    created = changes[changes["action"] == "create"]
    assert {"title", "probability_pct", "owner_id"} <= set(created["field"])
    assert "id" not in set(created["field"])
    owner = created[created["field"] == "owner_id"]
    assert owner["after"].tolist() == [f"Ada (#{owner_id})"]


def test_the_risk_adjusted_schedule_is_no_earlier_than_the_plan_and_costs_its_events(factory):
    with factory.begin() as s:
        demo = create_demo_workspace(session=s, today=TODAY).id
    with factory() as s:
        result = risk_adjusted_schedule(session=s, workspace_id=demo, iterations=500, today=TODAY)
    assert result.finish["p50_date"] <= result.finish["p80_date"] <= result.finish["p95_date"]
    assert result.cost["p80"] > result.cost["plan_cost"] and result.cost["risk_mean"] > 0
    linked = result.events[result.events["tasks"] > 0]
    assert len(linked) == 6 and linked["delay_days"].gt(0).all()
    assert result.events["fired"].between(0, 1).all()


def test_an_empty_plan_has_no_risk_adjusted_schedule(factory, workspace_id):
    with factory() as s:
        assert risk_adjusted_schedule(session=s, workspace_id=workspace_id) is None


def test_row_history_works_for_other_tables_and_names_the_rows_they_point_at(factory, workspace_id):
    with factory.begin() as s:
        ada = repo.create(session=s, model=Person, values={"workspace_id": workspace_id, "name": "Ada"}).id
        bob = repo.create(session=s, model=Person, values={"workspace_id": workspace_id, "name": "Bob"}).id
        project = repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": "P"}).id
        task = repo.create(session=s, model=Task, values={"project_id": project, "name": "Train",
                                                          "assignee_id": ada}).id
    with factory.begin() as s:
        repo.update(session=s, model=Task, row_id=task, values={"assignee_id": bob})
        repo.soft_delete(session=s, model=Person, row_id=ada)
    with factory() as s:
        changes = row_changes(session=s, workspace_id=workspace_id, table_name="task", row_id=task)
    update = changes[changes["action"] == "update"]
    assert update[["field", "before", "after"]].values.tolist() == [["assignee_id", f"Ada (#{ada})",
                                                                     f"Bob (#{bob})"]]


def test_the_cards_count_the_open_filtered_risks(factory, workspace_id, register):
    with factory() as s:
        view = risks_view(session=s, workspace_id=workspace_id, today=TODAY)
        threats = risks_view(session=s, workspace_id=workspace_id, filters=RiskFilters(kinds=("threat",)),
                             today=TODAY)
    # Open: GPU shortage (60 % × $100k, a threat: −$60k, score 4 × 4 = 16) and EU grant (25 % × $200k: +$50k);
    # the closed lawsuit counts nowhere.
    assert view.cards == RiskCards(open_risks=2, net_emv_usd=-10_000.0, critical=1, overdue=1)
    assert threats.cards == RiskCards(open_risks=1, net_emv_usd=-60_000.0, critical=1, overdue=1)


def test_each_heat_map_cell_gets_the_band_of_its_score(factory, workspace_id, register):
    with factory() as s:
        view = risks_view(session=s, workspace_id=workspace_id, today=TODAY)
    bands = view.bands
    assert bands.shape == (5, 5) and list(bands.index) == [5, 4, 3, 2, 1] and list(bands.columns) == [1, 2, 3, 4, 5]
    # probability level × impact: 1 and 4 low, 5 and 9 medium, 10 and 12 high, 15 and 25 critical
    assert [bands.loc[p, i] for p, i in ((1, 1), (2, 2), (1, 5), (3, 3), (2, 5), (4, 3), (3, 5), (5, 5))] == [
        0, 0, 1, 1, 2, 2, 3, 3]
    assert score_bands(view.heat).equals(bands)


def _one_task_plan(factory, workspace_id):
    """A fixed 10-day task from Monday 4 January 2027 and a certain risk that delays it by 5 days."""
    with factory.begin() as s:
        project = repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": "P"}).id
        task = repo.create(session=s, model=Task, values={"project_id": project, "name": "Train",
                                                          "start_date": date(2027, 1, 4), "optimistic_days": 10,
                                                          "likely_days": 10, "pessimistic_days": 10}).id
        risk = repo.create(session=s, model=Risk, values={"workspace_id": workspace_id, "title": "Outage",
                                                          "category": "technical", "probability_pct": 100,
                                                          "impact_usd": 1_000, "schedule_impact_days": 5}).id
        repo.create(session=s, model=RiskTaskLink, values={"risk_id": risk, "task_id": task})


def test_the_risk_adjusted_schedule_counts_working_days_when_asked(factory, workspace_id):
    _one_task_plan(factory, workspace_id)
    with factory() as s:
        calendar = risk_adjusted_schedule(session=s, workspace_id=workspace_id, iterations=50, today=TODAY)
        working = risk_adjusted_schedule(session=s, workspace_id=workspace_id, iterations=50, today=TODAY,
                                         working_days=True)
    # Calendar days: 10 days from Mon 4 Jan end on Wed 13 Jan; with the 5-day delay, on Mon 18 Jan.
    assert not calendar.working_days
    assert (calendar.plan_finish, calendar.finish["p80_date"]) == (date(2027, 1, 13), date(2027, 1, 18))
    # Working days: 10 end on Fri 15 Jan (two working weeks); 15 end on Fri 22 Jan.
    assert working.working_days
    assert (working.plan_finish, working.finish["p80_date"]) == (date(2027, 1, 15), date(2027, 1, 22))


def test_the_risks_page_lists_only_the_newest_deletions_and_counts_them_all(factory, workspace_id):
    from db.views_risks import DELETED_SHOWN

    with factory.begin() as s:
        ids = [repo.create(session=s, model=Risk, values={"workspace_id": workspace_id, "category": "market",
                                                          "title": f"Bin {n:02d}"}).id
               for n in range(DELETED_SHOWN + 5)]
    for risk_id in ids:  # one transaction each: deleted_at increases with the id
        with factory.begin() as s:
            repo.soft_delete(session=s, model=Risk, row_id=risk_id)
    with factory() as s:
        view = risks_view(session=s, workspace_id=workspace_id, today=TODAY)
    assert view.deleted_total == DELETED_SHOWN + 5
    assert view.deleted["id"].tolist() == ids[::-1][:DELETED_SHOWN]  # newest first, the oldest five left out
