"""The Roadmap page in AppTest: Gantt and critical path, dependency editing, baselines, schedule risk."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from db import repo
from db.models import Baseline, Project, Task, TaskDependency
from db.plan_schedule import load_plan
from tests.helpers import open_page

pytestmark = pytest.mark.usefixtures("navigation_only")
START = date(2026, 3, 2)


def _open(workspace_id: int) -> AppTest:
    return open_page("pages/roadmap.py", workspace_id)


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.fixture
def two_tasks(app_db):
    """Empty Co gets project "App" with Design (5 d) and Build (3 d), not yet linked."""
    with app_db["factory"].begin() as s:
        project = repo.create(session=s, model=Project, values={"workspace_id": app_db["empty"], "name": "App",
                                                               "start_date": START}).id
        ids = {name: repo.create(session=s, model=Task, values={
            "project_id": project, "name": name, "optimistic_days": days - 1, "likely_days": days,
            "pessimistic_days": days + 4}).id for name, days in (("Design", 5), ("Build", 3))}
    return ids


def _links(app_db) -> list[tuple[int, int, str, float]]:
    with app_db["factory"]() as s:
        return [(d.predecessor_id, d.successor_id, d.kind, d.lag_days)
                for d in repo.list_rows(session=s, model=TaskDependency, workspace_id=app_db["empty"])]


def _add_link(at: AppTest, pred: int, succ: int, kind: str = "FS", lag: float = 0.0) -> AppTest:
    at.selectbox(key="rm_new_pred").set_value(pred)
    at.selectbox(key="rm_new_succ").set_value(succ)
    at.selectbox(key="rm_new_kind").set_value(kind)
    at.number_input(key="rm_new_lag").set_value(lag)
    return at.button(key="FormSubmitter:rm_add_link-Add dependency").click().run()


def test_demo_roadmap_shows_the_computed_finish_and_critical_path(app_db):
    at = _open(app_db["demo"])
    with app_db["factory"]() as s:
        plan = load_plan(session=s, workspace_id=app_db["demo"])
    assert _metric(at, "Plan finish") == f"{plan.tasks['finish'].max():%d %b %Y}"
    assert _metric(at, "Critical tasks") == str(int(plan.tasks["critical"].sum()))
    assert at.get("plotly_chart"), "the Gantt chart is drawn"
    assert "illustrative" in at.info[0].value
    # The demo is small enough to be simulated on every view, with its baseline listed.
    assert {"P50 finish", "P80 finish", "P95 finish", "P80 cost", "Planned budget, same span"} <= {
        m.label for m in at.metric}
    assert any(c.value.startswith("Budget ") and "GPU pools" in c.value for c in at.caption)
    assert at.selectbox(key="rm_baseline").options[1].startswith("Plan as first drawn")


def test_adding_a_dependency_moves_the_successor_and_the_finish(app_db, two_tasks):
    at = _open(app_db["empty"])
    assert _metric(at, "Plan finish") == f"{START + timedelta(days=4):%d %b %Y}"  # Design alone: 5 days
    _add_link(at, two_tasks["Design"], two_tasks["Build"], "FS", 2.0)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _links(app_db) == [(two_tasks["Design"], two_tasks["Build"], "FS", 2.0)]
    assert _metric(at, "Plan finish") == f"{START + timedelta(days=5 + 2 + 3 - 1):%d %b %Y}"
    assert _metric(at, "Critical tasks") == "2"


def test_a_dependency_that_closes_a_loop_is_refused_naming_the_tasks(app_db, two_tasks):
    at = _open(app_db["empty"])
    _add_link(at, two_tasks["Design"], two_tasks["Build"])
    _add_link(at, two_tasks["Build"], two_tasks["Design"])
    message = at.error[0].value.replace("\\", "")
    assert "would create a cycle" in message and "'Design'" in message and "'Build'" in message
    assert _links(app_db) == [(two_tasks["Design"], two_tasks["Build"], "FS", 0.0)]


def test_changing_type_and_lag_then_deleting_a_dependency(app_db, two_tasks):
    at = _open(app_db["empty"])
    _add_link(at, two_tasks["Design"], two_tasks["Build"])
    link_id = at.selectbox(key="rm_link_pick").value
    at.selectbox(key=f"rm_kind_{link_id}").set_value("SS")
    at.number_input(key=f"rm_lag_{link_id}").set_value(1.0)
    at.button(key=f"FormSubmitter:rm_edit_link_{link_id}-Save dependency").click().run()
    assert not at.exception and not at.error
    assert _links(app_db) == [(two_tasks["Design"], two_tasks["Build"], "SS", 1.0)]
    assert _metric(at, "Plan finish") == f"{START + timedelta(days=4):%d %b %Y}"  # Build: day 1–4, inside Design
    at.button(key=f"FormSubmitter:rm_edit_link_{link_id}-Delete dependency").click().run()
    assert not at.exception and _links(app_db) == []
    assert "No dependencies yet." in [c.value for c in at.caption]


def test_saving_a_baseline_and_comparing_shows_the_slip(app_db, two_tasks):
    at = _open(app_db["empty"])
    _add_link(at, two_tasks["Design"], two_tasks["Build"])
    at.text_input(key="rm_baseline_name").input("Board plan")
    at.button(key="FormSubmitter:rm_save_baseline-Save the current plan as a baseline").click().run()
    assert not at.exception and not at.error
    with app_db["factory"].begin() as s:
        baseline = repo.list_rows(session=s, model=Baseline, workspace_id=app_db["empty"])[0]
        repo.update(session=s, model=Task, row_id=two_tasks["Design"], values={"likely_days": 9})
    at.selectbox(key="rm_baseline").set_value(baseline.id).run()
    assert not at.exception
    milestones = next(d.value for d in at.dataframe if "milestone" in d.value.columns)
    assert milestones.empty  # these tasks belong to no milestone
    moved = next(d.value for d in at.dataframe if "start_slip_days" in d.value.columns)
    assert dict(zip(moved["name"], moved["finish_slip_days"], strict=True)) == {"Design": 4, "Build": 4}
    at.button(key="rm_delete_baseline").click().run()
    assert not at.exception and "Slip by milestone" not in [h.value for h in at.subheader]
    with app_db["factory"]() as s:
        assert repo.list_rows(session=s, model=Baseline, workspace_id=app_db["empty"]) == []


def test_a_baseline_without_a_name_is_refused(app_db, two_tasks):
    at = _open(app_db["empty"])
    at.button(key="FormSubmitter:rm_save_baseline-Save the current plan as a baseline").click().run()
    assert "'name'" in at.error[0].value.replace("\\", "")
    with app_db["factory"]() as s:
        assert repo.list_rows(session=s, model=Baseline, workspace_id=app_db["empty"]) == []


def test_schedule_risk_reports_the_chance_of_hitting_a_target(app_db, two_tasks):
    at = _open(app_db["empty"])
    _add_link(at, two_tasks["Design"], two_tasks["Build"])
    # Design 4–9 d then Build 2–7 d: finishing within 6 days is impossible, within 16 days certain.
    at.date_input(key="rm_target").set_value(START + timedelta(days=5))
    at.number_input(key="rm_iterations").set_value(1000)
    at.button(key="FormSubmitter:rm_simulation-Run simulation").click().run()
    assert not at.exception
    assert _metric(at, "Chance to finish by target") == "0%"
    at.date_input(key="rm_target").set_value(START + timedelta(days=15))
    at.button(key="FormSubmitter:rm_simulation-Run simulation").click().run()
    assert _metric(at, "Chance to finish by target") == "100%"
    assert "1,000 iterations" in " ".join(c.value for c in at.caption)


def test_a_large_plan_is_simulated_only_on_request(app_db, two_tasks, monkeypatch):
    monkeypatch.setattr("db.views_roadmap.AUTO_SIMULATE_TASKS", 1)
    at = _open(app_db["empty"])
    assert "P50 finish" not in [m.label for m in at.metric]
    assert any("press **Run simulation**" in c.value for c in at.caption)
    at.button(key="FormSubmitter:rm_simulation-Run simulation").click().run()
    assert "P50 finish" in [m.label for m in at.metric]


def test_an_empty_workspace_says_where_to_add_tasks(app_db):
    at = _open(app_db["empty"])
    assert "Projects" in at.info[0].value


def test_a_large_plans_result_is_kept_until_the_plan_changes(app_db, two_tasks, monkeypatch):
    import db.views_roadmap as views

    monkeypatch.setattr(views, "AUTO_SIMULATE_TASKS", 1)
    calls = []
    monkeypatch.setattr(views, "simulate", lambda *a, _real=views.simulate, **k: calls.append(1) or _real(*a, **k))
    at = _open(app_db["empty"])
    at.button(key="FormSubmitter:rm_simulation-Run simulation").click().run()
    p50 = _metric(at, "P50 finish")
    at.run()  # an unrelated rerun: the stored result is shown again, not simulated anew
    assert _metric(at, "P50 finish") == p50 and len(calls) == 1
    with app_db["factory"].begin() as s:
        repo.update(session=s, model=Task, row_id=two_tasks["Design"], values={"likely_days": 7})
    at.run()
    assert "P50 finish" not in [m.label for m in at.metric]
    assert any("changed since the last simulation" in w.value for w in at.warning)


def test_task_names_reach_the_gantt_as_text_not_markup(app_db):
    with app_db["factory"].begin() as s:
        project = repo.create(session=s, model=Project, values={"workspace_id": app_db["empty"],
                                                               "name": "<i>P</i>"}).id
        repo.create(session=s, model=Task, values={"project_id": project, "name": '<a href="javascript:x">y</a>',
                                                   "likely_days": 2})
    at = _open(app_db["empty"])
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    bars = next(t for t in figure["data"] if t.get("name") == "current plan")
    assert bars["hovertext"][0].startswith("<b>&lt;a href=&quot;javascript:x&quot;&gt;y&lt;/a&gt;</b>")
    assert bars["y"] == [["&lt;i&gt;P&lt;/i&gt;"], ["&lt;a href=&quot;javascript:x&quot;&gt;y&lt;/a&gt;"]]


def test_a_parent_set_in_the_projects_grid_makes_the_summary_span_its_subtasks(app_db, two_tasks):
    with app_db["factory"].begin() as s:
        project = repo.get(session=s, model=Task, row_id=two_tasks["Design"]).project_id
        summary = repo.create(session=s, model=Task, values={"project_id": project, "name": "Phase 1",
                                                             "kind": "summary"}).id
        repo.create(session=s, model=TaskDependency, values={"predecessor_id": two_tasks["Design"],
                                                             "successor_id": two_tasks["Build"]})
    at = open_page("pages/projects.py", app_db["empty"])
    grid = next(d for d in at.data_editor if d.key == f"tasks_{project}_0")
    assert grid.value["name"].tolist() == ["Design", "Build", "Phase 1"]
    # The grid's change set, as the browser sends it: both tasks go under the summary.
    at.session_state[f"tasks_{project}_0"] = {"edited_rows": {0: {"parent": "Phase 1"}, 1: {"parent": "Phase 1"}},
                                              "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="tasks_save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with app_db["factory"]() as s:
        assert {repo.get(session=s, model=Task, row_id=i).parent_id for i in two_tasks.values()} == {summary}
    at.switch_page("pages/roadmap.py").run()
    assert not at.exception
    path = next(d.value for d in at.dataframe if "total_float" in d.value.columns).set_index("name")
    # Design days 0–4, Build days 5–7: the summary starts with Design and finishes with Build.
    assert path.loc["Phase 1", "start"] == path.loc["Design", "start"] == pd.Timestamp(START)
    assert path.loc["Phase 1", "finish"] == path.loc["Build", "finish"] == pd.Timestamp(START + timedelta(days=7))
    assert path.loc["Phase 1", "duration"] == 8 and bool(path.loc["Phase 1", "critical"])
