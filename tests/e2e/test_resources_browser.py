"""Resources page in a real browser: the levelling preview is drawn, and Apply writes the suggested dates."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import Task
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser import _database, _goto, _settle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def test_levelling_preview_is_drawn_and_apply_moves_the_tasks(app_server, page):
    _goto(page, app_server["base"], "Resources")
    assert "Sofia Marquez" in page.content()  # the demo's over-allocated ML engineer, named in the table
    page.get_by_role("button", name="Suggest levelling").click()
    _settle(page)
    page.get_by_text("Levelling preview").wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("Workload after levelling").is_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "resources-levelling-preview.png"), full_page=True)
    with _database(app_server) as session:
        before = {t.id: (t.start_date, t.version) for t in session.scalars(select(Task))}
    page.get_by_role("button", name="Apply").click()
    toast = page.get_by_test_id("stToast")
    toast.wait_for()
    assert "Levelling applied" in toast.inner_text()
    with _database(app_server) as session:
        after = {t.id: (t.start_date, t.version) for t in session.scalars(select(Task))}
    moved = [t for t in before if after[t] != before[t]]
    assert moved and all(after[t][0] > before[t][0] for t in moved)  # only ever later
