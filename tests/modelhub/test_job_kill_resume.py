"""Reliability: a training job's worker SIGKILLed at a random step leaves the database consistent, and its
resumed job ends on exactly the weights of a run that was never interrupted (issue #7, *Faults*)."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import time

import pytest
import torch

from db import modelhub_repo as repo
from modelhub import jobs, trainer
from modelhub.worker import run_job
from tests.conftest import IN_CI

pytestmark = [pytest.mark.db, pytest.mark.slow]
SETTINGS = {"steps": 240, "eval_every": 10, "threads": 1, "seed": 7}


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FOUNDERDECK_DATA_DIR", str(tmp_path / "data"))


def _job(factory, job_id):
    with factory() as s:
        job = repo.get_job(session=s, job_id=job_id)
        s.expunge(job)
        return job


def _final_weights(factory, job_id) -> dict[str, torch.Tensor]:
    job = _job(factory, job_id)
    state = trainer.load_checkpoint(job.checkpoint_path)
    assert state["step"] == SETTINGS["steps"]
    return state["model"]


def test_a_job_killed_at_a_random_step_resumes_to_the_uninterrupted_weights(factory, db_url):
    reference = jobs.submit(factory, kind="train", model_name="mlp", overrides=SETTINGS, start=False)
    assert run_job(factory, reference) == 0
    expected = _final_weights(factory, reference)

    # CI replays one kill point (a red build means a change broke it); `make reliability` draws a new one each
    # run, printed so a failure can be replayed with FOUNDERDECK_KILL_SEED.
    seed = int(os.environ.get("FOUNDERDECK_KILL_SEED", 4169 if IN_CI else time.time_ns() % 10_000))
    kill_after = random.Random(seed).randint(12, SETTINGS["steps"] - 20)
    print(f"kill seed {seed}: SIGKILL once step {kill_after} is reported")

    job_id = jobs.submit(factory, kind="train", model_name="mlp", overrides=SETTINGS)
    deadline = time.monotonic() + 150
    while (job := _job(factory, job_id)).step < kill_after:
        assert job.status in ("queued", "running") and time.monotonic() < deadline, (job.status, job.error)
        time.sleep(0.05)
    os.kill(job.pid, signal.SIGKILL)
    jobs._CHILDREN[job.pid].wait(timeout=30)

    assert jobs.reap(factory) == [job_id]
    dead = _job(factory, job_id)
    assert dead.status == "failed" and dead.finished_at is not None and "killed or crashed" in dead.error
    saved = trainer.load_checkpoint(dead.checkpoint_path)  # loads whole: the write is atomic
    # The file is written (atomically) before the job row records it, so a kill between the two leaves the
    # file one checkpoint ahead of the row; resume reads the file, so it goes on from the newer step.
    assert saved["step"] >= dead.checkpoint_step > 0
    with factory() as s:
        assert repo.list_runs(session=s) == []  # a killed training stores no half result anywhere
    if db_url.startswith("sqlite:///"):
        with sqlite3.connect(db_url.removeprefix("sqlite:///")) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    resumed = jobs.resume(factory, job_id, start=False)
    assert run_job(factory, resumed) == 0
    done = _job(factory, resumed)
    assert done.status == "succeeded" and done.loss_curve[0][0] == saved["step"] + 1
    got = _final_weights(factory, resumed)
    assert got.keys() == expected.keys()
    for name, tensor in expected.items():
        assert torch.equal(got[name], tensor), f"{name} differs after a kill at step {kill_after} (seed {seed})"
