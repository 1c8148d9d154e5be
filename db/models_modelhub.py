"""The modelhub's tables (issue 5): background jobs and benchmark runs.

Benchmark runs and jobs are measurements of a machine, not a workspace's plan: plain global tables,
written only by the modelhub (never edited by hand), so they are not Tracked. Imported at the end of
``db.models`` so that ``Base.metadata`` (and Alembic) always see them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base, utcnow

JOB_KINDS = ("train", "bench")
JOB_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")


class ModelhubJob(Base):
    """A background training or benchmark run of the modelhub CLI, and everything it reports back."""

    __tablename__ = "modelhub_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    kind: Mapped[str] = mapped_column(String(10), info={"choices": JOB_KINDS})
    model_name: Mapped[str] = mapped_column(String(80))
    config_name: Mapped[str] = mapped_column(String(20), default="default")
    overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    device: Mapped[str] = mapped_column(String(20), default="auto")
    status: Mapped[str] = mapped_column(String(12), default="queued", index=True, info={"choices": JOB_STATUSES})
    pid: Mapped[int | None] = mapped_column()
    host: Mapped[str | None] = mapped_column(String(255))  # the worker's machine: a pid means nothing elsewhere
    progress: Mapped[float] = mapped_column(default=0.0)  # 0..1
    step: Mapped[int] = mapped_column(Integer, default=0)
    total_steps: Mapped[int] = mapped_column(Integer, default=0)
    loss_curve: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [[step, loss], …], thinned to ≤ 500
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the last evaluation
    samples: Mapped[list[Any]] = mapped_column(JSON, default=list)  # generated text, when the model generates
    log_tail: Mapped[str] = mapped_column(Text, default="")
    checkpoint_path: Mapped[str | None] = mapped_column(Text)
    checkpoint_step: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    heartbeat_at: Mapped[datetime | None] = mapped_column()
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    resumed_from_id: Mapped[int | None] = mapped_column(ForeignKey("modelhub_job.id"))


class BenchmarkRun(Base):
    """One benchmark of one model on one machine (the cost engine reads throughput, FLOPs and MFU here)."""

    __tablename__ = "benchmark_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    model_name: Mapped[str] = mapped_column(String(80), index=True)
    config_name: Mapped[str] = mapped_column(String(20))
    device_name: Mapped[str] = mapped_column(String(200))
    device_type: Mapped[str] = mapped_column(String(10))  # cuda, mps, cpu
    device_count: Mapped[int] = mapped_column(Integer, default=1)
    precision: Mapped[str] = mapped_column(String(10))  # bf16, fp32, fp64 (scikit-learn)
    compiled: Mapped[bool] = mapped_column(Boolean, default=False)
    params: Mapped[int] = mapped_column(BigInteger)
    flops_per_unit: Mapped[float | None] = mapped_column()  # forward+backward FLOPs per sample or token
    unit: Mapped[str] = mapped_column(String(10))  # 'sample' or 'token'
    batch_units: Mapped[int] = mapped_column(Integer)
    units_per_second: Mapped[float] = mapped_column()
    step_time_median: Mapped[float] = mapped_column()  # seconds
    step_time_p10: Mapped[float] = mapped_column()
    step_time_p90: Mapped[float] = mapped_column()
    achieved_flops: Mapped[float | None] = mapped_column()  # FLOP/s
    peak_flops: Mapped[float | None] = mapped_column()  # FLOP/s: dense datasheet peak, or the CPU probe
    peak_source: Mapped[str] = mapped_column(Text, default="")
    mfu: Mapped[float | None] = mapped_column()  # 0..1
    peak_memory_bytes: Mapped[int | None] = mapped_column(BigInteger)
    memory_source: Mapped[str] = mapped_column(String(80), default="")
    metric_name: Mapped[str] = mapped_column(String(60))
    metric_value: Mapped[float | None] = mapped_column()
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    time_to_target: Mapped[float | None] = mapped_column()  # seconds
    train_seconds: Mapped[float | None] = mapped_column()
    predict_units_per_second: Mapped[float | None] = mapped_column()
    hardware: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    versions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    git_commit: Mapped[str | None] = mapped_column(String(60))
    samples: Mapped[list[Any]] = mapped_column(JSON, default=list)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("modelhub_job.id"), index=True)
