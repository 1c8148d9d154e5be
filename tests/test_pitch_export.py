"""The export leak test and the self-contained HTML: no internal value of the demo in the HTML or the PDF.

The PDF is printed by Chromium from the very HTML checked here (``html_to_pdf(deck_html(deck))``, what the
page's PDF button runs), with every network request refused. Chromium writes text as subset-font glyph ids,
which cannot be read back without a PDF library (pypdf is not installed), so the PDF's text is covered by
checking the HTML it was printed from; its decompressed streams are still searched for any private string
written as plain bytes (metadata, link targets, …).
"""

from __future__ import annotations

import re
import zlib
from datetime import date
from html import unescape
from pathlib import Path

import plotly.offline
import pytest

from analytics.pdf_print import CHROMIUM, html_to_pdf
from analytics.pitch import SECTIONS
from analytics.pitch_export import deck_html
from db.demo import create_demo_workspace
from db.views_pitch import pitch_view
from tests.pitch_private_data import add_private_data, salary_forms

PLOTLY_JS = plotly.offline.get_plotlyjs()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The demo workspace with private data added, its deck exported as HTML (and the values to look for)."""
    from db.engine import make_engine, make_session_factory
    from db.models import Base

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('pitch') / 'pitch.db'}")
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    with factory.begin() as s:
        ws = create_demo_workspace(session=s, today=date(2026, 12, 1)).id
        private = add_private_data(s, ws)
    with factory() as s:
        deck = pitch_view(session=s, workspace_id=ws, today=date(2026, 12, 1)).deck
    engine.dispose()
    return {"deck": deck, "html": deck_html(deck), "private": private}


def _parts(document: str) -> tuple[str, str, list[float]]:
    """(the HTML without plotly's library, its visible text, every number in the charts' data)."""
    assert document.count(PLOTLY_JS) == 1, "plotly.js is inlined exactly once"
    rest = document.replace(PLOTLY_JS, "")
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", rest, flags=re.S)
    visible = unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<script[^>]*>.*?</script>|<style>.*?</style>", " ", rest,
                                                      flags=re.S)))
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?", " ".join(scripts))]
    return rest, visible, numbers


def _number_in(text: str, form: str) -> bool:
    """``form`` as a whole number in ``text`` (not the middle of a longer one: 1,234 is not in 21,234.5)."""
    return re.search(rf"(?<![\d.,]){re.escape(form)}(?![\d]|[.,]\d)", text) is not None


def test_html_leaks_no_private_value(exported):
    rest, visible, numbers = _parts(exported["html"])
    private = exported["private"]
    for text in private.texts:  # names and titles, raw or escaped, anywhere outside plotly's own code
        assert text not in rest and text not in visible, text
    for salary in private.salaries:
        for form in salary_forms(salary):
            assert not _number_in(visible, form), form
        assert all(abs(n - salary) > 0.005 for n in numbers), salary
    for figure in private.numbers:
        for form in {f"{figure:g}", f"{figure:,.2f}", f"{figure:.2f}", f"{figure:,.0f}", f"{figure:.0f}"}:
            if figure >= 1000 or "." in form:  # "0" is not a leak of 0.43
                assert not _number_in(visible, form), (figure, form)
        assert all(abs(n - figure) > 1e-9 * max(1.0, figure) for n in numbers), figure


def test_html_is_self_contained_and_complete(exported):
    rest, visible, _numbers = _parts(exported["html"])
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", rest), "no external resource"
    assert "http://" not in rest and "https://" not in rest and "@import" not in rest
    for _key, title in SECTIONS:
        assert f"<h2>{title.replace('&', '&amp;')}</h2>" in rest
    assert rest.count('class="plotly-graph-div') == len(exported["deck"].charts) == 3
    assert "Mei Chen" in visible and "illustrative" in visible


def test_user_text_is_escaped():
    from analytics.pitch import PitchInputs, build_deck

    deck = build_deck(PitchInputs(workspace="<b>Co</b>", narrative={"problem": "<script>alert(1)</script> & co"}))
    document = deck_html(deck)
    assert "<script>alert(1)" not in document and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in document
    assert "<title>&lt;b&gt;Co&lt;/b&gt; — pitch</title>" in document


def _pdf_streams(pdf: bytes) -> bytes:
    out = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, flags=re.S):
        try:
            out.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue  # images and fonts in other encodings
    return b"\n".join(out)


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium not installed")
def test_pdf_printed_from_the_checked_html_leaks_nothing(exported):
    pdf = html_to_pdf(exported["html"])
    assert pdf.startswith(b"%PDF-") and len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 3
    raw = _pdf_streams(pdf)
    for text in exported["private"].texts:
        assert text.encode() not in raw, text
    for salary in exported["private"].salaries:
        for form in salary_forms(salary):
            assert form.encode() not in raw, form
