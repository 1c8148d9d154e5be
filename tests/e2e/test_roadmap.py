"""In a real browser: change a dependency's lag on the Roadmap and see the Gantt chart move."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from db.engine import make_engine, make_session_factory
from db.models import TaskDependency
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser import _goto, _settle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

# Latest end of the Gantt's current-plan bars (ms since the epoch), read from the drawn plotly figure.
GANTT_END = """() => {
  const trace = document.querySelector('.js-plotly-plot').data.find(t => t.name === 'current plan');
  return Math.max(...trace.base.map((b, i) => Date.parse(b) + trace.x[i]));
}"""


def _plan_finish(page) -> datetime:
    text = page.get_by_test_id("stMetric").filter(has_text="Plan finish").inner_text()
    return datetime.strptime(text.splitlines()[-1].strip(), "%d %b %Y")


def test_a_longer_lag_on_a_critical_dependency_moves_the_gantt(app_server, page):
    _goto(page, app_server["base"], "Roadmap")
    page.locator(".js-plotly-plot").first.wait_for()
    before_end, before_finish = page.evaluate(GANTT_END), _plan_finish(page)

    page.get_by_role("tab", name="Dependencies").click()
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Save dependency"))
    lag = form.get_by_label("Lag (days)")
    lag.fill("10")
    lag.press("Tab")
    form.get_by_role("button", name="Save dependency").click()
    page.get_by_test_id("stToast").wait_for()
    _settle(page)
    assert page.locator("[data-testid='stException']").count() == 0

    after_end, after_finish = page.evaluate(GANTT_END), _plan_finish(page)
    assert (after_finish - before_finish).days == 10  # the first demo link is on the critical path
    assert (after_end - before_end) / 86_400_000 == 10
    with make_session_factory(make_engine(app_server["database_url"]))() as session:
        lags = session.scalars(select(TaskDependency.lag_days).where(TaskDependency.deleted_at.is_(None))).all()
    assert 10.0 in lags
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "roadmap-after-lag.png"), full_page=True)
