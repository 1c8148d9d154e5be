"""End to end in a real browser: every page renders, and a task created in the UI survives a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

import app
from db.engine import make_engine, make_session_factory
from db.models import ChangeLog, Project, Task
from tests.e2e.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
PAGES = [(path, title) for _section, path, title, _icon in app.PAGES]


def _settle(page) -> None:
    """Wait until Streamlit has finished running the script and drawing."""
    page.wait_for_selector("[data-testid='stApp']")
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && document.querySelector('[data-testid=\"stMainBlockContainer\"] h1')",
        timeout=60_000,
    )
    page.wait_for_timeout(800)


def _reload_shows(page, text: str) -> None:
    """After a fresh page load, ``text`` is on the page: it can only have come from the database
    (the grid mirrors its cells into an accessible DOM table)."""
    page.reload()
    _settle(page)
    # The grid fills its accessible mirror after the script has finished, on a later frame: poll for it
    # (seen failing under load when read at once).
    for _ in range(30):
        if text in page.content():
            break
        page.wait_for_timeout(500)
    assert text in page.content()


def _database(app_server):
    """A session on the server's database, to check what the UI wrote."""
    return make_session_factory(make_engine(app_server["database_url"]))()


def _goto(page, base: str, title: str) -> None:
    page.goto(base + "/")
    _settle(page)
    if title != PAGES[0][1]:
        page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
        _settle(page)


@pytest.mark.parametrize(("path", "title"), PAGES)
def test_every_page_renders_without_an_exception(app_server, page, path, title):
    _goto(page, app_server["base"], title)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stMainBlockContainer'] h1").first.is_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{path.split('/')[-1].removesuffix('.py')}.png"), full_page=True)


def test_task_created_in_the_ui_is_persisted_after_a_reload(app_server, page):
    _goto(page, app_server["base"], "Projects")
    page.get_by_role("tab", name="Add a task").click()
    page.get_by_label("Task name").fill("Red-team the contract-drafting model")
    page.get_by_label("Most likely (days)").fill("6")
    page.get_by_role("button", name="Add task").click()
    _settle(page)
    assert page.locator("[data-testid='stException']").count() == 0
    _reload_shows(page, "Red-team the contract-drafting model")
    with _database(app_server) as session:
        task = session.scalars(select(Task).where(Task.name == "Red-team the contract-drafting model")).one()
    assert task.likely_days == 6.0 and task.deleted_at is None


def test_a_project_renamed_in_the_grid_is_saved_and_recorded(app_server, page):
    _goto(page, app_server["base"], "Projects")
    canvas = page.get_by_test_id("stDataFrame").first.get_by_test_id("data-grid-canvas")
    box = canvas.bounding_box()
    # First data row, Name column: the grid draws on a canvas, so click where the cell is.
    page.mouse.click(box["x"] + 120, box["y"] + 35 + 17)
    page.keyboard.press("Enter")
    cell_editor = page.locator("#portal textarea")
    cell_editor.wait_for()
    cell_editor.fill("Market research (EU launch)")
    page.keyboard.press("Tab")
    # The grid mirrors its cells into an accessible table: wait until it holds the edit.
    page.get_by_test_id("glide-cell-1-0").filter(has_text="EU launch").wait_for(state="attached")
    _settle(page)
    assert "Unsaved: 1 changed, 0 added, 0 deleted" in page.get_by_test_id("stAlert").last.inner_text()
    page.get_by_role("button", name="Save projects").click()
    toast = page.get_by_test_id("stToast")
    toast.wait_for()
    assert "Saved projects: 1 changed, 0 added, 0 deleted" in toast.inner_text()
    # The toast is drawn at the start of the rerun; the notice goes once the page below is redrawn.
    page.get_by_text("Unsaved:").wait_for(state="detached", timeout=15_000)
    _reload_shows(page, "Market research (EU launch)")
    with _database(app_server) as session:
        project = session.scalars(select(Project).where(Project.name == "Market research (EU launch)")).one()
        log = session.scalars(select(ChangeLog).where(
            ChangeLog.table_name == "project", ChangeLog.row_id == project.id, ChangeLog.action == "update")).all()
    assert [(e.actor, e.before["name"], e.after["name"]) for e in log] == [
        ("app", "Market research", "Market research (EU launch)")]


def test_a_deep_link_as_the_first_request_still_gets_the_router(tmp_path, browser):
    """After a restart, a bookmarked /projects must show the app with its sidebar, not the bare page."""
    from tests.e2e.conftest import start_server, stop_server

    server = start_server(tmp_path)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server["base"] + "/projects")
        _settle(page)
        # expect() waits: on a loaded CI machine the sidebar can be drawn a moment after the page's title.
        expect(page.get_by_test_id("stSidebarNav").get_by_text("Overview", exact=True)).to_be_visible(timeout=30_000)
        expect(page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").first).to_be_visible(
            timeout=30_000)  # the workspace picker
        assert page.locator("[data-testid='stMainBlockContainer'] h1").first.inner_text() == "Projects"
        page.close()
    finally:
        stop_server(server)
