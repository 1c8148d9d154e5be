"""Read-only pitch mode: app.py serves only the pitch of one workspace, reaches no other page and writes nothing."""

from __future__ import annotations

import sys

import pytest
from streamlit.testing.v1 import AppTest

import app
from analytics.pitch import SECTIONS
from pages._pitch_mode import MODE_ENV, WORKSPACE_ENV
from tests.conftest import ROOT
from tests.helpers import table_dump

pytestmark = pytest.mark.usefixtures("navigation_only")
OTHER_PAGES = [path for _s, path, _t, _i in app.PAGES if path != "pages/pitch.py"]


def _pitch_app(app_db, monkeypatch, *, how: str = "env", workspace: str | None = None) -> AppTest:
    if how == "env":
        monkeypatch.setenv(MODE_ENV, "1")
    else:  # as `streamlit run app.py -- --pitch` leaves it
        monkeypatch.setattr(sys, "argv", ["app.py", "--pitch"])
    if workspace is not None:
        monkeypatch.setenv(WORKSPACE_ENV, workspace)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _section_titles(at: AppTest) -> list[str]:
    return [h.value for h in at.subheader]


@pytest.mark.parametrize("how", ["env", "argv"])
def test_only_the_pitch_is_served_with_no_navigation_and_no_form(app_db, monkeypatch, how):
    at = _pitch_app(app_db, monkeypatch, how=how)
    assert _section_titles(at) == [title for _k, title in SECTIONS]  # the deck, and no "Narrative" heading
    assert "Lexora" in at.title[0].value
    assert not at.sidebar.children, "no sidebar: no workspace picker, settings or new-workspace form"
    assert not at.text_area and not at.number_input and not at.multiselect and not at.button
    assert [b.proto.label for b in at.get("download_button")] == ["Download HTML", "Download PDF"]


def test_the_other_pages_cannot_be_reached(app_db, monkeypatch):
    at = _pitch_app(app_db, monkeypatch)
    for page in OTHER_PAGES:
        # The router registers the pitch page only, so no other page exists to switch to (the browser test
        # checks the real server: a deep link to another page's URL shows the pitch).
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)
    at.run()
    assert _section_titles(at) == [title for _k, title in SECTIONS] and not at.sidebar.children


def test_nothing_is_written(app_db, monkeypatch):
    monkeypatch.setenv(MODE_ENV, "1")
    before = table_dump(app_db["factory"])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    at.get("download_button")  # the downloads are built on click and write nothing either
    at.run()
    assert not at.exception
    assert table_dump(app_db["factory"]) == before


def test_workspace_chosen_by_name_or_id_and_an_unknown_one_refused(app_db, monkeypatch):
    at = _pitch_app(app_db, monkeypatch, workspace="Empty Co")
    assert "Empty Co" in at.title[0].value
    assert any(c.value.replace("\\", "").startswith("missing: the problem") for c in at.caption)
    monkeypatch.setenv(WORKSPACE_ENV, str(app_db["demo"]))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    assert "Lexora" in at.title[0].value
    monkeypatch.setenv(WORKSPACE_ENV, "No such company")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    assert "No such company" in at.error[0].value and not at.subheader
