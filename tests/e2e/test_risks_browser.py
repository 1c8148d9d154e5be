"""End to end: a risk re-estimated in the register grid moves to its new heat-map cell (named apart from
tests/db/test_risks.py: test modules share one namespace)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import ChangeLog, Risk
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser import _database, _goto, _settle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

# The heat map's Plotly trace as drawn in the page: row labels, column labels, counts and the risks per cell.
HEAT_MAP_JS = """() => {
  const plot = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  if (!plot || !plot.data) return null;
  const t = plot.data[0];
  return {y: t.y, x: t.x, members: t.customdata};
}"""


def _cell(heat: dict, probability: int, impact: int) -> list[str]:
    row = heat["y"].index(f"probability {probability}")
    column = heat["x"].index(f"impact {impact}")
    return heat["members"][row][column].split("<br>")


def test_a_risk_edited_in_the_grid_appears_in_its_new_heat_map_cell(app_server, page):
    _goto(page, app_server["base"], "Risks")
    canvas = page.get_by_test_id("stDataFrame").first.get_by_test_id("data-grid-canvas")
    box = canvas.bounding_box()
    # First data row ("Ethics, bias and fairness": 20 % → probability level 2, impact 4), Risk column.
    page.mouse.click(box["x"] + 60, box["y"] + 35 + 17)
    page.keyboard.press("Enter")
    page.locator("#portal textarea").fill("Bias in contract drafting")
    page.keyboard.press("Tab")
    # The grid mirrors its cells into an accessible table: wait until it holds the edit (and the rerun is over).
    page.get_by_test_id("glide-cell-1-0").filter(has_text="Bias in contract drafting").wait_for(state="attached")
    _settle(page)
    # Same row again, four cells right (Kind, Category, Owner, Probability %): the grid is drawn on a canvas.
    # Aim again: the "Unsaved" notice drawn after the first edit can move the grid down the page.
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + 60, box["y"] + 35 + 17)
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    page.locator("#portal input").fill("95")
    page.keyboard.press("Tab")
    page.get_by_test_id("glide-cell-5-0").filter(has_text="95").wait_for(state="attached")
    _settle(page)
    assert "Unsaved: 1 changed, 0 added, 0 deleted" in page.get_by_test_id("stAlert").last.inner_text()
    page.get_by_role("button", name="Save risks").click()
    toast = page.get_by_test_id("stToast")
    toast.wait_for()
    assert "Saved risks: 1 changed, 0 added, 0 deleted" in toast.inner_text()
    page.get_by_text("Unsaved:").wait_for(state="detached", timeout=15_000)

    page.get_by_role("tab", name="Heat map and top risks").click()
    page.wait_for_function(HEAT_MAP_JS.replace("return {y", "return t.customdata && {y"), timeout=15_000)
    heat = page.evaluate(HEAT_MAP_JS)
    assert "Bias in contract drafting" in _cell(heat, 5, 4)  # 95 % → level 5
    assert not any("Bias" in name or "Ethics" in name for name in _cell(heat, 2, 4))
    assert page.locator("[data-testid='stException']").count() == 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "risks_heat_map.png"), full_page=True)

    with _database(app_server) as session:
        risk = session.scalars(select(Risk).where(Risk.code == "ai-ethics")).one()
        log = session.scalars(select(ChangeLog).where(
            ChangeLog.table_name == "risk", ChangeLog.row_id == risk.id, ChangeLog.action == "update")).all()
    assert (risk.title, risk.probability_pct) == ("Bias in contract drafting", 95.0)
    assert [(e.actor, e.before["probability_pct"], e.after["probability_pct"]) for e in log] == [("app", 20.0, 95.0)]
