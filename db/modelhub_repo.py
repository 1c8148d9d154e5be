"""Repositories for the modelhub's jobs and benchmark runs (global tables, not per workspace).

Small functions over a caller-owned session, keyword arguments only. A job's state only moves forward
(queued → running → succeeded/failed/cancelled); a finished job is never reopened (a resume is a new job
pointing at the old one), so a late write from a dying process cannot overwrite the verdict.
"""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import utcnow
from db.models_modelhub import JOB_KINDS, BenchmarkRun, ModelhubJob
from db.validation import FieldError, ValidationError

FINISHED = ("succeeded", "failed", "cancelled")
MAX_CURVE_POINTS = 500  # the loss curve is thinned beyond this, so a long run's row stays small
LOG_TAIL_CHARS = 4_000
EXPORT_FORMATS = ("csv", "json")


def _refuse(table: str, field: str, message: str, row: int | None = None) -> None:
    raise ValidationError([FieldError(table=table, field=field, message=message, row=row)])


def create_job(*, session: Session, kind: str, model_name: str, config_name: str = "default",
               overrides: dict[str, Any] | None = None, device: str = "auto",
               resumed_from_id: int | None = None) -> ModelhubJob:
    """A queued job; the caller checks the model name against the registry first."""
    if kind not in JOB_KINDS:
        _refuse("modelhub job", "kind", f"must be one of {', '.join(JOB_KINDS)}")
    if not model_name.strip():
        _refuse("modelhub job", "model_name", "is required")
    job = ModelhubJob(kind=kind, model_name=model_name, config_name=config_name, overrides=dict(overrides or {}),
                      device=device, status="queued", resumed_from_id=resumed_from_id)
    session.add(job)
    session.flush()
    return job


def get_job(*, session: Session, job_id: int) -> ModelhubJob:
    """The job with this id; an unknown id is a ValidationError naming it."""
    job = session.get(ModelhubJob, job_id)
    if job is None:
        _refuse("modelhub job", "id", "no such job", job_id)
    return job  # type: ignore[return-value]


def list_jobs(*, session: Session, limit: int = 50, status: tuple[str, ...] | None = None) -> list[ModelhubJob]:
    """The newest jobs first (optionally only those in ``status``)."""
    query = select(ModelhubJob).order_by(ModelhubJob.id.desc()).limit(limit)
    if status:
        query = query.where(ModelhubJob.status.in_(status))
    return list(session.scalars(query))


def start_job(*, session: Session, job_id: int, pid: int, host: str | None = None) -> ModelhubJob:
    """Mark a queued job running in process ``pid`` on ``host`` (a finished job is refused)."""
    job = get_job(session=session, job_id=job_id)
    if job.status in FINISHED:
        _refuse("modelhub job", "status", f"is already {job.status}", job_id)
    now = utcnow()
    job.status, job.pid, job.host, job.started_at, job.heartbeat_at = "running", pid, host, now, now
    return job


def _thin(curve: list[list[float]]) -> list[list[float]]:
    """Keep every other point (the last always kept) once the curve is longer than MAX_CURVE_POINTS."""
    if len(curve) <= MAX_CURVE_POINTS:
        return curve
    return [*curve[:-1:2], curve[-1]]


def record_progress(*, session: Session, job_id: int, step: int | None = None, total_steps: int | None = None,
                    losses: list[tuple[int, float]] = (), metrics: dict[str, float] | None = None,
                    checkpoint_path: str | None = None, checkpoint_step: int | None = None,
                    log: str = "") -> ModelhubJob | None:
    """Add progress to a running job and beat its heart; a job already finished is left alone (None)."""
    job = get_job(session=session, job_id=job_id)
    if job.status in FINISHED:
        return None
    if step is not None and total_steps is not None:
        job.step, job.total_steps = step, total_steps
        job.progress = min(1.0, step / total_steps) if total_steps else 0.0
    if losses:
        finite = [[int(s), float(v)] for s, v in losses if math.isfinite(v)]
        job.loss_curve = _thin([*job.loss_curve, *finite])
    if metrics is not None:
        job.metrics = {k: float(v) for k, v in metrics.items()}
    if checkpoint_path is not None:
        job.checkpoint_path = checkpoint_path
        job.checkpoint_step = checkpoint_step if checkpoint_step is not None else step
    if log:
        job.log_tail = (job.log_tail + log)[-LOG_TAIL_CHARS:]
    job.heartbeat_at = utcnow()
    return job


def heartbeat(*, session: Session, job_id: int) -> bool:
    """Record that a running job's worker is alive; False when the job is already finished (stop working)."""
    job = get_job(session=session, job_id=job_id)
    if job.status in FINISHED:
        return False
    job.heartbeat_at = utcnow()
    return True


def finish_job(*, session: Session, job_id: int, status: str, error: str | None = None,
               samples: list[str] | None = None) -> ModelhubJob:
    """Set a job's final status (once: a finished job keeps its first verdict)."""
    if status not in FINISHED:
        _refuse("modelhub job", "status", f"must be one of {', '.join(FINISHED)}")
    job = get_job(session=session, job_id=job_id)
    if job.status in FINISHED:
        return job
    job.status, job.error, job.finished_at = status, error, utcnow()
    if status == "succeeded":
        job.progress = 1.0
    if samples is not None:
        job.samples = list(samples)
    return job


def stale_running_jobs(*, session: Session, heartbeat_before: datetime) -> list[ModelhubJob]:
    """Running (or queued-and-started) jobs whose last heartbeat is older than ``heartbeat_before``."""
    query = select(ModelhubJob).where(ModelhubJob.status.in_(("queued", "running")),
                                      ModelhubJob.heartbeat_at < heartbeat_before)
    return list(session.scalars(query))


RUN_COLUMNS = tuple(c.name for c in BenchmarkRun.__table__.columns if c.name not in {"id", "created_at"})


def add_run(*, session: Session, values: dict[str, Any], job_id: int | None = None) -> BenchmarkRun:
    """Store one benchmark result (keys outside the table are ignored; bad figures are refused by name)."""
    data = {k: v for k, v in values.items() if k in RUN_COLUMNS}
    if data.get("unit") not in ("sample", "token"):
        _refuse("benchmark run", "unit", "must be 'sample' or 'token'")
    for field in ("units_per_second", "step_time_median"):
        value = data.get(field)
        if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
            _refuse("benchmark run", field, "must be a positive number")
    mfu = data.get("mfu")
    if mfu is not None and not (math.isfinite(mfu) and mfu >= 0):
        _refuse("benchmark run", "mfu", "must be a non-negative number")
    run = BenchmarkRun(**data, job_id=job_id)  # device_count: devices the run used (1 unless given)
    session.add(run)
    session.flush()
    return run


def list_runs(*, session: Session, model_name: str | None = None, limit: int = 1000) -> list[BenchmarkRun]:
    """Benchmark runs, newest first, optionally of one model."""
    query = select(BenchmarkRun).order_by(BenchmarkRun.id.desc()).limit(limit)
    if model_name:
        query = query.where(BenchmarkRun.model_name == model_name)
    return list(session.scalars(query))


def _row(run: BenchmarkRun) -> dict[str, Any]:
    out = {c.name: getattr(run, c.name) for c in BenchmarkRun.__table__.columns}
    out["created_at"] = run.created_at.isoformat(timespec="seconds")
    # Exports are tables of measurements: the text samples stay, the figures (pictures, up to 1 MB each) do not.
    out["samples"] = [s for s in (run.samples or []) if isinstance(s, str)]
    return out


def export_runs(*, session: Session, fmt: str = "csv") -> str:
    """Every benchmark run as CSV (JSON columns as JSON text) or as a JSON list, oldest first (text samples only)."""
    if fmt not in EXPORT_FORMATS:
        _refuse("export", "format", f"must be one of {', '.join(EXPORT_FORMATS)}")
    rows = [_row(r) for r in reversed(list_runs(session=session, limit=1_000_000))]
    if fmt == "json":
        return json.dumps(rows, indent=2, default=str)
    out = io.StringIO()
    columns = [c.name for c in BenchmarkRun.__table__.columns]
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in row.items()})
    return out.getvalue()
