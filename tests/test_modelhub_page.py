"""Modelhub page: registry table, starting a job (the worker is not spawned here), cancel, resume, uploads,
results, errata."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from db import modelhub_repo as repo
from modelhub import jobs
from tests.helpers import open_page

pytestmark = pytest.mark.usefixtures("navigation_only")

RUN = {"model_name": "mlp", "config_name": "smoke", "device_name": "Test CPU", "device_type": "cpu",
       "precision": "fp32", "compiled": False, "params": 9610, "flops_per_unit": 40448.0, "unit": "sample",
       "batch_units": 32, "units_per_second": 1000.0, "step_time_median": 0.032, "step_time_p10": 0.03,
       "step_time_p90": 0.04, "achieved_flops": 4.0448e7, "peak_flops": 1e10, "peak_source": "probe", "mfu": 0.004,
       "peak_memory_bytes": 2**28, "memory_source": "rss", "metric_name": "test_accuracy", "metric_value": 0.93,
       "metrics": {}, "hardware": {"torch_threads": 1}, "versions": {}, "samples": ["<b>sample</b> text"]}


@pytest.fixture
def spawned(monkeypatch):
    """Record spawns instead of starting worker processes (the jobs tests run real ones)."""
    calls = []
    monkeypatch.setattr(jobs, "spawn", lambda factory, job_id: calls.append(job_id) or 0)
    return calls


def _open(app_db) -> AppTest:
    return open_page("pages/modelhub.py", app_db["demo"], timeout=90)


def _jobs(app_db):
    with app_db["factory"]() as s:
        return [(j.model_name, j.config_name, j.status, j.overrides) for j in repo.list_jobs(session=s)]


def test_registry_table_lists_every_model_with_its_source(app_db):
    at = _open(app_db)
    table = at.dataframe[0].value
    assert "mlp" in table["name"].tolist()
    assert table.set_index("name").loc["mlp", "source"] == "001 Appendix A, 001:L914-930"
    assert any("No jobs yet" in c.value for c in at.caption)


def test_start_form_queues_a_job_and_spawns_its_worker(app_db, spawned):
    at = _open(app_db)
    at.selectbox(key="mh_model").set_value("mlp")
    at.selectbox(key="mh_config").set_value("smoke")
    at.text_area(key="mh_settings").input("steps=7\nlr=0.01")
    at.button(key="FormSubmitter:mh_start-Start job").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _jobs(app_db) == [("mlp", "smoke", "queued", {"steps": "7", "lr": "0.01"})]
    assert len(spawned) == 1
    assert any("Started train job" in s.value for s in at.success)


def test_bad_settings_are_refused_with_the_key_and_nothing_is_queued(app_db, spawned):
    at = _open(app_db)
    at.text_area(key="mh_settings").input("steps=lots")
    at.button(key="FormSubmitter:mh_start-Start job").click().run()
    assert "steps must be a whole number" in at.error[0].value
    assert _jobs(app_db) == [] and spawned == []


def test_cancel_button_cancels_the_followed_job(app_db, spawned):
    job_id = jobs.submit(app_db["factory"], kind="train", model_name="mlp", config_name="smoke")
    at = _open(app_db)
    at.button(key=f"mh_cancel_{job_id}").click().run()
    assert not at.exception
    assert _jobs(app_db)[0][2] == "cancelled"


def test_results_show_runs_samples_escaped_and_the_last_result_in_the_registry(app_db):
    with app_db["factory"].begin() as s:
        repo.add_run(session=s, values=RUN)
    at = _open(app_db)
    registry = at.dataframe[0].value.set_index("name")
    assert registry.loc["mlp", "last_result"] == pytest.approx(0.93) and registry.loc["mlp", "params"] == 9610
    runs = next(d.value for d in at.dataframe if "mfu_pct" in d.value.columns)
    assert runs.loc[0, "mfu_pct"] == pytest.approx(0.4) and runs.loc[0, "step_ms"] == pytest.approx(32)
    assert any(c.value == "<b>sample</b> text" for c in at.code)  # shown as code, never as HTML


def test_errata_tab_shows_each_as_written_entry_beside_its_correction(app_db):
    from modelhub import registry

    written = [e for e in registry.entries() if e.as_written_of]
    at = _open(app_db)
    headers = [h.value for h in at.subheader]
    for entry in written:
        assert any(entry.as_written_of in h and "as written vs corrected" in h for h in headers)


def test_registry_counts_parameters_before_any_run_and_leaves_fitted_models_blank(app_db):
    from modelhub import registry

    table = _open(app_db).dataframe[0].value.set_index("name")
    assert table.loc["mlp", "params"] == registry.parameter_estimate("mlp") == 9_610
    assert table.loc["lstm_as_written", "params"] == 16_199_680  # the Keras count, built on the meta device
    assert pd.isna(table.loc["naive_bayes", "params"])  # its parameters exist only once fitted


def test_resume_button_starts_a_new_job_from_the_failed_jobs_checkpoint(app_db, spawned, tmp_path):
    factory = app_db["factory"]
    job_id = jobs.submit(factory, kind="train", model_name="mlp", config_name="smoke")
    checkpoint = tmp_path / "job.pt"
    checkpoint.write_bytes(b"checkpoint")  # resume only checks that it exists; the worker (not run) reads it
    with factory.begin() as s:
        repo.start_job(session=s, job_id=job_id, pid=1, host="elsewhere")
        repo.record_progress(session=s, job_id=job_id, step=10, total_steps=20, checkpoint_path=str(checkpoint),
                             checkpoint_step=10)
        repo.finish_job(session=s, job_id=job_id, status="failed", error="killed")
    at = _open(app_db)
    at.button(key=f"mh_resume_{job_id}").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with factory() as s:
        (new, old) = repo.list_jobs(session=s)
        assert (new.resumed_from_id, new.status, new.kind, new.model_name) == (job_id, "queued", "train", "mlp")
        assert old.status == "failed"  # the old job keeps its verdict
    assert spawned == [job_id, new.id] and at.session_state["mh_active_job"] == new.id


def test_a_csv_upload_is_checked_stored_and_named_for_the_settings(app_db, tmp_path, monkeypatch):
    monkeypatch.setenv("FOUNDERDECK_DATA_DIR", str(tmp_path / "data"))
    at = _open(app_db)
    at.radio(key="mh_upload_kind").set_value("csv")
    blob = b"text,label\nfirst text,a\nsecond text,b\nthird text,a\nfourth text,b\n"
    at.file_uploader(key="mh_upload").set_value(("mine.csv", blob, "text/csv"))
    at.run()
    at.button(key="mh_store").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (code,) = [c.value for c in at.code if c.value.startswith("dataset=upload:csv:")]
    digest = code.rsplit(":", 1)[1]
    assert [p.name for p in (tmp_path / "data" / "uploads").iterdir()] == [f"{digest}.csv"]


def test_a_refused_upload_says_why_and_stores_nothing(app_db, tmp_path, monkeypatch):
    monkeypatch.setenv("FOUNDERDECK_DATA_DIR", str(tmp_path / "data"))
    at = _open(app_db)
    at.radio(key="mh_upload_kind").set_value("csv")
    at.file_uploader(key="mh_upload").set_value(("bad.csv", b"words,class\nx,y\n", "text/csv"))
    at.run()
    at.button(key="mh_store").click().run()
    # Shown inert (plain() escapes Markdown), so compare without the escapes.
    assert any("the columns 'text' and 'label'" in e.value.replace("\\", "") for e in at.error)
    assert not any(c.value.startswith("dataset=") for c in at.code)
    assert not (tmp_path / "data" / "uploads").exists() or not any((tmp_path / "data" / "uploads").iterdir())


def test_results_offer_both_exports_only_once_runs_are_stored(app_db):
    at = _open(app_db)
    assert at.get("download_button") == []
    with app_db["factory"].begin() as s:
        repo.add_run(session=s, values=RUN)
    at = _open(app_db)
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == ["Export CSV", "Export JSON"]
    assert not at.exception
