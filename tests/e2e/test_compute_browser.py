"""End to end in a real browser: the Compute cost page estimates, and a scenario saved in the UI is stored."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import select

from db.cost_scenarios import add_gpu
from db.models import CostScenario, GpuOverride, Workspace
from tests.e2e.test_browser import _database, _goto, _settle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def test_a_cost_scenario_saved_in_the_browser_is_stored_with_its_costs(app_server, page):
    _goto(page, app_server["base"], "Compute cost")
    main = page.get_by_test_id("stMainBlockContainer")
    assert main.get_by_text("Training FLOPs").is_visible()
    assert main.get_by_text("Fleet $ / 1M output tokens", exact=True).is_visible()
    page.get_by_label("Scenario name").fill("Browser plan")
    page.get_by_role("button", name="Save scenario").click()
    _settle(page)
    with _database(app_server) as session:
        saved = session.scalars(select(CostScenario).where(CostScenario.name == "Browser plan")).one()
    assert saved.serving_usd_per_m_output > 0 and saved.training_cost_usd > 0 and saved.kind == "both"


def _edit_first_row(page, right: int, value: str) -> None:
    """Type ``value`` into the grid's first row, ``right`` cells right of the key (the grid draws on a canvas)."""
    grid = page.locator(".st-key-gpu_grid_box")
    canvas = grid.get_by_test_id("data-grid-canvas")
    for attempt in range(3):
        grid.scroll_into_view_if_needed()  # the grid is at the foot of a long page; mouse clicks need it on screen
        # Charts above it may still be drawing on a loaded machine: click once the grid has stopped moving.
        box = None
        while True:
            page.wait_for_timeout(250)
            now = canvas.bounding_box()
            if now == box:
                break
            box = now
        page.mouse.click(box["x"] + 40, box["y"] + 35 + 17)
        for _ in range(right):
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")
        try:
            page.locator("#portal input").wait_for(timeout=5_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")  # the click missed the cell: close whatever opened and aim again
    page.locator("#portal input").fill(value)
    page.keyboard.press("Tab")
    # The grid mirrors its cells into an accessible table: wait until it holds the edit.
    grid.locator("[data-testid^='glide-cell-']").filter(has_text=value).first.wait_for(state="attached")
    _settle(page)


def test_a_workspace_gpu_row_edited_in_the_grid_is_checked_then_saved(app_server, page):
    with _database(app_server) as session:
        demo = session.scalars(select(Workspace).where(Workspace.name == "Lexora AI (demo)")).one().id
        row = add_gpu(session=session, workspace_id=demo, values={
            "gpu": "my-asic", "name": "Our ASIC", "bf16_tflops": 400.0, "memory_gb": 64.0, "bandwidth_tbs": 2.0,
            "usd_per_gpu_hour": 1.1, "source": "vendor quote", "as_of": "2026-11"})
        session.commit()
        row_id = row.id
    _goto(page, app_server["base"], "Compute cost")
    # Key, Name, bf16 TFLOP/s: a zero peak is refused naming the row and field, and nothing is written.
    _edit_first_row(page, 2, "0")
    assert "Unsaved: 1 GPU row(s) changed" in page.get_by_test_id("stAlert").last.inner_text()
    page.get_by_role("button", name="Save GPU rows").click()
    _settle(page)
    error = page.get_by_test_id("stAlert").filter(has_text="must be greater than 0")
    assert "row 1" in error.inner_text() and "bf16_tflops" in error.inner_text()
    with _database(app_server) as session:
        assert session.get(GpuOverride, row_id).bf16_tflops == 400.0
    # The refused edit is kept in the grid (not lost), and the page still says it is unsaved.
    assert page.get_by_test_id("stAlert").filter(has_text="Unsaved: 1 GPU row(s) changed").count() == 1
    # A good value saves. On a fresh page: after an edit the canvas grid keeps its own cursor, which a
    # test cannot see, so a second edit on the same grid lands in an unpredictable cell.
    _goto(page, app_server["base"], "Compute cost")
    _edit_first_row(page, 2, "450")
    page.get_by_role("button", name="Save GPU rows").click()
    toast = page.get_by_test_id("stToast")
    toast.wait_for()
    assert "Saved GPU rows: 1 changed" in toast.inner_text()
    with _database(app_server) as session:
        saved = session.get(GpuOverride, row_id)
        assert (saved.bf16_tflops, saved.version) == (450.0, 2)
