"""The Risks page in AppTest: start from the catalogue, edit a risk and its links, filter, restore, history."""

from __future__ import annotations

import json
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from db import repo
from db.catalogues import risk_catalogue
from db.models import Project, Risk, RiskTaskLink, Task
from db.risks import linked_task_ids
from tests.helpers import open_page

pytestmark = pytest.mark.usefixtures("navigation_only")


def _open(workspace_id: int) -> AppTest:
    return open_page("pages/risks.py", workspace_id)


def _risks(app_db, which: str) -> list[Risk]:
    with app_db["factory"]() as s:
        return repo.list_rows(session=s, model=Risk, workspace_id=app_db[which])


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_an_empty_workspace_is_offered_the_whole_catalogue_and_adds_it(app_db):
    at = _open(app_db["empty"])
    assert at.subheader[0].value == "Start from the documents' catalogue"
    button = at.button(key="start_add")
    assert button.label == f"Add all {len(risk_catalogue())}"
    button.click().run()
    assert not at.exception and not at.error
    assert sorted(r.code for r in _risks(app_db, "empty")) == sorted(i["code"] for i in risk_catalogue())
    assert _metric(at, "Open risks") == str(len(risk_catalogue()))
    assert "Start from the documents' catalogue" not in [s.value for s in at.subheader]


def test_chosen_catalogue_risks_are_added_and_no_longer_offered(app_db):
    at = _open(app_db["empty"])
    at.multiselect(key="start_codes").set_value(["funding", "regulation"]).run()
    at.date_input(key="start_review").set_value(date(2027, 1, 15))
    at.button(key="start_add").click().run()
    assert sorted((r.code, r.review_date) for r in _risks(app_db, "empty")) == [
        ("funding", date(2027, 1, 15)), ("regulation", date(2027, 1, 15))]
    offered = at.multiselect(key="catalogue_codes").options
    assert len(offered) == len(risk_catalogue()) - 2
    assert not any("Funding shortfall" in o for o in offered)


def test_the_detail_form_saves_the_statement_mitigation_and_linked_tasks(app_db):
    risk = next(r for r in _risks(app_db, "demo") if r.code == "compute-cost")
    with app_db["factory"]() as s:
        already = linked_task_ids(session=s, risk_id=risk.id)
        task = next(t for t in repo.list_rows(session=s, model=Task, workspace_id=app_db["demo"])
                    if t.kind == "task" and t.id not in already)
    at = _open(app_db["demo"])
    at.selectbox(key="risk_pick").set_value(risk.id).run()
    at.text_area(key=f"risk_trigger_{risk.id}").input("GPU quote above $3/hour")
    links = at.multiselect(key=f"risk_links_{risk.id}")
    links.set_value([*links.value, task.id])
    at.button(key=f"FormSubmitter:risk_detail_{risk.id}-Save risk").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with app_db["factory"]() as s:
        assert repo.get(session=s, model=Risk, row_id=risk.id).trigger == "GPU quote above $3/hour"
        assert linked_task_ids(session=s, risk_id=risk.id) == [*already, task.id]
    history = at.dataframe[-1].value
    assert {"trigger", "update"} <= set(history["field"]) | set(history["action"])


def test_filters_narrow_the_register_and_the_heat_map(app_db):
    at = _open(app_db["demo"])
    legal = [r for r in _risks(app_db, "demo") if r.category == "legal"]
    at.multiselect(key="risk_filter_category").set_value(["legal"]).run()
    assert not at.exception
    assert _metric(at, "Open risks") == str(len(legal))
    at.multiselect(key="risk_filter_kind").set_value(["opportunity"]).run()
    assert _metric(at, "Open risks") == "0"
    assert any("clear the filters" in c.value for c in at.caption)


def test_a_deleted_risk_is_restored_with_its_task_links(app_db):
    risk = next(r for r in _risks(app_db, "demo") if r.code == "funding")
    with app_db["factory"].begin() as s:
        task_id = repo.list_rows(session=s, model=Task, workspace_id=app_db["demo"])[0].id
        repo.create(session=s, model=RiskTaskLink, values={"risk_id": risk.id, "task_id": task_id})
        repo.soft_delete(session=s, model=Risk, row_id=risk.id)
    at = _open(app_db["demo"])
    at.button(key=f"restore_risk_{risk.id}").click().run()
    assert not at.exception
    with app_db["factory"]() as s:
        assert repo.get(session=s, model=Risk, row_id=risk.id).deleted_at is None
        assert task_id in linked_task_ids(session=s, risk_id=risk.id)


def test_a_bad_detail_save_names_the_field_and_changes_nothing(app_db):
    risk = next(r for r in _risks(app_db, "demo") if r.code == "regulation")
    at = _open(app_db["demo"])
    at.selectbox(key="risk_pick").set_value(risk.id).run()
    at.text_area(key=f"risk_cause_{risk.id}").input("bad\x00text")
    at.button(key=f"FormSubmitter:risk_detail_{risk.id}-Save risk").click().run()
    assert "'cause'" in at.error[0].value.replace("\\", "")
    with app_db["factory"]() as s:
        assert repo.get(session=s, model=Risk, row_id=risk.id).cause == risk.cause


def test_the_risk_adjusted_schedule_is_simulated_on_request(app_db):
    at = _open(app_db["demo"])
    assert "P80 finish with risks" not in [m.label for m in at.metric]
    at.toggle(key="risk_adjusted_on").set_value(True).run()
    assert not at.exception and not at.error
    labels = [m.label for m in at.metric]
    assert {"Plan finish (no risk events)", "P80 finish with risks", "P80 cost with risks"} <= set(labels)
    events = at.dataframe[-1].value
    assert (events["tasks"] > 0).sum() == 6  # the demo's six risks linked to tasks


def test_a_hostile_risk_title_reaches_the_heat_map_as_text(app_db):
    hostile = "<b>x</b> & <a href='javascript:alert(1)'>y</a>"
    with app_db["factory"].begin() as s:
        repo.create(session=s, model=Risk, values={"workspace_id": app_db["empty"], "category": "legal",
                                                   "title": hostile})
    at = _open(app_db["empty"])
    heat = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    cells = [cell for row in heat["customdata"] for cell in row]
    assert "&lt;b&gt;x&lt;/b&gt; &amp; &lt;a href='javascript:alert(1)'&gt;y&lt;/a&gt;" in cells
    assert not any("<b>" in cell or "<a " in cell for cell in cells)


def test_a_crowded_heat_map_cell_lists_a_dozen_risks_and_counts_the_rest(app_db):
    with app_db["factory"].begin() as s:
        for i in range(15):
            repo.create(session=s, model=Risk, values={"workspace_id": app_db["empty"], "category": "market",
                                                       "title": f"Rival {i}", "probability_pct": 40, "impact": 4})
    at = _open(app_db["empty"])
    heat = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    cell = heat["customdata"][heat["y"].index("probability 3")][heat["x"].index("impact 4")]
    assert cell.split("<br>") == [f"Rival {i}" for i in range(12)] + ["… and 3 more"]


def test_the_risk_adjusted_schedule_keeps_the_roadmaps_working_days_switch(app_db):
    factory, ws = app_db["factory"], app_db["empty"]
    with factory.begin() as s:
        project = repo.create(session=s, model=Project, values={"workspace_id": ws, "name": "P"}).id
        task = repo.create(session=s, model=Task, values={"project_id": project, "name": "Train",
                                                          "start_date": date(2027, 1, 4), "optimistic_days": 10,
                                                          "likely_days": 10, "pessimistic_days": 10}).id
        risk = repo.create(session=s, model=Risk, values={"workspace_id": ws, "title": "Outage",
                                                          "category": "technical", "probability_pct": 100,
                                                          "schedule_impact_days": 5}).id
        repo.create(session=s, model=RiskTaskLink, values={"risk_id": risk, "task_id": task})
    at = open_page("pages/roadmap.py", ws)
    at.toggle(key="rm_working_days").set_value(True).run()
    at.switch_page("pages/risks.py").run()
    at.toggle(key="risk_adjusted_on").set_value(True).run()  # a second run of this page: the switch must hold
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("working days" in c.value for c in at.caption)
    # 10 + 5 working days from Monday 4 January 2027 end on Friday 22 January (calendar days: Monday 18th).
    assert _metric(at, "P80 finish with risks") == "22 Jan 2027"
    at.switch_page("pages/roadmap.py").run()
    assert at.toggle(key="rm_working_days").value is True
