"""The Market page in AppTest: the demo's figures are the ones its domain functions compute, an empty workspace is
told what to do, and each editor saves through the repository: a competitor added in the grid is stored, a bad one
is refused naming the field with nothing stored, sizing and pillar scores round-trip, a stale form is refused."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics import market
from analytics.gpu_catalogue import api_price_table
from db.demo_market import add_demo_market, demo_market
from db.market import load_market, save_market_section
from pages._market_charts import positioning, sizing
from tests.market_page_harness import open_page

pytestmark = pytest.mark.usefixtures("navigation_only")


@pytest.fixture
def market_db(app_db):
    """app_db with the demo market document (db/demo.py will add it itself once it calls add_demo_market)."""
    with app_db["factory"].begin() as s:
        if load_market(session=s, workspace_id=app_db["demo"]).row_id is None:
            add_demo_market(session=s, workspace_id=app_db["demo"])
    return app_db


def _stored(db, which: str):
    with db["factory"]() as s:
        return load_market(session=s, workspace_id=db[which])


def _metrics(at) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for m in at.metric:
        out.setdefault(m.label, []).append(m.value)
    return out


def _frame(at, column: str):
    """The first read-only table with ``column`` (st.dataframe keeps no key in AppTest unless it is selectable)."""
    return next(d.value for d in at.dataframe if d.editing_mode == "read_only" and column in d.value.columns)


def _text(at) -> str:
    return " ".join([c.value for c in at.caption] + [m.value for m in at.markdown]).replace("\\", "")


def test_the_demo_shows_the_sizes_formulas_and_prices_its_domain_functions_compute(market_db, tmp_path):
    at = open_page(market_db["demo"], tmp_path / "h")
    assert [t.value for t in at.title] == ["Market"] and not at.error
    doc = _stored(market_db, "demo").content
    td, bu = market.top_down(doc), market.bottom_up(doc)
    assert _metrics(at)["TAM"] == [market.money(td.levels[0].usd), market.money(bu.levels[0].usd)]
    assert _metrics(at)["SOM"] == [market.money(td.levels[2].usd), market.money(bu.levels[2].usd)]
    text = _text(at)
    assert all(lv.formula in text for lv in td.levels + bu.levels)
    assert "the sales team's capacity sets the SOM" in text  # 4 reps × 30 deals × 3 years < 2 % of the SAM
    bench = _frame(at, "blended")
    public = bench[bench["kind"] == "public API"]
    assert len(public) == len(api_price_table()) and set(public["as_of"]) == {"2025-09-05"}
    assert {"your price", "your serving cost"} <= set(bench["kind"])
    assert "of 22 public APIs are cheaper" in text and "Public list prices as of 2025-09-05" in text
    matrix = _frame(at, "weaknesses")
    frontier = matrix.set_index("name").loc["Frontier general-purpose API"]
    assert (frontier["price_per_m_input"], frontier["price_per_m_output"]) == (2.5, 10.0)  # read from the table
    assert len(at.get("plotly_chart")) >= 5  # sizing, two positioning units, benchmark, radar
    assert any("GPT-3 is OpenAI's" in w.value.replace("\\", "") for w in at.warning)


def test_an_empty_workspace_is_told_to_fill_a_section_in(market_db, tmp_path):
    at = open_page(market_db["empty"], tmp_path / "h")
    assert not at.error
    assert "No market model saved yet" in at.info[0].value
    assert "Still needed" in _text(at) and "TAM" not in _metrics(at)


def _grid_save(at, changes: dict, ws: int):
    # AppTest cannot type into a data editor; it takes the editor's change set through the session state.
    at.session_state[f"mk_comp_{ws}_0"] = {"edited_rows": {}, "added_rows": [], "deleted_rows": [],
                                                        **changes}
    at.run()
    return at.button(key="mk_comp_save").click().run()


def test_a_competitor_added_in_the_grid_is_stored(market_db, tmp_path):
    ws, before = market_db["demo"], _stored(market_db, "demo")
    at = open_page(ws, tmp_path / "h")
    row = {"name": "New rival", "pricing": "per_seat", "price_per_seat_month": 99.0, "quality": 60.0}
    _grid_save(at, {"added_rows": [row]}, ws)
    assert not at.exception and not at.error, [e.value for e in at.error]
    after = _stored(market_db, "demo")
    assert after.version == before.version + 1
    assert after.content["competitors"][-1]["name"] == "New rival"
    assert after.content["competitors"][:-1] == before.content["competitors"]
    positioning = _frame(at, "dominated_by")
    assert "New rival" in set(positioning["name"])


def test_a_bad_competitor_is_refused_naming_the_field_and_nothing_is_stored(market_db, tmp_path):
    ws, before = market_db["demo"], _stored(market_db, "demo")
    at = open_page(ws, tmp_path / "h")
    _grid_save(at, {"edited_rows": {"3": {"price_per_seat_month": -5.0}}}, ws)
    assert not at.exception
    assert "content.competitors[3].price_per_seat_month" in at.error[0].value.replace("\\", "")
    assert _stored(market_db, "demo") == before


def test_sizing_saved_from_the_form_shows_its_formula(market_db, tmp_path):
    ws = market_db["empty"]
    at = open_page(ws, tmp_path / "h")
    at.number_input(key=f"mk_bu_n_{ws}_0").set_value(120_000.0)
    at.number_input(key=f"mk_bu_arpb_{ws}_0").set_value(600.0)
    at.number_input(key=f"mk_bu_som_{ws}_0").set_value(0.1)
    at.button(key=f"FormSubmitter:mk_sizing_{ws}_0-Save market size").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    stored = _stored(market_db, "empty")
    assert stored.version == 1 and stored.content["sizing"]["bottom_up"]["buyers"] == 120_000
    # 120k buyers × $600 = $72M; no filter, so SAM = TAM; SOM 10 % = $7.2M (REFERENCE B4.1's worked example, TAM part).
    assert _metrics(at)["TAM"] == ["$72.0M"] and _metrics(at)["SOM"] == ["$7.2M"]


def test_pillar_scores_round_trip_and_draw_the_radar(market_db, tmp_path):
    ws = market_db["empty"]
    at = open_page(ws, tmp_path / "h")
    at.selectbox(key=f"mk_pillar_data_data_quality_{ws}_0").set_value(5)
    at.selectbox(key=f"mk_pillar_data_data_scale_{ws}_0").set_value(2)
    at.button(key=f"FormSubmitter:mk_pillars_{ws}_0-Save scores").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _stored(market_db, "empty").content["pillars"]["data"] == {"data_scale": 2, "data_quality": 5,
                                                                      "data_diversity": None}
    radar = _frame(at, "exemplar").set_index("name")
    assert radar.loc["Data advantage", "score"] == 3.5 and radar.loc["Data advantage", "scored"] == 2
    text = _text(at)
    assert "Data quality (Data advantage) — *pillar score 5/5*" in text
    assert "Data scale (Data advantage) — *pillar score 2/5*" in text


def test_a_form_loaded_before_someone_elses_save_is_refused(market_db, tmp_path):
    ws, before = market_db["demo"], _stored(market_db, "demo")
    at = open_page(ws, tmp_path / "h")
    with market_db["factory"].begin() as s:  # another session saves first
        save_market_section(session=s, workspace_id=ws, section="notes", value="changed elsewhere",
                            expected_version=before.version)
    key = f"{ws}_0"
    at.text_area(key=f"mk_bm_why_{key}").input("our reasons")
    at.button(key=f"FormSubmitter:mk_bm_{key}-Save classification").click().run()
    assert not at.exception
    assert "changed by someone else" in at.error[0].value.replace("\\", "")
    assert any("changed elsewhere since you opened it" in w.value for w in at.warning)
    stored = _stored(market_db, "demo")
    assert stored.content["notes"] == "changed elsewhere"
    assert stored.content["business_model"] == demo_market()["business_model"]


def test_the_sizing_chart_reads_billions_as_b_not_si_g():
    doc = market.parse_market(demo_market())
    fig = sizing({"top-down": market.top_down(doc), "bottom-up": market.bottom_up(doc)})
    labels = list(fig.layout.yaxis.ticktext)
    assert "$1B" in labels and "$10M" in labels and not any("G" in t for t in labels)


def test_a_swot_lines_origin_is_set_in_italics_not_printed_with_asterisks(market_db, tmp_path):
    at = open_page(market_db["demo"], tmp_path / "h")
    lines = [m.value for m in at.markdown if "pillar score" in m.value]
    assert lines and all("— *pillar score" in v and "\\*" not in v for v in lines)


def test_the_positioning_legend_shows_each_marker_style_once():
    table = pd.DataFrame({"name": ["a", "b", "c"], "who": ["competitor", "competitor", "yours"], "unit": ["u"] * 3,
                          "price": [1.0, 2.0, 1.5], "quality": [50.0, 40.0, 60.0], "quality_per_usd": [0.0] * 3,
                          "dominated_by": ["", "a", None]})
    fig = positioning(table, "u", "an eval")
    assert [(t.name, t.marker.symbol) for t in fig.data] == [
        ("competitor", "circle"), ("competitor, dominated", "circle-open"), ("yours", "circle")]
