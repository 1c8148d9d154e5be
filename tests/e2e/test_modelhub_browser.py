"""Modelhub in a real browser: a training job started on the page runs in a worker process and the page
follows it to the end by polling the database."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from db.engine import make_engine, make_session_factory
from db.models_modelhub import ModelhubJob
from tests.e2e.test_browser import _goto, _settle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


@pytest.fixture(scope="module", autouse=True)
def _data_dir(tmp_path_factory):
    """Checkpoints and logs of the server's jobs go to a temporary folder (set before the server starts)."""
    old = os.environ.get("FOUNDERDECK_DATA_DIR")
    os.environ["FOUNDERDECK_DATA_DIR"] = str(tmp_path_factory.mktemp("modelhub-data"))
    yield
    if old is None:
        os.environ.pop("FOUNDERDECK_DATA_DIR")
    else:
        os.environ["FOUNDERDECK_DATA_DIR"] = old


def test_a_job_started_on_the_page_trains_and_the_page_shows_it_finish(app_server, page):
    _goto(page, app_server["base"], "Modelhub")
    page.get_by_role("tab", name="Train & benchmark").click()
    page.get_by_label("Settings (one key=value per line, optional)").fill("steps=30\neval_every=10\nthreads=1")
    page.get_by_role("button", name="Start job").click()
    _settle(page)
    page.get_by_text("succeeded, step 30 of 30").wait_for(timeout=180_000)  # drawn by the polling fragment
    assert page.locator("[data-testid='stException']").count() == 0
    with make_session_factory(make_engine(app_server["database_url"]))() as session:
        job = session.scalars(select(ModelhubJob)).one()
    assert (job.model_name, job.status, job.step) == ("mlp", "succeeded", 30)
    assert job.loss_curve and "test_accuracy" in job.metrics
