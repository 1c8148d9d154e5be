"""The pitch deck: sections in a deck's order, missing sections say what is missing, internal data left out."""

from __future__ import annotations

import copy
import math
from datetime import date

import pytest
from sqlalchemy import select

from analytics.pitch import SECTIONS, PitchInputs, build_deck
from db.demo import create_demo_workspace
from db.models import RevenueScenario
from db.pitch import load_pitch, save_pitch
from db.revenue import save_revenue_scenario
from db.validation import StaleEditError, ValidationError
from db.views_pitch import pitch_view, pitch_workspace
from tests.helpers import table_counts
from tests.pitch_private_data import PITCH_HIDDEN_COST, PRIVATE_COST, add_private_data, salary_forms

KEYS = [k for k, _t in SECTIONS]
ORDER = ["problem", "solution", "why_now", "market", "competition", "business_model", "unit_economics", "traction",
         "team", "financials", "ask", "milestones", "risks"]


@pytest.fixture
def demo(factory):
    with factory.begin() as s:
        ws = create_demo_workspace(session=s, today=date(2026, 12, 1)).id
        private = add_private_data(s, ws)
    return {"id": ws, "private": private}


def _text(deck) -> str:
    return "\n".join(text for s in deck.sections for text in s.text)  # titles, lines and table cells


def test_sections_follow_the_deck_order():
    assert KEYS == ORDER
    assert [s.key for s in build_deck(PitchInputs(workspace="X")).sections] == ORDER


def test_an_empty_workspace_says_what_is_missing_and_invents_nothing():
    deck = build_deck(PitchInputs(workspace="X"))
    for section in deck.sections:
        assert section.missing.startswith("missing: "), section.key
        assert section.lines == [] and section.charts == [] and section.tables == [], section.key
    by_key = {s.key: s.missing for s in deck.sections}
    assert "the problem" in by_key["problem"] and "TAM/SAM/SOM" in by_key["market"]
    assert "the ask" in by_key["ask"] and "R&D / marketing / operations" in by_key["ask"]


def test_an_ask_without_a_split_names_the_split_as_missing():
    deck = build_deck(PitchInputs(workspace="X", narrative={"ask_usd": 5e6}))
    ask = next(s for s in deck.sections if s.key == "ask")
    assert ask.lines == ["We are raising $5.0M."] and "use of funds" in ask.missing and not ask.charts


def test_the_demo_deck_fills_every_section_in_order(factory, demo):
    with factory() as s:
        view = pitch_view(session=s, workspace_id=demo["id"], today=date(2026, 12, 1))
    deck = view.deck
    assert [s.key for s in deck.sections] == ORDER
    assert all((s.lines or s.tables) and not s.missing for s in deck.sections), [
        (s.key, s.missing) for s in deck.sections if s.missing]
    text = _text(deck)
    assert "Mei Chen, CEO" in text and "$12.0M" in text
    assert "MaaS: per token" in text and "SaaS: per seat" in text and "subscription" in text
    assert "$0.60 in / $2.40 out per 1M tokens" in text and "Team $49, Enterprise $89 per seat a month" in text
    assert "Scenario: Base case (illustrative)" in text  # the public base case, not the private one sorted first
    assert "P80" in text and "TAM" in text
    assert "forecast runway: cash lasts past the horizon (2029-11)" in text  # not "∞"
    assert [c.key for c in deck.charts] == ["market_sizing", "revenue_cash", "use_of_funds"]


def test_salaries_private_risks_and_private_scenarios_are_absent(factory, demo):
    with factory() as s:
        view = pitch_view(session=s, workspace_id=demo["id"], today=date(2026, 12, 1))
    text = _text(view.deck)
    for value in demo["private"].texts:
        assert value not in text, value
    for salary in demo["private"].salaries:
        for form in salary_forms(salary):
            assert form not in text, form
    serving = next(s for s in view.deck.sections if s.key == "traction").lines
    assert any("Lexora 8B" in line for line in serving)  # the public cost scenario is shown …
    assert not any(PITCH_HIDDEN_COST["name"] in line or PRIVATE_COST["name"] in line for line in serving)
    assert PRIVATE_COST["name"] not in view.cost_scenarios  # … and the form offers only non-private ones
    assert PITCH_HIDDEN_COST["name"] in view.cost_scenarios


def test_narrative_is_checked_and_version_checked(factory, workspace_id):
    before = table_counts(factory)
    for bad, field in (({"use_of_funds": {"rd": 0.7, "marketing": 0.7}}, "content.use_of_funds"),
                       ({"ask_usd": -1}, "content.ask_usd"), ({"tagline": "x"}, "content.tagline"),
                       ({"problem": 3}, "content.problem"), ({"private_cost_scenarios": "x"},
                                                             "content.private_cost_scenarios")):
        with pytest.raises(ValidationError) as exc, factory.begin() as s:
            save_pitch(session=s, workspace_id=workspace_id, content=bad)
        assert exc.value.errors[0].field == field
    assert table_counts(factory) == before
    with factory.begin() as s:
        row = save_pitch(session=s, workspace_id=workspace_id,
                         content={"problem": " p ", "private_cost_scenarios": ["b", "a", "a", " "]})
    with factory() as s:
        stored = load_pitch(session=s, workspace_id=workspace_id)
    assert stored.content["problem"] == "p" and stored.content["private_cost_scenarios"] == ["a", "b"]
    with pytest.raises(StaleEditError), factory.begin() as s:
        save_pitch(session=s, workspace_id=workspace_id, content={"problem": "again"})  # believes there is none
    with factory.begin() as s:
        save_pitch(session=s, workspace_id=workspace_id, content={"problem": "v2"}, expected_version=row.version)
    with pytest.raises(StaleEditError), factory.begin() as s:
        save_pitch(session=s, workspace_id=workspace_id, content={"problem": "v3"}, expected_version=row.version)


def test_pitch_workspace_by_id_name_or_first(factory, workspace_id, demo):
    with factory() as s:
        assert pitch_workspace(session=s) == workspace_id  # the first one
        assert pitch_workspace(session=s, selector=str(demo["id"])) == demo["id"]
        assert pitch_workspace(session=s, selector="Test Co") == workspace_id
        assert pitch_workspace(session=s, selector="nobody") is None


def test_a_public_scenario_drawing_on_private_costs_is_left_out_of_the_financials(factory, demo):
    with factory.begin() as s:
        base = s.scalars(select(RevenueScenario).where(RevenueScenario.workspace_id == demo["id"],
                                                       RevenueScenario.private.is_(False))
                         .order_by(RevenueScenario.name)).first()
        spec = copy.deepcopy(base.spec)
        for part in [*spec["streams"], *spec["training"]]:
            if part.get("cost_scenario"):
                part["cost_scenario"] = PRIVATE_COST["name"]  # its margins would carry the private serving cost
        save_revenue_scenario(session=s, workspace_id=demo["id"], name="Base 00 on the bulk quote", spec=spec)
    with factory() as s:
        view = pitch_view(session=s, workspace_id=demo["id"], today=date(2026, 12, 1))
    text = _text(view.deck)
    assert "Scenario: Base case (illustrative)" in text and "Base 00 on the bulk quote" not in text
    assert any("Base 00 on the bulk quote" in w for w in view.warnings)
    assert not any(PRIVATE_COST["name"] in w for w in view.warnings)  # pitch mode shows the warnings


def _section(deck, key: str):
    return next(s for s in deck.sections if s.key == key)


def test_prices_read_as_a_price_list_and_competitors_as_a_table():
    deck = build_deck(PitchInputs(workspace="X", streams=[
        {"name": "API", "kind": "maas", "prices": {"price_per_m_input": 0.6, "price_per_m_output": 2.4,
                                                   "cached_price_factor": 0.1}},
        {"name": "App", "kind": "saas", "prices": {"Team price_per_seat": 49.0, "Pro price_per_seat": 89.0}},
        {"name": "Plan", "kind": "subscription", "prices": {"Basic price_monthly": 19.0}},
        {"name": "Deploy", "kind": "units", "prices": {"price_usd": 60_000.0}}],
        competitors=[{"name": "Big", "pricing": "per_token", "price_per_m_input": 2.5, "price_per_m_output": 10.0,
                      "quality": 62.0}, {"name": "Suite", "pricing": "per_seat", "price_per_seat_month": 250.0}]))
    prices = {row[0]: row[2] for row in _section(deck, "business_model").tables[0].rows}
    assert prices == {"API": "$0.60 in / $2.40 out per 1M tokens; cached input at 10% of the input price",
                      "App": "Team $49, Pro $89 per seat a month", "Plan": "Basic $19 a month",
                      "Deploy": "$60,000 a unit"}
    competitors = _section(deck, "competition").tables[0]
    assert [row[2] for row in competitors.rows] == ["$2.50 in / $10.00 out per 1M tokens", "$250 per seat a month"]
    assert competitors.rows[0][3] == "62" and competitors.rows[1][3] == ""


def test_unit_economics_is_one_row_per_metric_and_an_undefined_one_says_why():
    metrics = [{"month": m, "name": "burn multiple", "value": v, "unit": "ratio", "band": "< 1 amazing",
                "verdict": verdict} for m, v, verdict in ((11, 1.09, "great"),
                                                          (35, math.nan, "n/a: not burning (…)"))]
    table = _section(build_deck(PitchInputs(workspace="X", metrics=metrics)), "unit_economics").tables[0]
    assert table.columns == ["metric", "month 12", "month 36", "benchmark"]
    assert table.rows == [["burn multiple", "1.1×, great", "n/a: not burning (…)", "< 1 amazing"]]


def test_the_public_api_prices_are_one_line_with_their_range_and_medians():
    prices = [{"provider": "A", "model": "a", "input": 0.1, "output": 0.4, "as_of": "2025-09-05"},
              {"provider": "B", "model": "b", "input": 1.0, "output": 2.0, "as_of": "2025-09-05"},
              {"provider": "C", "model": "c", "input": 3.0, "output": 15.0, "as_of": "2025-09-05"}]
    deck = build_deck(PitchInputs(workspace="X", api_prices=prices, serving=[
        {"scenario": "S", "usd_per_m_input": 0.1, "usd_per_m_output": 1.2}]))
    lines = _section(deck, "traction").lines
    assert lines[-1] == ("- 3 public APIs' list prices as of 2025-09-05: output $0.40 (A a) to $15.00 (C c) per 1M "
                         "tokens; medians $1.00 in / $2.00 out")
