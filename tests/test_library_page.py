"""The Library page in AppTest: it renders every case with its flags, search narrows it, a tick is saved in the
workspace and is still there on the next run and in a new session, and the FAQ links to the app's pages."""

from __future__ import annotations

import pytest

from analytics.library import load_library
from db.checklists import checklist_state
from tests.library_pages_harness import open_page

pytestmark = pytest.mark.usefixtures("navigation_only")
LIB = load_library()


def _open(app_db, tmp_path, which: str = "demo"):
    return open_page("pages/library.py", app_db[which], tmp_path / "harness")


def _case_labels(at) -> list[str]:
    """Case expanders end with the case's outcome (error expanders do not)."""
    endings = ("· success", "· failure", "the documents disagree", "· example")
    return [e.label.replace("\\", "") for e in at.expander if e.label.replace("\\", "").endswith(endings)]


def _stored(app_db, which: str = "demo"):
    with app_db["factory"]() as s:
        return checklist_state(session=s, workspace_id=app_db[which])


def test_the_page_renders_every_case_with_its_flags(app_db, tmp_path):
    at = _open(app_db, tmp_path)
    assert [t.value for t in at.title] == ["Library"]
    assert not at.error
    assert len(_case_labels(at)) == len(LIB.cases)
    warnings = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "Contradiction" in warnings and "Francisco Partners" in warnings  # Watson: 003 vs 004
    assert "GPT (2018) and GPT-3 (2020) are OpenAI's" in warnings
    checkbox_count = sum(len(c.items) for c in LIB.checklists)
    assert len([c for c in at.checkbox if c.key and c.key.startswith("chk_")]) == checkbox_count


def test_search_narrows_the_cases(app_db, tmp_path):
    at = _open(app_db, tmp_path)
    at.text_input(key="library_search").input("Watson").run()
    assert not at.exception
    labels = _case_labels(at)
    assert len(labels) == 1 and "Watson" in labels[0]
    assert any("entries match" in c.value for c in at.caption)
    at.text_input(key="library_search").input("no-such-term-anywhere").run()
    assert _case_labels(at) == [] and "Nothing in the documents matches" in at.info[0].value


def test_a_tick_is_saved_and_survives_reruns_and_new_sessions(app_db, tmp_path):
    key = f"chk_{app_db['demo']}_privacy_encrypt"
    at = _open(app_db, tmp_path)
    assert at.checkbox(key=key).value is False
    at.checkbox(key=key).check().run()
    assert not at.exception and not at.error
    assert _stored(app_db)[("privacy", "encrypt")].done is True
    at.run()  # a plain rerun reads it back
    assert at.checkbox(key=key).value is True
    assert any("1 of 7 done" in p.proto.text for p in at.get("progress"))
    fresh = _open(app_db, tmp_path)  # a new browser session
    assert fresh.checkbox(key=key).value is True
    fresh.checkbox(key=key).uncheck().run()
    assert _stored(app_db)[("privacy", "encrypt")].done is False
    # The other workspace never saw it.
    assert ("privacy", "encrypt") not in _stored(app_db, "empty")


def test_a_note_is_saved_with_the_item(app_db, tmp_path):
    at = _open(app_db, tmp_path, "empty")
    at.text_input(key=f"note_{app_db['empty']}_ip_patent_search").input("Searched CNIPA, Nov 2026").run()
    state = _stored(app_db, "empty")[("ip", "patent_search")]
    assert (state.done, state.note) == (False, "Searched CNIPA, Nov 2026")


def test_the_faq_links_to_the_cost_engine_and_the_modelhub(app_db, tmp_path):
    at = _open(app_db, tmp_path)
    labels = [link.value for link in at.page_link]
    assert "Compute cost: GPU-hours, $ and break-even" in labels
    assert "Modelhub: measured MFU, throughput and compression" in labels
    assert len(labels) == sum(len(f.links) for f in LIB.faq)
