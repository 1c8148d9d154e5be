"""Market analytics: TAM/SAM/SOM against hand-worked cases (REFERENCE B4.1's examples), the document schema's
refusals naming the field, the public API price comparison on a hand-made table, positioning and its frontier,
the documents' content (every citation read back from the seeds), the pillar radar and the SWOT-like grid."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from analytics import market, market_docs
from analytics.gpu_catalogue import api_price_table
from analytics.market import MarketError, parse_market
from db.demo_market import demo_market
from tests.conftest import ROOT

SEEDS = ROOT.parent / "shared" / "seeds"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _doc(**sections) -> dict:
    return parse_market(sections)


def _bottom_up(**fields) -> dict:
    return _doc(sizing={"bottom_up": fields})


# ---- sizing ---------------------------------------------------------------------------------------------------

def test_bottom_up_reproduces_the_reference_worked_example():
    # REFERENCE B4.1 (pitchkit): TAM 120k SMBs × $600 = $72M; SAM 40k × $600 = $24M; SOM 10 % = $2.4M.
    s = market.bottom_up(_bottom_up(buyer="SMBs", buyers=120_000, annual_revenue_per_buyer_usd=600,
                                    filters=[{"name": "fit", "share": 40_000 / 120_000}], som_share=0.1))
    tam, sam, som = s.levels
    assert (tam.usd, tam.buyers) == (72e6, 120_000)
    assert sam.usd == pytest.approx(24e6) and sam.buyers == pytest.approx(40_000)
    assert som.usd == pytest.approx(2.4e6) and som.buyers == pytest.approx(4_000)
    assert tam.formula == "TAM = 120,000 SMBs × $600 a year = $72.0M"
    assert "× 33% (fit)" in sam.formula and sam.formula.endswith("= 40,000 SMBs × $600 = $24.0M")
    assert som.formula.startswith("SOM = 10.0% of 40,000 SMBs = 4,000") and "(within 36 months)" in som.formula
    assert s.missing == () and s.note == "the share winnable sets the SOM"


def test_bottom_up_with_two_filters_multiplies_them():
    # 33M SMBs × $600; 40 % fit × 50 % English: SAM buyers 6.6M, $3.96B.
    s = market.bottom_up(_bottom_up(buyers=33e6, annual_revenue_per_buyer_usd=600, som_share=0.01,
                                    filters=[{"name": "fit", "share": 0.4}, {"name": "English", "share": 0.5}]))
    assert [lv.usd for lv in s.levels] == pytest.approx([19.8e9, 3.96e9, 39.6e6])


def test_the_sales_teams_capacity_caps_the_som():
    # SAM 24,300 buyers; 2 % = 486; 4 reps × 30 deals × 3 years = 360 < 486, so SOM = 360 × $14,000 = $5.04M.
    doc = demo_market()
    s = market.bottom_up(parse_market(doc))
    assert s.levels[2].buyers == pytest.approx(360) and s.levels[2].usd == pytest.approx(5.04e6)
    assert s.note == "the sales team's capacity sets the SOM, not the share"
    assert "min(2.0% × 24,300 = 486, 4 reps × 30 deals a year × 3 years = 360)" in s.levels[2].formula
    doc["sizing"]["horizon_months"] = 24  # 4 × 30 × 2 = 240 deals
    assert market.bottom_up(parse_market(doc)).levels[2].usd == pytest.approx(240 * 14_000)
    doc["sizing"]["bottom_up"]["reps"] = 100  # capacity 6,000 > 486: the share binds again
    s = market.bottom_up(parse_market(doc))
    assert s.levels[2].buyers == pytest.approx(486) and s.note == "the share winnable sets the SOM"


def test_top_down_is_the_total_times_the_filters_times_the_share():
    s = market.top_down(parse_market(demo_market()))
    assert [lv.usd for lv in s.levels] == pytest.approx([25e9, 25e9 * 0.2 * 0.55, 25e9 * 0.2 * 0.55 * 0.01])
    assert s.levels[1].formula.endswith("= $2.75B") and s.levels[2].formula == (
        "SOM = SAM × 1.0% winnable in 36 months = $27.5M")


def test_a_source_written_as_a_sentence_is_cited_without_doubled_punctuation():
    s = market.top_down(_doc(sizing={"top_down": {"total_market_usd": 1e9, "source": "Gartner 2026 survey.",
                                                   "as_of": "2026-06"}}))
    assert s.levels[0].formula == "TAM = $1.00B (Gartner 2026 survey, 2026-06)"


def test_missing_inputs_are_named_and_what_can_be_computed_is():
    assert market.bottom_up(_doc()).missing == ("sizing.bottom_up.buyers",
                                                "sizing.bottom_up.annual_revenue_per_buyer_usd")
    s = market.top_down(_doc(sizing={"top_down": {"total_market_usd": 1e9}}))
    assert [lv.level for lv in s.levels] == ["TAM", "SAM"] and s.missing == ("sizing.top_down.som_share",)
    assert s.levels[1].formula == "SAM = TAM × 100 % (no filter) = $1.00B"
    assert market.sizing_table(_doc()).empty


def test_money_uses_the_unit_a_market_is_read_in():
    assert [market.money(x) for x in (950, 14_000, 2.4e6, 2.75e9, 1.2e12)] == [
        "$950", "$14.0k", "$2.4M", "$2.75B", "$1.20T"]


# ---- schema refusals ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "path"), [
    ({"colour": "red"}, "colour"),
    ({"sizing": {"bottom_up": {"buyerz": 5}}}, "sizing.bottom_up.buyerz"),
    ({"sizing": {"bottom_up": {"buyers": -1}}}, "sizing.bottom_up.buyers"),
    ({"sizing": {"top_down": {"filters": [{"name": "a", "share": 0.5}, {"name": "b", "share": 1.2}]}}},
     "sizing.top_down.filters[1].share"),
    ({"sizing": {"top_down": {"filters": [{"share": 0.5}]}}}, "sizing.top_down.filters[0].name"),
    ({"sizing": {"bottom_up": {"som_share": 1.01}}}, "sizing.bottom_up.som_share"),
    ({"sizing": {"horizon_months": 48}}, "sizing.horizon_months"),
    ({"output_share": -0.1}, "output_share"),
    ({"competitors": [{"name": "A", "pricing": "per_token", "price_per_m_output": 1.0}]},
     "competitors[0].price_per_m_input"),
    ({"competitors": [{"name": "A", "pricing": "per_seat"}]}, "competitors[0].price_per_seat_month"),
    ({"competitors": [{"name": "A", "pricing": "other", "quality": 101}]}, "competitors[0].quality"),
    ({"competitors": [{"name": "A", "pricing": "other"}, {"name": " a ", "pricing": "other"}]}, "competitors[1].name"),
    ({"competitors": [{"name": "A", "pricing": "per_hour"}]}, "competitors[0].pricing"),
    ({"competitors": [{"name": "A", "pricing": "per_token", "api_model": "gpt-99"}]}, "competitors[0].api_model"),
    ({"pillars": {"data": {"data_quality": 6}}}, "pillars.data.data_quality"),
    ({"pillars": {"data": {"data_quality": 2.5}}}, "pillars.data.data_quality"),
    ({"pillars": {"data": {"data_volume": 3}}}, "pillars.data.data_volume"),
    ({"swot": {"items": {"nope": {"applies": True}}}}, "swot.items.nope"),
    ({"swot": {"items": {"ip": {"applies": "yes"}}}}, "swot.items.ip.applies"),
    ({"canvas": {"channels": ["ok", 3]}}, "canvas.channels[1]"),
    ({"business_model": {"type": "marketplace"}}, "business_model.type"),
    ({"version": 2}, "version"),
])
def test_a_bad_document_is_refused_naming_the_field(change, path):
    with pytest.raises(MarketError) as err:
        parse_market(change, api=api_price_table())
    assert err.value.path == path and str(err.value).startswith(f"{path}: ")


def test_a_document_that_is_not_an_object_is_refused():
    with pytest.raises(MarketError, match="must be a JSON object"):
        parse_market([1, 2])


def test_defaults_fill_every_section_and_the_demo_document_passes():
    empty = market.empty_market()
    assert set(empty) == {"version", "notes", "quality_metric", "output_share", "sizing", "own", "competitors",
                          "business_model", "canvas", "pillars", "swot"}
    assert set(empty["canvas"]) == set(market_docs.canvas_ids()) and len(empty["canvas"]) == 9
    assert all(v is None for p in empty["pillars"].values() for v in p.values())
    assert parse_market(parse_market(demo_market(), api=api_price_table())) == parse_market(demo_market())


# ---- prices -----------------------------------------------------------------------------------------------------

API = pd.DataFrame({"provider": ["A", "B", "C"], "model": ["a-big", "b-mid", "c-small"],
                    "usd_per_m_input": [3.0, 1.0, 0.1], "usd_per_m_output": [15.0, 3.0, 0.3],
                    "usd_per_m_cached_input": [0.3, None, None], "source": ["src"] * 3,
                    "as_of": ["2025-09-05"] * 3})
MAAS = {"version": 1, "name": "Base", "start_month": "2027-01", "streams": [
    {"kind": "maas", "name": "API", "price_per_m_input": {"low": 0.4, "base": 0.6, "high": 0.8},
     "price_per_m_output": 2.4, "usage_median_m_tokens": 10, "serving_usd_per_m_input": 0.1,
     "serving_usd_per_m_output": 1.2},
    {"kind": "saas", "name": "App", "tiers": [{"name": "Team", "price_per_seat": 49}]}]}


def test_own_prices_are_the_scenarios_base_values():
    own = market.own_prices([("Base", MAAS), ("Broken", {"streams": "no"})])  # a broken scenario is skipped
    assert list(own["kind"]) == ["maas", "saas"]
    first = own.iloc[0]
    assert (first["price_per_m_input"], first["price_per_m_output"]) == (0.6, 2.4)
    assert (first["serving_usd_per_m_input"], first["serving_usd_per_m_output"]) == (0.1, 1.2)
    assert own.iloc[1]["stream"] == "App · Team" and own.iloc[1]["price_per_seat_month"] == 49


def test_the_api_benchmark_blends_at_the_output_share_and_sorts():
    own = market.own_prices([("Base", MAAS), ("Upside", MAAS)])
    bench = market.api_benchmark(API, own, output_share=0.25)
    # a-big 0.75·3 + 0.25·15 = 6.0; b-mid 1.5; c-small 0.15; ours 0.75·0.6 + 0.25·2.4 = 1.05; serving 0.375.
    assert list(bench["blended"]) == pytest.approx([0.15, 0.375, 1.05, 1.5, 6.0])
    assert list(bench["kind"]) == ["public API", "your serving cost", "your price", "public API", "public API"]
    assert bench.loc[2, "label"] == "Base / Upside · API"  # two scenarios with one price: one row
    assert set(bench.loc[bench["kind"] == "public API", "as_of"]) == {"2025-09-05"}


def test_price_standing_counts_cheaper_apis_and_the_margin_per_token():
    row = market.price_standing(API, market.own_prices([("Base", MAAS)]), output_share=0.25).iloc[0]
    assert row["blended_price"] == pytest.approx(1.05) and row["blended_serving"] == pytest.approx(0.375)
    assert row["gross_margin"] == pytest.approx(1 - 0.375 / 1.05)
    assert (row["public_cheaper"], row["public_total"]) == (1, 3)
    assert row["public_median"] == pytest.approx(1.5) and row["x_median"] == pytest.approx(0.7)


def test_the_real_table_is_dated_and_a_named_api_model_takes_its_prices():
    api = api_price_table()
    assert api["as_of"].notna().all() and api["source"].str.len().gt(0).all()
    doc = parse_market({"competitors": [
        {"name": "Frontier", "pricing": "per_token", "api_model": "gpt-4o"},
        {"name": "Typed", "pricing": "per_token", "api_model": "gpt-4o", "price_per_m_input": 2.0,
         "price_per_m_output": 8.0, "source": "our quote"}]}, api=api)
    table = market.competitor_table(doc, api).set_index("name")
    ref = api.set_index("model").loc["gpt-4o"]
    assert table.loc["Frontier", "price_per_m_input"] == ref["usd_per_m_input"]
    assert table.loc["Frontier", "as_of"] == ref["as_of"] and "tokencost" in table.loc["Frontier", "source"]
    assert (table.loc["Typed", "price_per_m_input"], table.loc["Typed", "source"]) == (2.0, "our quote")


def test_positioning_marks_the_dominated_and_keeps_units_apart():
    doc = parse_market({"own": {"name": "Us", "quality": 70}, "competitors": [
        {"name": "Cheap good", "pricing": "per_token", "price_per_m_input": 0.2, "price_per_m_output": 0.2,
         "quality": 80},
        {"name": "Dear worse", "pricing": "per_token", "price_per_m_input": 2, "price_per_m_output": 2, "quality": 60},
        {"name": "Seat", "pricing": "per_seat", "price_per_seat_month": 30, "quality": 90},
        {"name": "Unscored", "pricing": "per_seat", "price_per_seat_month": 10}]})
    own = market.own_prices([("Base", MAAS)])
    table = market.positioning(doc, market.competitor_table(doc, API), own).set_index("name")
    assert "Unscored" not in table.index
    assert table.loc["Dear worse", "dominated_by"] == "Cheap good, Us · API (Base)"
    assert table.loc["Us · API (Base)", "dominated_by"] == "Cheap good"
    assert table.loc["Cheap good", "dominated_by"] == "" and table.loc["Seat", "dominated_by"] == ""
    assert table.loc["Us · App · Team (Base)", "dominated_by"] == "Seat"  # $30 and 90 beat $49 and 70
    assert table.loc["Us · API (Base)", "price"] == pytest.approx(1.05)
    assert table.loc["Cheap good", "quality_per_usd"] == pytest.approx(400)


def test_the_competitor_grid_becomes_document_items():
    grid = pd.DataFrame([{"name": " A ", "pricing": "per_seat", "price_per_seat_month": 20, "quality": math.nan},
                         {"name": None, "pricing": None, "price_per_seat_month": math.nan, "quality": math.nan}])
    items = market.competitors_from_grid(grid)
    assert len(items) == 1 and items[0]["name"] == "A" and items[0]["quality"] is None
    assert items[0]["price_per_seat_month"] == 20.0 and items[0]["api_model"] == ""
    assert parse_market({"competitors": items})["competitors"][0]["pricing"] == "per_seat"


# ---- the documents' content ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seeds() -> dict[str, list[str]]:
    if not SEEDS.is_dir():
        pytest.skip(f"the source documents are not at {SEEDS}")
    return {p.name[:3]: p.read_text(encoding="utf-8").split("\n") for p in SEEDS.glob("*.txt")}


def test_every_citation_exists_and_holds_its_words(seeds):
    cites = market_docs.citations()
    assert len(cites) > 40
    for where, c in cites:
        lines = seeds[c.doc]
        assert 1 <= c.first <= c.last <= len(lines), where
        text = "\n".join(lines[c.first - 1:c.last])
        assert c.quote in text and CJK.search(c.quote), f"{where}: {c.short} does not hold {c.quote!r}"


def test_each_pillar_factor_and_swot_item_carries_its_chinese_term_from_its_lines(seeds):
    ref = market_docs.reference()
    for p in ref["pillars"]["items"]:
        c = market_docs.cite(p["cite"])
        text = "\n".join(seeds[c.doc][c.first - 1:c.last])
        assert p["zh"] in text and all(f["zh"] in text for f in p["factors"]), p["id"]
    assert len(ref["pillars"]["items"]) == 4 and all(len(p["factors"]) == 3 for p in ref["pillars"]["items"])
    for item in ref["swot"]["items"]:
        first = market_docs.cite(item["cites"][0])
        assert item["zh"] in "\n".join(seeds[first.doc][first.first - 1:first.last]), item["id"]
    assert [t["zh"] for t in ref["classification"]["types"]] == ["产品导向型", "服务导向型", "平台型"]


def test_the_radar_is_the_mean_of_the_scored_factors():
    doc = parse_market({"pillars": {"technology": {"rd_strength": 5, "patents": 2}, "data": {"data_scale": 3}}})
    radar = market_docs.radar(doc).set_index("pillar")
    assert radar.loc["technology", "score"] == 3.5 and radar.loc["technology", "scored"] == 2
    assert radar.loc["data", "score"] == 3 and math.isnan(radar.loc["ecosystem", "score"])
    assert radar.loc["technology", "exemplar_cite"] == "004:L107"


def test_the_swot_grid_sorts_scores_and_keeps_what_applies():
    doc = parse_market({"pillars": {"technology": {"rd_strength": 4, "patents": 2, "tech_ecosystem": 3}},
                        "swot": {"items": {"ip": {"applies": False}, "policy_support": {"note": "EU grants"}},
                                 "threats": ["A frontier lab adds our feature"]}})
    grid = market_docs.swot_grid(doc)
    assert list(grid["strengths"]["text"]) == ["R&D strength (Technical advantage)"]
    assert list(grid["weaknesses"]["origin"]) == ["pillar score 2/5"]
    threats = grid["threats"]
    assert "ip" not in set(threats["id"]) and threats.iloc[-1]["text"] == "A frontier lab adds our feature"
    assert threats.iloc[-1]["origin"] == "yours" and "technical_threshold" in set(threats["id"])
    policy = grid["opportunities"].set_index("id").loc["policy_support"]
    assert policy["note"] == "EU grants" and policy["origin"] == "002:L635-639, 004:L465"


def test_streams_are_classified_and_a_tie_suggests_nothing():
    classes = market_docs.stream_classes([("Base", "API", "maas", "licence"), ("Base", "App", "saas", "licence"),
                                          ("Up", "API", "maas", "licence"), ("Base", "Models", "units", "licence")])
    assert list(classes["type"]) == ["service", "service", "product"]  # the upside's API is the same stream
    assert market_docs.suggested_type(classes) == "service"
    assert market_docs.suggested_type(classes.iloc[[0, 2]]) is None
    assert classes.iloc[2]["cite"] == "003:L505"
