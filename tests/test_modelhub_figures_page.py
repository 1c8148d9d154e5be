"""Modelhub figures: drawn per kind (pages/_modelhub_figures.py), read back per model (db.views_modelhub), and
shown on the page's "What the models learned" tab and in a finished job's progress panel."""

from __future__ import annotations

import base64
import io
import json
import re

import numpy as np
import pytest
from PIL import Image

from db import modelhub_repo as repo
from db.views_modelhub import job_detail, modelhub_view, newest_figures, split_samples
from pages import _modelhub_figures as figures
from tests.helpers import open_page

RUN = {"config_name": "smoke", "device_name": "Test CPU", "device_type": "cpu", "precision": "fp32",
       "compiled": False, "params": 100, "flops_per_unit": 1000.0, "unit": "sample", "batch_units": 32,
       "units_per_second": 1000.0, "step_time_median": 0.032, "step_time_p10": 0.03, "step_time_p90": 0.04,
       "peak_source": "probe", "memory_source": "rss", "metric_name": "test_mean_iou", "metric_value": 0.5,
       "metrics": {}, "hardware": {"torch_threads": 1}, "versions": {}}
GREY = {"kind": "images", "title": "Digits drawn", "images": (np.arange(4 * 6 * 5).reshape(4, 6, 5) / 119).tolist(),
        "captions": ["zero", "one", "two", "three"]}
RGB = {"kind": "images", "title": "Masks", "images": np.full((2, 4, 4, 3), 0.5).tolist()}
HEATMAP = {"kind": "heatmap", "title": "Attention", "z": [[0.9, 0.1, 0.0], [0.2, 0.8, 0.0]], "x": ["the", "cat", "the"],
           "y": ["le", "chat"]}
LINES = {"kind": "lines", "title": "Loss", "x": [0, 1, 2],
         "series": {"train": [3.0, 2.0, None], "val": [3.1, 2.2, 2.0]}, "x_label": "step", "y_label": "loss (nats)"}
SCATTER = {"kind": "scatter", "title": "Latent space", "x": [0.0, 1.0, 2.0], "y": [1.0, 0.0, 1.0],
           "labels": [3, 7, 3]}


def _png(data_uri: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data_uri.split(",", 1)[1]))))


# -- drawing -----------------------------------------------------------------------------------------------------

def test_a_grey_grid_is_one_png_mosaic_with_a_caption_over_each_image():
    fig = figures.build(GREY)
    (image,) = fig.data
    mosaic = _png(image.source)
    tiles = (np.clip(np.asarray(GREY["images"]), 0, 1) * 255).round().astype(np.uint8)
    assert mosaic.ndim == 2  # one grey channel
    # Each image appears in the mosaic pixel for pixel (as 8-bit grey), somewhere.
    found = [any(np.array_equal(mosaic[r:r + 6, c:c + 5], t) for r in range(mosaic.shape[0] - 5)
                 for c in range(mosaic.shape[1] - 4)) for t in tiles]
    assert all(found)
    assert [a.text for a in fig.layout.annotations] == GREY["captions"]
    assert fig.layout.title.text == "Digits drawn"


def test_an_rgb_grid_keeps_its_colours_and_needs_no_captions():
    fig = figures.build(RGB)
    mosaic = _png(fig.data[0].source)
    assert mosaic.shape[-1] in (3, 4) and (mosaic[..., :3] == 128).any()
    assert not fig.layout.annotations


def test_a_heatmap_labels_each_row_and_column_by_position_even_when_words_repeat():
    fig = figures.build(HEATMAP)
    assert np.asarray(fig.data[0].z).shape == (2, 3)
    assert list(fig.layout.xaxis.ticktext) == ["the", "cat", "the"] and list(fig.layout.xaxis.tickvals) == [0, 1, 2]
    assert list(fig.layout.yaxis.ticktext) == ["le", "chat"]


def test_lines_have_one_trace_per_series_and_the_axis_labels():
    fig = figures.build(LINES)
    assert [t.name for t in fig.data] == ["train", "val"]
    assert np.isnan(fig.data[0].y[2])  # a missing value is a gap, not a zero
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == ("step", "loss (nats)")


def test_a_scatter_is_coloured_by_label():
    fig = figures.build(SCATTER)
    by_label = {t.name: list(t.x) for t in fig.data}
    assert by_label == {"3": [0.0, 2.0], "7": [1.0]}


@pytest.mark.parametrize(("figure", "message"), [
    ({"kind": "pie"}, "unknown kind 'pie'"),
    ("text", "unknown kind 'str'"),
    ({"kind": "images", "images": [[1, 2], [3, 4]]}, "images must be N×H×W or N×H×W×3, not 2×2"),
    ({**GREY, "captions": ["one"]}, "1 captions for 4 images"),
    ({"kind": "heatmap", "z": [[1, 2], [3]]}, "z must be rows of numbers"),
    ({**HEATMAP, "x": ["a"]}, "1 x labels for 3 columns"),
    ({**LINES, "series": {"train": [1.0]}}, "series 'train' has 1 values for 3 x values"),
    ({"kind": "lines", "x": [1]}, "lines need x and series"),
    ({**SCATTER, "labels": ["a"]}, "scatter needs x, y and labels of one length"),
])
def test_a_figure_that_cannot_be_drawn_says_why(figure, message):
    with pytest.raises(figures.FigureError, match=re.escape(message)):
        figures.build(figure)


# -- reading back ------------------------------------------------------------------------------------------------

def _run(factory, model, samples):
    with factory.begin() as s:
        return repo.add_run(session=s, values={**RUN, "model_name": model, "samples": samples}).id


def _succeeded_job(factory, model, samples):
    with factory.begin() as s:
        job = repo.create_job(session=s, kind="train", model_name=model, config_name="smoke")
        repo.start_job(session=s, job_id=job.id, pid=1, host="here")
        repo.finish_job(session=s, job_id=job.id, status="succeeded", samples=samples)
        return job.id


@pytest.mark.db
def test_the_newest_run_or_job_with_figures_is_read_per_model_and_text_stays_text(factory):
    assert split_samples(["a", LINES, "b"]) == (["a", "b"], [LINES])
    _run(factory, "fcn", [LINES])  # the oldest: passed over for the newer job's figures
    job = _succeeded_job(factory, "fcn", ["written", HEATMAP])
    _run(factory, "fcn", ["no figures this time"])  # newest, but drew nothing: the job's figures are shown
    _run(factory, "vae", [SCATTER])
    with factory() as s:
        drawn = newest_figures(session=s, model_name="fcn")
        assert (drawn.where, drawn.figures, drawn.label) == (f"job {job}", [HEATMAP], f"fcn (smoke config, job {job})")
        assert newest_figures(session=s, model_name="vae").figures == [SCATTER]
        assert newest_figures(session=s, model_name="mlp") is None
        detail = job_detail(session=s, job_id=job)
        assert (detail["samples"], detail["figures"]) == (["written"], [HEATMAP])
        view = modelhub_view(session=s)
    assert [text for _, text in view.samples] == ["written", "no figures this time"]  # figures never shown as text
    assert view.trained[:2] == ["vae", "fcn"]


# -- the page ----------------------------------------------------------------------------------------------------

def _charts(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def _titles(at) -> list[str]:
    return [c["layout"].get("title", {}).get("text", "") for c in _charts(at)]


@pytest.mark.usefixtures("navigation_only")
def test_the_page_draws_the_figures_of_a_stored_run_and_names_a_broken_one(app_db):
    _run(app_db["factory"], "fcn", ["<b>sample</b> text", GREY, RGB, HEATMAP, LINES, SCATTER,
                                    {"kind": "lines", "title": "Broken", "x": [0], "series": {"a": [1, 2]}}])
    at = open_page("pages/modelhub.py", app_db["demo"], timeout=90)
    assert at.selectbox(key="mh_figures_model").value == "fcn"  # the most recently measured model
    titles = _titles(at)
    for figure in (GREY, RGB, HEATMAP, LINES, SCATTER):
        assert figure["title"] in titles
    assert any("'Broken' cannot be drawn: series 'a' has 2 values for 1 x values" in w.value.replace("\\", "")
               for w in at.warning)
    assert any("From fcn (smoke config, benchmark run" in c.value.replace("\\", "") for c in at.caption)
    assert [c.value for c in at.code if "sample" in c.value] == ["<b>sample</b> text"]  # figures are not text
    at.selectbox(key="mh_figures_model").set_value("mlp").run()
    assert not at.exception
    assert not any(t in _titles(at) for t in ("Attention", "Loss"))
    assert any("No figures stored for mlp yet" in c.value.replace("\\", "") for c in at.caption)


@pytest.mark.usefixtures("navigation_only")
def test_a_finished_jobs_panel_shows_its_figures(app_db):
    job = _succeeded_job(app_db["factory"], "vae", ["a sample", {**LINES, "title": "Job's own curve"}])
    at = open_page("pages/modelhub.py", app_db["demo"], timeout=90)
    assert at.session_state["mh_active_job"] == job
    assert _titles(at).count("Job's own curve") == 2  # in the job's panel and on the figures tab
    assert any("What vae learned (1 figures)" in e.label for e in at.expander)
