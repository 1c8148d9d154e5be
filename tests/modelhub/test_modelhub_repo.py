"""Job and benchmark-run repositories: state only moves forward, bad figures are refused, exports round-trip."""

from __future__ import annotations

import csv
import io
import json

import pytest

from db import modelhub_repo as repo
from db.validation import ValidationError

pytestmark = pytest.mark.db

RUN = {"model_name": "mlp", "config_name": "smoke", "device_name": "Test CPU", "device_type": "cpu",
       "precision": "fp32", "compiled": False, "params": 9610, "flops_per_unit": 40448.0, "unit": "sample",
       "batch_units": 32, "units_per_second": 1000.0, "step_time_median": 0.032, "step_time_p10": 0.03,
       "step_time_p90": 0.04, "achieved_flops": 4.0448e7, "peak_flops": 1e10, "peak_source": "probe",
       "mfu": 0.0040448, "peak_memory_bytes": 5 * 2**30, "memory_source": "rss", "metric_name": "test_accuracy",
       "metric_value": 0.97, "metrics": {"test_accuracy": 0.97}, "hardware": {"device_count": 1},
       "versions": {"torch": "2.13"}, "git_commit": "abc", "samples": [], "not_a_column": 1}


def test_a_finished_job_keeps_its_first_verdict_and_ignores_late_progress(factory):
    with factory.begin() as s:
        job = repo.create_job(session=s, kind="train", model_name="mlp")
        repo.start_job(session=s, job_id=job.id, pid=123)
        repo.finish_job(session=s, job_id=job.id, status="cancelled", error="by user")
        repo.finish_job(session=s, job_id=job.id, status="failed", error="late")
        assert repo.record_progress(session=s, job_id=job.id, step=5, total_steps=10) is None
        assert repo.heartbeat(session=s, job_id=job.id) is False
        assert (job.status, job.error, job.step) == ("cancelled", "by user", 0)
        with pytest.raises(ValidationError, match="already cancelled"):
            repo.start_job(session=s, job_id=job.id, pid=1)


def test_progress_thins_a_long_loss_curve_and_keeps_the_last_point(factory):
    with factory.begin() as s:
        job = repo.create_job(session=s, kind="train", model_name="mlp")
        for start in range(0, 1200, 100):
            repo.record_progress(session=s, job_id=job.id, step=start + 100, total_steps=1200,
                                 losses=[(i + 1, 1.0 / (i + 1)) for i in range(start, start + 100)])
        assert len(job.loss_curve) <= repo.MAX_CURVE_POINTS and job.loss_curve[-1][0] == 1200
        assert job.progress == 1.0


def test_progress_drops_non_finite_losses(factory):
    with factory.begin() as s:
        job = repo.create_job(session=s, kind="train", model_name="mlp")
        repo.record_progress(session=s, job_id=job.id, step=2, total_steps=4, losses=[(1, float("nan")), (2, 0.5)])
        assert job.loss_curve == [[2, 0.5]]


@pytest.mark.parametrize(("field", "value"), [("unit", "pixel"), ("units_per_second", 0.0),
                                              ("step_time_median", float("inf")), ("mfu", -0.1)])
def test_a_run_with_a_bad_figure_is_refused_by_name(factory, field, value):
    with factory() as s:
        with pytest.raises(ValidationError, match=field):
            repo.add_run(session=s, values={**RUN, field: value})
        assert repo.list_runs(session=s) == []


def test_runs_export_as_csv_and_json_with_every_column(factory):
    with factory.begin() as s:
        repo.add_run(session=s, values=RUN)
        repo.add_run(session=s, values={**RUN, "model_name": "lenet", "mfu": None})
    with factory() as s:
        rows = list(csv.DictReader(io.StringIO(repo.export_runs(session=s, fmt="csv"))))
        data = json.loads(repo.export_runs(session=s, fmt="json"))
        with pytest.raises(ValidationError, match="format"):
            repo.export_runs(session=s, fmt="xml")
    assert [r["model_name"] for r in rows] == ["mlp", "lenet"] and rows[1]["mfu"] == ""
    assert json.loads(rows[0]["metrics"]) == {"test_accuracy": 0.97}
    assert data[0]["params"] == 9610 and data[0]["peak_memory_bytes"] == 5 * 2**30 and data[1]["mfu"] is None


def test_unknown_job_and_kind_are_refused(factory):
    with factory() as s:
        with pytest.raises(ValidationError, match="no such job"):
            repo.get_job(session=s, job_id=99)
        with pytest.raises(ValidationError, match="kind"):
            repo.create_job(session=s, kind="dance", model_name="mlp")


def test_runs_export_for_a_download_button_reads_the_runs_stored_when_pressed(factory):
    from db.views_modelhub import runs_export

    build_csv, build_json = runs_export(factory=factory, fmt="csv"), runs_export(factory=factory, fmt="json")
    with factory.begin() as s:  # stored after the callables were made (the page ran) but before the press
        repo.add_run(session=s, values=RUN)
    with factory() as s:
        assert build_csv() == repo.export_runs(session=s, fmt="csv")
        assert build_json() == repo.export_runs(session=s, fmt="json")
    assert [r["model_name"] for r in json.loads(build_json())] == ["mlp"]
    with pytest.raises(ValidationError, match="format"):
        runs_export(factory=factory, fmt="xml")  # refused when the button is drawn, not when pressed
