"""Every page of the router runs without an exception, on the demo and on an empty workspace."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

import app
from db import repo
from db.models import Project, Task, Workspace
from tests.conftest import ROOT

PAGE_PATHS = [path for _section, path, _title, _icon in app.PAGES]
pytestmark = pytest.mark.usefixtures("navigation_only")


def _open(page: str, workspace_id: int) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["workspace_id"] = workspace_id
    at.run()
    if page != PAGE_PATHS[0]:
        at.switch_page(page).run()
    return at


@pytest.mark.parametrize("page", PAGE_PATHS)
@pytest.mark.parametrize("which", ["demo", "empty"])
def test_page_runs_without_exception(app_db, page, which):
    at = _open(page, app_db[which])
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, "every page has a title"


def test_overview_shows_metrics_computed_for_the_workspace(app_db):
    at = _open("pages/overview.py", app_db["demo"])
    labels = [m.label for m in at.metric]
    assert labels == ["Monthly burn (this month)", "Cash", "Runway", "Open risks"]
    assert at.metric[1].value == "$2.65M"
    assert "illustrative" in at.info[0].value


def test_empty_workspace_overview_says_what_is_missing(app_db):
    at = _open("pages/overview.py", app_db["empty"])
    captions = " ".join(c.value for c in at.caption)
    assert "No projects yet" in captions and "No funding rounds" in captions


def test_add_task_form_writes_through_the_repository(app_db):
    with app_db["factory"].begin() as s:
        project_id = repo.create(session=s, model=Project, values={"workspace_id": app_db["empty"], "name": "P"}).id
    at = _open("pages/projects.py", app_db["empty"])
    at.text_input(key="new_task_name").input("Label 10k contracts")
    at.number_input(key="new_task_likely").set_value(12.0)
    at.button(key="FormSubmitter:add_task-Add task").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with app_db["factory"]() as s:
        tasks = repo.list_rows(session=s, model=Task, workspace_id=app_db["empty"])
    assert [(t.name, t.likely_days, t.project_id) for t in tasks] == [("Label 10k contracts", 12.0, project_id)]


def test_add_task_with_bad_estimates_shows_the_field_and_writes_nothing(app_db):
    with app_db["factory"].begin() as s:
        repo.create(session=s, model=Project, values={"workspace_id": app_db["empty"], "name": "P"})
    at = _open("pages/projects.py", app_db["empty"])
    at.text_input(key="new_task_name").input("Impossible")
    at.number_input(key="new_task_optimistic").set_value(9.0)
    at.number_input(key="new_task_likely").set_value(3.0)
    at.button(key="FormSubmitter:add_task-Add task").click().run()
    assert "'likely_days'" in at.error[0].value.replace("\\", "")  # the message is escaped Markdown
    with app_db["factory"]() as s:
        assert repo.list_rows(session=s, model=Task, workspace_id=app_db["empty"]) == []


def test_deleted_project_can_be_restored_from_the_page(app_db):
    with app_db["factory"].begin() as s:
        project_id = repo.create(session=s, model=Project, values={"workspace_id": app_db["empty"],
                                                                   "name": "Doomed"}).id
        repo.soft_delete(session=s, model=Project, row_id=project_id)
    at = _open("pages/projects.py", app_db["empty"])
    at.button(key=f"restore_project_{project_id}").click().run()
    assert not at.exception
    with app_db["factory"]() as s:
        assert [p.name for p in repo.list_rows(session=s, model=Project, workspace_id=app_db["empty"])] == ["Doomed"]


def test_sidebar_creates_and_switches_to_a_new_workspace(app_db):
    at = _open("pages/overview.py", app_db["demo"])
    at.sidebar.text_input(key="new_workspace_name").input("Second Startup")
    at.sidebar.button(key="FormSubmitter:new_workspace-Create").click().run()
    assert not at.exception
    assert at.title[0].value == "Second Startup"
    with app_db["factory"]() as s:
        assert "Second Startup" in [w.name for w in repo.list_workspaces(session=s)]


def test_sidebar_refuses_a_duplicate_workspace_name(app_db):
    at = _open("pages/overview.py", app_db["demo"])
    at.sidebar.text_input(key="new_workspace_name").input("Empty Co")
    at.sidebar.button(key="FormSubmitter:new_workspace-Create").click().run()
    assert "already taken" in at.error[0].value


def test_sidebar_settings_rename_and_set_the_cash_the_runway_starts_from(app_db):
    ws = app_db["empty"]
    at = _open("pages/overview.py", ws)
    assert at.metric[1].value == "$0"
    at.sidebar.text_input(key=f"ws_name_{ws}").input("Renamed Co")
    at.sidebar.number_input(key=f"ws_cash_{ws}").set_value(1_200_000.0)
    at.sidebar.button(key=f"FormSubmitter:workspace_settings_{ws}-Save settings").click().run()
    assert not at.exception and not at.error
    assert at.title[0].value == "Renamed Co"
    assert at.metric[1].value == "$1.20M"
    with app_db["factory"]() as s:
        assert repo.get(session=s, model=Workspace, row_id=ws).cash_on_hand_usd == 1_200_000.0


def test_sidebar_settings_refuse_an_empty_name(app_db):
    ws = app_db["empty"]
    at = _open("pages/overview.py", ws)
    at.sidebar.text_input(key=f"ws_name_{ws}").input("   ")
    at.sidebar.button(key=f"FormSubmitter:workspace_settings_{ws}-Save settings").click().run()
    assert "must not be empty" in at.error[0].value.replace("\\", "")
    with app_db["factory"]() as s:
        assert repo.get(session=s, model=Workspace, row_id=ws).name == "Empty Co"
