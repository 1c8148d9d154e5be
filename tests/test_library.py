"""The Library's content: every citation exists and says what it is cited for, contradictions and errors are
flagged, search narrows by words (English or Chinese) and tags, FAQ links point at pages."""

from __future__ import annotations

import re
from datetime import date

import pytest

import app
from analytics.library import FLAG_KINDS, Citation, load_library, parse_library, search
from tests.conftest import ROOT
from tests.library_pages_harness import EXTRA_PAGES

SEEDS = ROOT.parent / "shared" / "seeds"
CJK = re.compile(r"[\u4e00-\u9fff]")
LIB = load_library()


@pytest.fixture(scope="module")
def seeds() -> dict[str, list[str]]:
    if not SEEDS.is_dir():
        pytest.skip(f"the source documents are not at {SEEDS}")
    files = {p.name[:3]: p.read_text(encoding="utf-8").split("\n") for p in SEEDS.glob("*.txt")}
    assert sorted(files) == ["000", "001", "002", "003", "004"]
    return files


def _text(seeds: dict[str, list[str]], cite: Citation) -> str:
    lines = seeds[cite.doc]
    assert 1 <= cite.first <= cite.last <= len(lines), f"{cite.short} is outside the {len(lines)}-line document"
    return "\n".join(lines[cite.first - 1:cite.last])


def test_every_citation_exists_and_holds_its_words(seeds):
    citations = LIB.citations()
    assert len(citations) > 150
    for owner, cite in citations:
        text = _text(seeds, cite)
        assert cite.quote in text, f"{owner}: {cite.short} does not contain {cite.quote!r}"
        # The cited words are Chinese wherever the lines are (code and English reference lists are not).
        assert CJK.search(cite.quote) or not CJK.search(text), f"{owner}: {cite.quote!r} is not the Chinese text"


def test_every_entry_carries_its_original_term_from_the_cited_lines(seeds):
    def found(term: str, cites) -> bool:
        return any(part.strip() in _text(seeds, c) for c in cites for part in term.split(" / "))

    for case in LIB.cases:
        assert found(case.zh, [v.cite for v in case.versions]), case.id
    for error in LIB.errors:
        assert found(error.zh, error.cites), error.id
    for checklist in LIB.checklists:
        assert CJK.search(checklist.zh), checklist.id
        for item in checklist.items:
            assert CJK.search(item.zh) and found(item.zh, [item.cite]), f"{checklist.id}/{item.id}"
    for entry in LIB.faq:
        assert found(entry.zh.rstrip("？"), [entry.cite]), entry.id


def test_the_cases_the_issue_names_are_all_there():
    ids = {c.id for c in LIB.cases}
    assert {"openai", "deepmind", "sensetime", "meta", "google", "microsoft", "ibm_watson", "doc000_language",
            "doc000_vision", "doc001_x", "doc001_y", "doc001_z", "doc002_a", "doc002_b", "doc002_c",
            "doc003_x"} <= ids
    assert len(ids) == len(LIB.cases), "case ids are unique"
    for case in LIB.cases:
        assert case.versions and all(v.what and v.business_model for v in case.versions), case.id
        assert all(f.kind in FLAG_KINDS and f.cites for f in case.flags), case.id


@pytest.mark.parametrize("case_id", ["doc002_a", "doc002_b", "doc002_c"])
def test_002s_three_versions_of_each_company_are_shown_and_flagged(case_id):
    case = next(c for c in LIB.cases if c.id == case_id)
    assert [v.label.split()[1] for v in case.versions] == ["V1", "V2", "V3"]
    assert {v.cite.doc for v in case.versions} == {"002"}
    # V1 is the short draft, V2 the regenerated appendix, V3 the rewritten one (002:L877 onwards).
    assert case.versions[0].cite.last < 275 < case.versions[1].cite.first < 877 < case.versions[2].cite.first
    assert case.contradicted
    flag = next(f for f in case.flags if f.kind == "contradiction")
    assert {c.first for c in flag.cites} & set(range(736, 770)) and {c.first for c in flag.cites} & set(range(879, 971))


def test_watson_is_a_failure_in_003_and_a_success_in_004_and_flagged():
    watson = next(c for c in LIB.cases if c.id == "ibm_watson")
    by_doc = {v.cite.doc: v for v in watson.versions}
    assert "failure" in by_doc["003"].label and "success" in by_doc["004"].label
    assert watson.outcome == "contested" and watson.contradicted
    flag = next(f for f in watson.flags if f.kind == "contradiction")
    assert {c.doc for c in flag.cites} == {"003", "004"}


def test_factual_errors_are_flagged_where_the_documents_make_them():
    errors = {e.id: e for e in LIB.errors}
    assert {c.short for c in errors["gpt_google"].cites} == {"002:L120", "002:L482", "004:L107"}
    imagenet = {c.short for c in errors["imagenet_model"].cites}
    assert {"002:L19", "002:L26", "002:L283", "002:L298"} <= imagenet
    assert "dataset" in errors["imagenet_model"].correct or "data set" in errors["imagenet_model"].correct
    assert len(errors) >= 10
    assert all(e.says and e.correct and e.cites for e in errors.values())
    # The same error is flagged on the case it concerns.
    google = next(c for c in LIB.cases if c.id == "google")
    assert any(f.kind == "error" and "GPT" in f.text for f in google.flags)


def _case_ids(result) -> list[str]:
    return [c.id for c in result.cases]


def test_search_narrows_by_every_word_in_english_or_chinese():
    assert search(LIB, "") is LIB
    assert _case_ids(search(LIB, "watson")) == ["ibm_watson"]
    assert _case_ids(search(LIB, "硅谷")) == ["doc002_a"]  # Silicon Valley, only in V3 of company A
    assert _case_ids(search(LIB, "002:L879")) == ["doc002_a"]  # a line reference finds the version it cites
    assert _case_ids(search(LIB, "watson 硅谷")) == []  # every word must match
    assert [e.id for e in search(LIB, "imagenet").errors] == ["imagenet_model"]
    maas = search(LIB, "MaaS")
    assert "doc002_a" in _case_ids(maas) and "doc002_c" not in _case_ids(maas)


def test_search_keeps_the_matching_checklist_items_and_faq():
    found = search(LIB, "审计")  # security audit
    assert [(c.id, [i.id for i in c.items]) for c in found.checklists] == [("privacy", ["audit"])]
    assert [f.id for f in found.faq] == ["privacy"]
    assert found.frameworks is LIB.frameworks


def test_search_by_tag_filters_cases_and_errors():
    healthcare = search(LIB, tags=["healthcare"])
    assert set(_case_ids(healthcare)) == {c.id for c in LIB.cases if "healthcare" in c.tags}
    assert "ibm_watson" in _case_ids(healthcare) and "openai" not in _case_ids(healthcare)
    assert [e.id for e in healthcare.errors] == ["watson_pretrained"]
    assert _case_ids(search(LIB, "watson", tags=["finance"])) == []


def test_checklists_have_unique_ids_and_name_an_unknown_one():
    assert [c.id for c in LIB.checklists] == ["privacy", "ip", "legal", "team", "sustainability", "resources",
                                             "tools"]
    for checklist in LIB.checklists:
        ids = [i.id for i in checklist.items]
        assert len(ids) == len(set(ids)) >= 5, checklist.id
        assert all(len(checklist.id) <= 60 and len(i) <= 80 for i in ids)  # the checklist_item columns
    with pytest.raises(KeyError, match="'nope' is not a Library checklist"):
        LIB.checklist("nope")
    with pytest.raises(KeyError, match="'nope' is not an item of checklist 'privacy'"):
        LIB.checklist_entry("privacy", "nope")


def test_faq_answers_link_to_pages_of_the_app():
    pages = {path for _s, path, _t, _i in app.PAGES} | {path for _s, path, _t, _i in EXTRA_PAGES}
    assert [f.id for f in LIB.faq] == ["algorithm", "privacy", "compute"]
    compute = next(f for f in LIB.faq if f.id == "compute")
    assert {"pages/compute_cost.py", "pages/modelhub.py"} <= {link.page for link in compute.links}
    for entry in LIB.faq:
        assert entry.answer and entry.links, entry.id
        for link in entry.links:
            assert link.page in pages and (ROOT / link.page).is_file(), link.page


def test_the_framework_comparison_is_003s_with_dated_facts_beside_it():
    fw = LIB.frameworks
    assert fw.cite.doc == "003" and (fw.cite.first, fw.cite.last) == (222, 238)
    assert {"Developer", "Programming model", "Deployment"} <= {r.aspect for r in fw.rows}
    for row in fw.rows:
        assert row.today and row.sources and date.fromisoformat(row.as_of) <= date.today()
    assert any("contradict" in r.get("flag", "").lower() for r in fw.doc000_rows)


def test_a_bad_flag_kind_in_the_data_is_refused():
    import json

    cases = json.loads((ROOT / "analytics/data/library_cases.json").read_text(encoding="utf-8"))
    reference = json.loads((ROOT / "analytics/data/library_reference.json").read_text(encoding="utf-8"))
    cases["cases"][0]["flags"][0]["kind"] = "rumour"
    with pytest.raises(ValueError, match="'rumour'"):
        parse_library(cases, reference)
