"""End to end in a real browser: the Compute cost page estimates, and a scenario saved in the UI is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import CostScenario
from tests.e2e.test_browser import _database, _goto, _settle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def test_a_cost_scenario_saved_in_the_browser_is_stored_with_its_costs(app_server, page):
    _goto(page, app_server["base"], "Compute cost")
    main = page.get_by_test_id("stMainBlockContainer")
    assert main.get_by_text("Training FLOPs").is_visible()
    assert main.get_by_text("$ / 1M output tokens").is_visible()
    page.get_by_label("Scenario name").fill("Browser plan")
    page.get_by_role("button", name="Save scenario").click()
    _settle(page)
    with _database(app_server) as session:
        saved = session.scalars(select(CostScenario).where(CostScenario.name == "Browser plan")).one()
    assert saved.serving_usd_per_m_output > 0 and saved.training_cost_usd > 0 and saved.kind == "both"
