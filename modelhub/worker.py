"""The inside of a background job (``python -m modelhub run-job ID``): train or benchmark, reporting to the DB.

Every write is its own short transaction; the result rows and the final status are written together, so a
worker killed at any instant leaves either the previous state or the finished one, never a half-written run.
What a finished job stores beside its metrics are the model's text samples and figures (``modelhub.figure_store``:
a figure that cannot be drawn or stored is logged in the job's log and left out, never failing the job).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import threading
import time
import traceback
import uuid
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from db import modelhub_repo as repo
from db.transaction import StorageError, transaction
from modelhub import bench, figure_store, registry, trainer
from modelhub.jobs import ACTOR
from modelhub.paths import checkpoint_dir

HEARTBEAT_SECONDS = 5.0  # well under jobs.STALE_SECONDS, so a busy database write cannot look like death
PROGRESS_SECONDS = 0.5  # at most this often a progress write: a step can take microseconds


class Reporter:
    """Trainer callback: buffers the loss curve, writes progress at most every PROGRESS_SECONDS, and stops
    the run when it was cancelled (SIGTERM, or the job row already finished)."""

    def __init__(self, factory: sessionmaker[Session], job_id: int, stop: threading.Event) -> None:
        self.factory, self.job_id, self.stop = factory, job_id, stop
        # Job ids restart in every database; the random part keeps two databases sharing data/ apart.
        self.checkpoint = checkpoint_dir() / f"job-{job_id}-{uuid.uuid4().hex[:8]}.pt"
        self.losses: list[tuple[int, float]] = []
        self.last_write = 0.0

    def write(self, step: int, total: int, **extra: Any) -> None:
        try:
            with transaction(self.factory, actor=ACTOR) as session:
                job = repo.record_progress(session=session, job_id=self.job_id, step=step, total_steps=total,
                                           losses=self.losses, **extra)
        except StorageError as exc:
            # A busy or briefly unreachable database must not end hours of training: keep the buffered losses
            # and write them with the next progress report (the heartbeat thread keeps trying meanwhile).
            print(f"progress not stored, will retry: {exc}", flush=True)
            return
        self.losses = []
        self.last_write = time.monotonic()
        if job is None:  # cancelled (or reaped) while we were working
            self.stop.set()

    def note(self, line: str) -> None:
        """One line in the job's log (a figure left out, say); a database hiccup only loses the line."""
        try:
            with transaction(self.factory, actor=ACTOR) as session:
                repo.record_progress(session=session, job_id=self.job_id, log=line.rstrip("\n") + "\n")
        except StorageError as exc:
            print(f"log line not stored: {exc}: {line}", flush=True)

    def __call__(self, event: trainer.TrainEvent) -> None:
        if event.kind == "step" and event.loss is not None:
            self.losses.append((event.step, event.loss))
            if time.monotonic() - self.last_write >= PROGRESS_SECONDS:
                self.write(event.step, event.total_steps)
        elif event.kind == "eval":
            ckpt = str(self.checkpoint)
            has_ckpt = self.checkpoint.exists()
            self.write(event.step, event.total_steps, metrics=event.metrics,
                       checkpoint_path=ckpt if has_ckpt else None, checkpoint_step=event.step if has_ckpt else None,
                       log=f"step {event.step}/{event.total_steps}: "
                           + ", ".join(f"{k}={v:.4g}" for k, v in event.metrics.items()) + "\n")
        if self.stop.is_set():
            raise trainer.StopTraining


def _heartbeat(factory: sessionmaker[Session], job_id: int, done: threading.Event, stop: threading.Event) -> None:
    while not done.wait(HEARTBEAT_SECONDS):
        try:
            with transaction(factory, actor=ACTOR) as session:
                if not repo.heartbeat(session=session, job_id=job_id):
                    stop.set()
        except Exception:  # a missed beat is retried; the worker must not die of it
            continue


def _train(factory: sessionmaker[Session], job: dict[str, Any], reporter: Reporter) -> tuple[dict, list[Any]]:
    """Train (or fit) the job's model; its final metrics and what it leaves for the page (texts, figures)."""
    recipe = registry.create(job["model_name"], job["config_name"], **job["overrides"])
    if recipe.kind == "fit":
        reporter.write(0, 1, log="fitting\n")
        recipe.fit()  # one call, not interruptible: a cancel during it is honoured right after
        if reporter.stop.is_set():
            raise trainer.StopTraining
        return recipe.evaluate(), figure_store.outputs(recipe, 2, log=reporter.note)
    ckpt = reporter.checkpoint
    if job["resume_from"]:
        # Copy, so the old job's checkpoint stays as it was; replace() makes the copy appear whole.
        shutil.copyfile(job["resume_from"], ckpt.with_name(ckpt.name + ".part"))
        os.replace(ckpt.with_name(ckpt.name + ".part"), ckpt)
    result = trainer.train(recipe, device=job["device"], checkpoint=ckpt, resume=bool(job["resume_from"]),
                           callbacks=[reporter])
    if result.stopped or reporter.stop.is_set():
        raise trainer.StopTraining
    reporter.write(result.steps, max(result.steps, recipe.config["steps"]), metrics=result.metrics)
    return result.metrics, figure_store.outputs(recipe, 2, log=reporter.note)


def _still_wanted(session: Session, job_id: int, stop: threading.Event) -> None:
    """Inside the transaction that stores the result: a job cancelled (or reaped) meanwhile stores nothing."""
    if stop.is_set() or repo.get_job(session=session, job_id=job_id).status in repo.FINISHED:
        raise trainer.StopTraining  # rolls the transaction back: no run row, the verdict stays as it was


def run_job(factory: sessionmaker[Session], job_id: int) -> int:
    """Run a stored job in this process; returns the exit code (0 succeeded, 1 failed, 3 cancelled)."""
    with transaction(factory, actor=ACTOR) as session:
        row = repo.start_job(session=session, job_id=job_id, pid=os.getpid(), host=socket.gethostname())
        job = {"id": row.id, "kind": row.kind, "model_name": row.model_name, "config_name": row.config_name,
               "overrides": dict(row.overrides), "device": row.device, "resume_from": None}
        if row.resumed_from_id is not None:
            job["resume_from"] = repo.get_job(session=session, job_id=row.resumed_from_id).checkpoint_path
    stop, done = threading.Event(), threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=_heartbeat, args=(factory, job_id, done, stop), daemon=True).start()
    reporter = Reporter(factory, job_id, stop)
    status, error, code = "succeeded", None, 0
    try:
        if job["kind"] == "train":
            metrics, samples = _train(factory, job, reporter)
            with transaction(factory, actor=ACTOR) as session:
                _still_wanted(session, job_id, stop)
                repo.record_progress(session=session, job_id=job_id, metrics=metrics)
                repo.finish_job(session=session, job_id=job_id, status="succeeded", samples=samples)
        else:
            result = bench.benchmark(job["model_name"], job["config_name"], device=job["device"], progress=reporter,
                                     should_stop=stop.is_set, **job["overrides"])
            # Whatever the harness drew is checked here too: a run row must never be refused for a figure.
            samples = figure_store.checked_samples(list(result.samples), reporter.note)
            with transaction(factory, actor=ACTOR) as session:  # the run and the verdict land together
                _still_wanted(session, job_id, stop)
                repo.add_run(session=session, values={**result.as_dict(), "samples": samples}, job_id=job_id)
                repo.finish_job(session=session, job_id=job_id, status="succeeded", samples=samples)
    except trainer.StopTraining:
        status, error, code = "cancelled", "cancelled by the user", 3
    except Exception as exc:  # any failure is reported on the job, with its traceback
        status, error, code = "failed", f"{type(exc).__name__}: {exc}", 1
        tail = traceback.format_exc()[-3000:]
        with transaction(factory, actor=ACTOR) as session:
            repo.record_progress(session=session, job_id=job_id, log=tail)
    finally:
        done.set()
    if status != "succeeded":
        with transaction(factory, actor=ACTOR) as session:
            repo.finish_job(session=session, job_id=job_id, status=status, error=error)
    return code
