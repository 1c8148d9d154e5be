"""Jobs store the figures their models draw beside the text samples; a broken or oversized figure is logged and
left out, never failing the job (modelhub.worker, modelhub.figure_store)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from db import modelhub_repo as repo
from modelhub import figure_store, jobs, registry
from modelhub.worker import run_job

pytestmark = pytest.mark.db


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FOUNDERDECK_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _finished(factory, model, config="smoke", **overrides):
    job_id = jobs.submit(factory, kind="train", model_name=model, config_name=config,
                         overrides={"threads": 1, **overrides}, start=False)
    code = run_job(factory, job_id)
    with factory() as s:
        job = repo.get_job(session=s, job_id=job_id)
        s.expunge(job)
    return code, job


def _recipe_class(model):
    return type(registry.create(model, "smoke", threads=1))


def test_a_fit_job_stores_the_figures_its_model_draws(factory):
    code, job = _finished(factory, "gradient_descent")
    assert code == 0 and job.status == "succeeded"
    # The same model fitted here draws the same (seeded) figures, as the worker stores them.
    expected = figure_store.checked_figures(registry.create("gradient_descent", "smoke", threads=1).fit().figures(),
                                            log=pytest.fail)
    assert expected and job.samples == expected
    assert [f["kind"] for f in job.samples] == [f["kind"] for f in expected]
    assert "not stored" not in job.log_tail


def test_a_torch_job_stores_image_figures_after_its_text_samples(factory):
    code, job = _finished(factory, "fcn")
    assert code == 0 and job.status == "succeeded"
    texts = [s for s in job.samples if isinstance(s, str)]
    figures = [s for s in job.samples if isinstance(s, dict)]
    assert job.samples == [*texts, *figures]  # text first, as the page reads them
    (grid,) = [f for f in figures if f["kind"] == "images"]
    pixels = np.asarray(grid["images"])
    assert pixels.ndim == 4 and pixels.shape[-1] == 3 and pixels.min() >= 0 and pixels.max() <= 1
    assert len(grid["captions"]) == len(pixels)


def test_a_raising_figures_method_is_logged_and_the_job_still_succeeds(factory, monkeypatch):
    def broken(self):
        raise RuntimeError("no canvas")

    monkeypatch.setattr(_recipe_class("gradient_descent"), "figures", broken)
    code, job = _finished(factory, "gradient_descent")
    assert code == 0 and job.status == "succeeded" and job.error is None
    assert job.samples == []  # this model writes no text, and its figures failed
    assert "figures not stored: figures() raised RuntimeError: no canvas" in job.log_tail
    assert registry.get("gradient_descent").metric in job.metrics  # the fit's metrics are kept


def test_a_torch_recipe_whose_figures_cannot_be_stored_keeps_the_good_ones(factory, monkeypatch):
    good = {"kind": "lines", "title": "ok", "x": [0, 1], "series": {"loss": [2.0, float("nan")]}}
    figures = [good, {"kind": "lines", "title": "bad", "x": [object()], "series": {}},
               {"kind": "pie", "title": "unknown"}, "not a figure",
               {"kind": "heatmap", "title": "huge", "z": [[0.123456] * 1000] * 200}]
    monkeypatch.setattr(_recipe_class("fcn"), "figures", lambda self, model: figures)
    code, job = _finished(factory, "fcn")
    assert code == 0 and job.status == "succeeded"
    assert [s for s in job.samples if isinstance(s, dict)] == [
        {"kind": "lines", "title": "ok", "x": [0, 1], "series": {"loss": [2.0, None]}}]  # NaN stored as null
    log = job.log_tail
    assert "figure 2 ('bad') not stored: object is not JSON" in log
    assert "figure 3 ('unknown') not stored: not a figure (kind 'pie'" in log
    assert "figure 4 not stored: not a figure (kind 'str'" in log
    assert "figure 5 ('huge') not stored:" in log and "over the 1,000,000-byte limit" in log


def test_clean_makes_numpy_and_non_finite_values_plain_json():
    value = {"z": np.array([[0.5, np.inf], [np.nan, 1 / 3]]), "n": np.int64(3), "t": (1, 2), 4: np.float32(2.5)}
    out = figure_store.clean(value)
    assert out == {"z": [[0.5, None], [None, 0.3333]], "n": 3, "t": [1, 2], "4": 2.5}
    json.dumps(out, allow_nan=False)  # PostgreSQL's JSON refuses NaN: none is left
    assert figure_store.clean(1e-17) == 1e-17 and figure_store.clean(True) is True
    with pytest.raises(TypeError, match="set is not JSON"):
        figure_store.clean({"x": {1, 2}})


def test_the_figures_together_are_capped_too():
    notes: list[str] = []
    one = {"kind": "heatmap", "title": "", "z": [[0.1234] * 1000] * 120}  # ~0.84 MB of JSON each
    size = len(json.dumps(one))
    kept = figure_store.checked_figures([one] * 6, notes.append)
    assert len(kept) == figure_store.MAX_TOTAL_BYTES // size == 4
    assert len(notes) == 2 and all("would pass 4,000,000 bytes" in n for n in notes)


def test_checked_samples_keeps_text_and_checks_figures():
    notes: list[str] = []
    samples = ["a text", {"kind": "scatter", "title": "s", "x": [1.0], "y": [math.pi], "labels": ["a"]}, 3]
    assert figure_store.checked_samples(samples, notes.append) == [
        "a text", {"kind": "scatter", "title": "s", "x": [1.0], "y": [3.142], "labels": ["a"]}]
    assert notes == ["figure 2 not stored: not a figure (kind 'int'; expected one of images, heatmap, lines, "
                     "scatter)"]


def test_a_text_models_job_stores_its_texts_as_before(factory):
    code, job = _finished(factory, "gpt", steps=2, eval_every=2)
    assert code == 0 and len(job.samples) == 2 and all(isinstance(s, str) and s for s in job.samples)
