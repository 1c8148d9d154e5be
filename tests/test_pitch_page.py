"""AppTest of the Pitch page: the deck in order, the downloads, the narrative form saved through the repository."""

from __future__ import annotations

import pytest

from analytics.pitch import SECTIONS
from db.pitch import load_pitch, save_pitch
from tests.helpers import open_page, table_counts

pytestmark = pytest.mark.usefixtures("navigation_only")
PAGE = "pages/pitch.py"


def test_deck_sections_in_order_with_charts_and_downloads(app_db):
    at = open_page(PAGE, app_db["demo"])
    assert [h.value for h in at.subheader][: len(SECTIONS)] == [title for _k, title in SECTIONS]
    assert "illustrative" in at.info[0].value
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download HTML", "Download PDF"]
    assert len(at.get("plotly_chart")) == 3  # market sizing, revenue and cash, use of funds
    text = " ".join(m.value for m in at.markdown)
    assert "Mei Chen" in text and "CEO" in text


def test_empty_workspace_says_what_is_missing(app_db):
    at = open_page(PAGE, app_db["empty"])
    captions = [c.value for c in at.caption if c.value.startswith("missing")]
    assert len(captions) == len(SECTIONS)  # an empty workspace has nothing for any section
    assert any("the problem" in c for c in captions) and any("Market" in c for c in captions)


def test_narrative_form_saves_through_the_repository(app_db):
    at = open_page(PAGE, app_db["empty"])
    nonce = f"{app_db['empty']}_0"
    at.text_area(key=f"pitch_problem_{nonce}").input("Contracts take weeks")
    at.number_input(key=f"pitch_ask_{nonce}").set_value(2_000_000.0)
    for key, share in (("rd", 60.0), ("marketing", 30.0), ("operations", 10.0)):
        at.number_input(key=f"pitch_use_{key}_{nonce}").set_value(share)
    at.button(key=f"FormSubmitter:pitch_narrative_{nonce}-Save narrative").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with app_db["factory"]() as s:
        stored = load_pitch(session=s, workspace_id=app_db["empty"]).content
    assert stored["problem"] == "Contracts take weeks" and stored["ask_usd"] == 2_000_000.0
    assert stored["use_of_funds"] == pytest.approx({"rd": 0.6, "marketing": 0.3, "operations": 0.1})
    assert any(m.value == "Contracts take weeks" for m in at.markdown)  # the deck shows it on the rerun


def test_bad_split_is_refused_naming_the_field_and_writes_nothing(app_db):
    at = open_page(PAGE, app_db["empty"])
    nonce = f"{app_db['empty']}_0"
    at.number_input(key=f"pitch_use_rd_{nonce}").set_value(80.0)
    at.number_input(key=f"pitch_use_marketing_{nonce}").set_value(40.0)
    before = table_counts(app_db["factory"])
    at.button(key=f"FormSubmitter:pitch_narrative_{nonce}-Save narrative").click().run()
    assert "use_of_funds" in at.error[0].value.replace("\\", "")
    assert table_counts(app_db["factory"]) == before


def test_save_against_a_changed_narrative_is_refused(app_db):
    at = open_page(PAGE, app_db["empty"])
    with app_db["factory"].begin() as s:  # someone else saves first
        save_pitch(session=s, workspace_id=app_db["empty"], content={"problem": "theirs"})
    nonce = f"{app_db['empty']}_0"
    at.text_area(key=f"pitch_problem_{nonce}").input("mine")
    at.button(key=f"FormSubmitter:pitch_narrative_{nonce}-Save narrative").click().run()
    assert at.error, "a stale save is refused"
    with app_db["factory"]() as s:
        assert load_pitch(session=s, workspace_id=app_db["empty"]).content["problem"] == "theirs"
