"""The Revenue page: the demo's scenarios computed, what-ifs unsaved, Monte Carlo on demand, edits checked."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from analytics.revenue.editing import assumption_groups
from db.revenue import revenue_scenarios
from db.views_revenue import revenue_view
from pages._components import usd
from tests.helpers import open_page

pytestmark = pytest.mark.usefixtures("navigation_only")
PAGE = "pages/revenue.py"


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_the_demo_base_case_shows_the_figures_its_domain_function_computed(app_db):
    at = open_page(PAGE, app_db["demo"])
    assert at.title[0].value == "Revenue"
    with app_db["factory"]() as s:
        view = revenue_view(session=s, workspace_id=app_db["demo"])
    assert _metric(at, "Revenue, last 12 mo") == usd(view.report.headline.revenue_last_12_usd)
    assert view.report.headline.break_even_month is not None
    assert len(at.get("plotly_chart")) >= 3
    assert {"Base case (illustrative)", "Upside (illustrative)", "Downside (illustrative)"} <= set(
        view.comparison.columns)


def test_a_what_if_slider_changes_the_figures_but_saves_nothing(app_db):
    at = open_page(PAGE, app_db["demo"])
    before = _metric(at, "Revenue, last 12 mo")
    with app_db["factory"]() as s:
        versions = {r.id: r.version for r in revenue_scenarios(session=s, workspace_id=app_db["demo"])}
    at.slider(key="rev_demand").set_value(2.0).run()
    assert not at.exception
    assert _metric(at, "Revenue, last 12 mo") != before
    with app_db["factory"]() as s:
        assert {r.id: r.version for r in revenue_scenarios(session=s, workspace_id=app_db["demo"])} == versions


def test_monte_carlo_runs_when_asked_and_draws_its_fans(app_db):
    at = open_page(PAGE, app_db["demo"])
    charts = len(at.get("plotly_chart"))
    at.number_input(key="rev_paths").set_value(500).run()
    at.button(key="rev_mc").click().run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == charts + 4
    caption = next(c.value for c in at.caption if "500 paths" in c.value)
    assert "Legal API · CAC ($)" in caption and "streams[" not in caption  # inputs named as a founder reads them


def test_an_empty_workspace_is_told_how_to_add_a_scenario(app_db):
    at = open_page(PAGE, app_db["empty"])
    assert "No revenue scenario yet" in at.info[0].value


def test_the_comparison_holds_the_scenarios_asked_for(app_db):
    with app_db["factory"]() as s:
        rows = revenue_scenarios(session=s, workspace_id=app_db["demo"])
        one = revenue_view(session=s, workspace_id=app_db["demo"], compare_ids=[rows[0].id])
    assert list(one.comparison.columns) == [rows[0].name]
    at = open_page(PAGE, app_db["demo"])
    at.multiselect(key="rev_compare_ids").set_value([rows[1].id]).run()
    assert not at.exception
    names = {r.name for r in rows}
    compared = [list(d.value.columns) for d in at.dataframe if set(d.value.columns) & names]
    assert compared == [[rows[1].name]]


def test_the_tornado_is_read_at_the_month_asked_for(app_db):
    with app_db["factory"]() as s:
        at_24 = revenue_view(session=s, workspace_id=app_db["demo"], tornado_output="cash", tornado_month=23).report
        at_end = revenue_view(session=s, workspace_id=app_db["demo"], tornado_output="cash").report
    assert (at_24.tornado_month, at_end.tornado_month) == (23, len(at_end.months) - 1)
    assert at_24.tornado["base_output"].iloc[0] == pytest.approx(at_24.table["cash"].iloc[23])
    at = open_page(PAGE, app_db["demo"])
    at.selectbox(key="rev_tornado_at").set_value(24).run()
    assert not at.exception
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert f"Tornado: cash at month end, {at_24.months[23]:%b %Y} (month 24)" in titles


def test_a_tornado_month_past_the_horizon_reads_its_last_month(app_db):
    with app_db["factory"]() as s:
        report = revenue_view(session=s, workspace_id=app_db["demo"], tornado_output="cash", tornado_month=47).report
    assert report.tornado_month == len(report.months) - 1


def test_an_event_beyond_the_horizon_reads_none_with_the_horizons_end_beneath(app_db):
    at = open_page(PAGE, app_db["demo"])
    with app_db["factory"]() as s:
        report = revenue_view(session=s, workspace_id=app_db["demo"]).report
    assert report.headline.cash_out_month is None  # the demo base case never runs out of cash
    shown = next(m for m in at.metric if m.label == "Cash runs out")
    assert shown.value == "none"
    assert shown.delta == f"by {report.months[-1]:%b %Y}"


def test_inputs_a_cost_scenario_refreshes_are_named_not_offered_for_editing(app_db):
    with app_db["factory"]() as s:
        view = revenue_view(session=s, workspace_id=app_db["demo"])
    training = view.stored["training"][0]
    assert training["cost_scenario"] and f"{training['name']} · cost ($)" in view.linked
    assert "training[0].cost_usd" not in set(view.assumptions["path"])
    assert view.resolved["training"][0]["cost_usd"] > 0  # the run uses the cost scenario's figure, not the 0 saved
    assert not view.assumptions["field"].str.contains(r"\[").any()  # fields read as words, paths stay in "path"
    at = open_page(PAGE, app_db["demo"])
    assert any("Refreshed from a cost scenario" in c.value for c in at.caption)


def _save_grid(at: AppTest, scenario_id: int, group: int, edited_rows: dict) -> AppTest:
    # AppTest cannot type into a data editor; it takes the editor's change set through the session state.
    at.session_state[f"rev_assumptions_{scenario_id}_{group}"] = {"edited_rows": edited_rows, "added_rows": [],
                                                                   "deleted_rows": []}
    at.run()
    return at.button(key="rev_save").click().run()


def test_an_edit_in_a_streams_table_is_saved_and_nothing_else_changes(app_db):
    at = open_page(PAGE, app_db["demo"])
    with app_db["factory"]() as s:
        view = revenue_view(session=s, workspace_id=app_db["demo"])
    before = next(r for r in revenue_scenarios(session=s, workspace_id=app_db["demo"]) if r.id == view.scenario_id)
    stream = view.stored["streams"][0]
    assert isinstance(stream["price_per_m_output"], int | float)
    part = dict(assumption_groups(view.assumptions))[stream["name"]]
    row = int(part.index[part["path"] == "streams[0].price_per_m_output"][0])
    _save_grid(at, view.scenario_id, 1, {str(row): {"base": 3.0}})
    assert not at.exception and not at.error, [e.value for e in at.error]
    with app_db["factory"]() as s:
        after = next(r for r in revenue_scenarios(session=s, workspace_id=app_db["demo"]) if r.id == before.id)
    assert after.version == before.version + 1 and after.spec["streams"][0]["price_per_m_output"] == 3.0
    after.spec["streams"][0]["price_per_m_output"] = stream["price_per_m_output"]
    assert after.spec == before.spec


def test_a_bad_cell_is_refused_naming_its_path_and_nothing_is_saved(app_db):
    at = open_page(PAGE, app_db["demo"])
    with app_db["factory"]() as s:
        view = revenue_view(session=s, workspace_id=app_db["demo"])
        version = next(r.version for r in revenue_scenarios(session=s, workspace_id=app_db["demo"])
                       if r.id == view.scenario_id)
    part = assumption_groups(view.assumptions)[1][1]
    row = int(part.index[part["path"] == "streams[0].price_per_m_output"][0])
    _save_grid(at, view.scenario_id, 1, {str(row): {"base": -1.0}})
    assert "streams[0].price_per_m_output" in at.error[0].value.replace("\\", "")
    with app_db["factory"]() as s:
        assert next(r.version for r in revenue_scenarios(session=s, workspace_id=app_db["demo"])
                    if r.id == view.scenario_id) == version
