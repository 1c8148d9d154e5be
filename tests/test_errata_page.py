"""The Errata page in AppTest: one expander per erratum with its recomputation table and modelhub links; the
GAN inputs recompute the tables."""

from __future__ import annotations

import math

import pytest

from analytics.errata import errata
from tests.library_pages_harness import open_page

pytestmark = pytest.mark.usefixtures("navigation_only")


def _open(app_db, tmp_path):
    return open_page("pages/errata.py", app_db["demo"], tmp_path / "harness")


def _expander(at, title_start: str):
    return next(e for e in at.expander if e.label.replace("\\", "").startswith(title_start))


def test_one_expander_and_table_per_erratum(app_db, tmp_path):
    at = _open(app_db, tmp_path)
    assert [t.value for t in at.title] == ["Errata"] and not at.error
    items = errata()
    labels = [e.label.replace("\\", "") for e in at.expander]
    for erratum in items:
        assert sum(label.startswith(erratum.title) for label in labels) == 1, erratum.title
    assert len(at.dataframe) == len(items)
    lstm = _expander(at, "\"Transformer\" text generator")
    assert "lstm_as_written" in " ".join(m.value for m in lstm.markdown)
    assert lstm.get("page_link")  # to the Modelhub


def test_the_gan_inputs_recompute_the_generator_table(app_db, tmp_path):
    at = _open(app_db, tmp_path)
    table = _expander(at, "GAN generator loss example").dataframe[0].value
    assert table.loc[table["log base"] == "ln", "−log D(G(z))"].iloc[0] == pytest.approx(-math.log(0.9))
    at.number_input(key="errata_d_fake").set_value(0.5).run()
    assert not at.exception
    table = _expander(at, "GAN generator loss example").dataframe[0].value
    assert table.loc[table["log base"] == "log2", "−log D(G(z))"].iloc[0] == pytest.approx(1.0)
