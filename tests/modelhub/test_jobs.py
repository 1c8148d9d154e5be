"""Background jobs: run, report, cancel; a SIGKILLed worker is marked failed and its job resumes from the
last checkpoint; a failure is stored with its error."""

from __future__ import annotations

import os
import signal
import time

import pytest

from db import modelhub_repo as repo
from modelhub import jobs, trainer
from modelhub.registry import RegistryError
from modelhub.worker import run_job

pytestmark = pytest.mark.db


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FOUNDERDECK_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _job(factory, job_id):
    with factory() as s:
        job = repo.get_job(session=s, job_id=job_id)
        s.expunge(job)
        return job


def _wait(factory, job_id, until, timeout=150.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = _job(factory, job_id)
        if until(job):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} never got there: {job.status} step {job.step} {job.error} {job.log_tail}")


def test_a_bad_request_is_refused_before_anything_is_stored(factory):
    with pytest.raises(RegistryError, match="unknown model"):
        jobs.submit(factory, kind="train", model_name="nope")
    with pytest.raises(RegistryError, match="steps must be a whole number"):
        jobs.submit(factory, kind="train", model_name="mlp", overrides={"steps": "many"})
    # Out of range, as the page could send it: refused here too, not crashed in the worker (eval_every=0
    # divided by zero once the job was running).
    with pytest.raises(RegistryError, match="needs eval_every at least 1"):
        jobs.submit(factory, kind="train", model_name="mlp", overrides={"eval_every": 0})
    with factory() as s:
        assert repo.list_jobs(session=s) == []


def test_training_job_reports_curve_metrics_and_checkpoint(factory):
    job_id = jobs.submit(factory, kind="train", model_name="mlp", config_name="smoke",
                         overrides={"steps": 10, "eval_every": 5, "threads": 1}, start=False)
    assert run_job(factory, job_id) == 0
    job = _job(factory, job_id)
    assert job.status == "succeeded" and job.progress == 1.0 and job.step == 10
    assert [s for s, _ in job.loss_curve][-1] == 10 and "test_accuracy" in job.metrics
    assert job.checkpoint_step == 10 and os.path.exists(job.checkpoint_path) and job.pid == os.getpid()


def test_benchmark_job_stores_its_run_with_the_verdict(factory):
    job_id = jobs.submit(factory, kind="bench", model_name="mlp", config_name="smoke",
                         overrides={"threads": 1}, start=False)
    assert run_job(factory, job_id) == 0
    with factory() as s:
        (run,) = repo.list_runs(session=s)
        assert run.job_id == job_id and run.model_name == "mlp" and run.flops_per_unit == 40_448
        assert repo.get_job(session=s, job_id=job_id).status == "succeeded"


def test_a_failing_job_is_marked_failed_with_its_error(factory):
    job_id = jobs.submit(factory, kind="train", model_name="mlp", config_name="smoke", device="cuda:7", start=False)
    assert run_job(factory, job_id) == 1
    job = _job(factory, job_id)
    assert job.status == "failed" and "cuda" in job.error.lower() and "Traceback" in job.log_tail


def test_cancel_stops_a_running_worker(factory):
    job_id = jobs.submit(factory, kind="train", model_name="mlp", overrides={"steps": 100_000, "threads": 1})
    _wait(factory, job_id, lambda j: j.status == "running" and j.step > 0)
    jobs.cancel(factory, job_id)
    job = _job(factory, job_id)
    assert job.status == "cancelled"
    proc = jobs._CHILDREN[job.pid]
    assert proc.wait(timeout=60) == 3  # the worker noticed and exited as cancelled
    assert _job(factory, job_id).status == "cancelled"


@pytest.mark.slow
def test_a_killed_job_is_marked_failed_and_resumes_from_its_checkpoint(factory):
    settings = {"steps": 300, "eval_every": 10, "threads": 1}
    job_id = jobs.submit(factory, kind="train", model_name="mlp", overrides=settings)
    job = _wait(factory, job_id, lambda j: j.checkpoint_step >= 10)
    os.kill(job.pid, signal.SIGKILL)
    jobs._CHILDREN[job.pid].wait(timeout=30)
    assert jobs.reap(factory) == [job_id]
    dead = _job(factory, job_id)
    assert dead.status == "failed" and "killed or crashed" in dead.error and "resumable" in dead.error
    saved = trainer.load_checkpoint(dead.checkpoint_path)["step"]

    new_id = jobs.resume(factory, job_id, start=False)
    assert run_job(factory, new_id) == 0
    done = _job(factory, new_id)
    assert done.status == "succeeded" and done.resumed_from_id == job_id and done.step == 300
    assert done.loss_curve[0][0] > saved  # it continued; it did not start again from step 1
    assert trainer.load_checkpoint(dead.checkpoint_path)["step"] == saved  # the old checkpoint is untouched


def test_only_failed_or_cancelled_training_with_a_checkpoint_resumes(factory):
    job_id = jobs.submit(factory, kind="bench", model_name="mlp", config_name="smoke", start=False)
    with pytest.raises(repo.ValidationError, match="can be resumed"):
        jobs.resume(factory, job_id)


def test_a_silent_worker_is_reaped_after_the_stale_timeout(factory, monkeypatch):
    job_id = jobs.submit(factory, kind="train", model_name="mlp", start=False)
    monkeypatch.setattr(jobs, "STALE_SECONDS", -1.0)  # every heartbeat is already too old
    assert jobs.reap(factory) == [job_id]
    assert "no heartbeat" in _job(factory, job_id).error


def test_a_worker_that_cannot_start_fails_its_job_at_once(factory, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("no such interpreter")

    monkeypatch.setattr(jobs.subprocess, "Popen", broken)
    job_id = jobs.submit(factory, kind="train", model_name="mlp", config_name="smoke")
    job = _job(factory, job_id)
    assert job.status == "failed" and "could not be started: no such interpreter" in job.error


def test_progress_survives_a_database_hiccup(factory, monkeypatch):
    import threading

    from db.transaction import StorageError
    from modelhub import worker

    job_id = jobs.submit(factory, kind="train", model_name="mlp", config_name="smoke", start=False)
    reporter = worker.Reporter(factory, job_id, threading.Event())
    real = worker.transaction

    def busy(*args, **kwargs):
        raise StorageError("The database stayed busy with another writer for too long: nothing was saved.")

    monkeypatch.setattr(worker, "transaction", busy)
    reporter(trainer.TrainEvent("step", 1, 10, loss=2.0))
    assert reporter.losses == [(1, 2.0)]  # kept for the next write
    monkeypatch.setattr(worker, "transaction", real)
    reporter.last_write = 0.0
    reporter(trainer.TrainEvent("step", 2, 10, loss=1.5))
    assert _job(factory, job_id).loss_curve == [[1, 2.0], [2, 1.5]] and reporter.losses == []


def test_a_cancelled_benchmark_job_stores_no_run_and_exits_as_cancelled(factory):
    # A long training phase after the timed steps: the cancel lands while the benchmark trains for its metric.
    job_id = jobs.submit(factory, kind="bench", model_name="mlp", overrides={"steps": 100_000, "threads": 1})
    _wait(factory, job_id, lambda j: j.status == "running" and j.step > 0)
    jobs.cancel(factory, job_id)
    job = _job(factory, job_id)
    assert jobs._CHILDREN[job.pid].wait(timeout=60) == 3
    with factory() as s:
        assert repo.list_runs(session=s) == []
        assert repo.get_job(session=s, job_id=job_id).status == "cancelled"


def test_the_app_cannot_name_a_folder_on_the_server(factory):
    with pytest.raises(RegistryError, match="works only from the command line"):
        jobs.submit(factory, kind="train", model_name="mlp", overrides={"dataset": "folder:/etc"}, start=False)
    with factory() as s:
        assert repo.list_jobs(session=s) == []
