"""Read model of the Modelhub page: the registry with last results, jobs, benchmark runs, errata and figures.

A job's or run's ``samples`` hold the model's generated text (strings) and its figures (dicts, drawn by
``pages/_modelhub_figures.py``; see ``modelhub.recipes``). Figures can be hundreds of kilobytes each, so the
lists read here leave ``samples`` unloaded, and a row's samples are read only when the page shows them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, defer, sessionmaker

from db import modelhub_repo as repo
from db.models_modelhub import BenchmarkRun, ModelhubJob
from db.validation import FieldError, ValidationError

JOB_COLUMNS = ["id", "kind", "model", "config", "status", "progress", "step", "total_steps", "metric", "error",
               "created"]
RUN_COLUMNS = ["id", "created", "model", "config", "device", "device_type", "precision", "threads", "params",
               "flops_per_unit", "unit", "units_per_second", "step_ms", "spread_ms", "achieved_gflops", "mfu_pct",
               "peak_source", "metric_name", "metric_value", "peak_memory_mb", "git_commit"]


@dataclass(frozen=True)
class Errata:
    """A documents' model as written beside the corrected one, with what is wrong."""

    as_written: str
    corrected: str
    source: str
    errata: str
    as_written_description: str
    corrected_description: str
    as_written_result: str
    corrected_result: str


@dataclass(frozen=True)
class FigureSet:
    """The figures one job or benchmark run stored, and where they come from."""

    model: str
    config: str
    where: str  # "job 12" or "benchmark run 7"
    created: datetime
    figures: list[dict[str, Any]]

    @property
    def label(self) -> str:
        return f"{self.model} ({self.config} config, {self.where})"


def split_samples(samples: list[Any] | None) -> tuple[list[str], list[dict[str, Any]]]:
    """A stored ``samples`` list as (text samples, figures): strings are text, dicts are figures."""
    items = list(samples or [])
    return [s for s in items if isinstance(s, str)], [s for s in items if isinstance(s, dict)]


def _where(item: ModelhubJob | BenchmarkRun) -> str:
    return f"job {item.id}" if isinstance(item, ModelhubJob) else f"benchmark run {item.id}"


def _when(item: ModelhubJob | BenchmarkRun) -> datetime:
    return (item.finished_at or item.created_at) if isinstance(item, ModelhubJob) else item.created_at


def _newest(session: Session, cls: type[ModelhubJob] | type[BenchmarkRun], limit: int, *where: Any) -> list[Any]:
    """Newest rows first, as ``repo.list_jobs``/``list_runs`` order them, with ``samples`` left unloaded."""
    query = select(cls).options(defer(cls.samples)).where(*where).order_by(cls.id.desc()).limit(limit)
    return list(session.scalars(query))


@dataclass(frozen=True)
class ModelhubView:
    registry: pd.DataFrame  # one row per entry: name, family, task, source, dataset, metric, bar, last result
    jobs: pd.DataFrame  # newest first
    runs: pd.DataFrame  # newest first
    errata: list[Errata]
    model_names: list[str]
    samples: list[tuple[str, str]]  # (label, text) from the newest jobs and runs that generated text
    trained: list[str]  # models with a succeeded training job or a benchmark run, most recent first


def _result(run: BenchmarkRun | None, job: ModelhubJob | None, metric: str) -> tuple[float | None, str]:
    """The newest measured value of ``metric``: from a succeeded training job or a benchmark run."""
    job_value = job.metrics.get(metric) if job is not None else None
    candidates = []
    if job_value is not None:
        candidates.append((job.finished_at or job.created_at, float(job_value), f"training job {job.id} "
                                                                                 f"({job.config_name})"))
    if run is not None and run.metric_value is not None:
        candidates.append((run.created_at, run.metric_value, f"benchmark run {run.id} ({run.config_name})"))
    if not candidates:
        return None, ""
    _, value, where = max(candidates, key=lambda c: c[0])
    return value, where


def _job_frame(jobs: list[ModelhubJob], metrics: dict[str, str]) -> pd.DataFrame:
    rows = [{"id": j.id, "kind": j.kind, "model": j.model_name, "config": j.config_name, "status": j.status,
             "progress": round(100 * j.progress, 1), "step": j.step, "total_steps": j.total_steps,
             "metric": j.metrics.get(metrics.get(j.model_name, ""), None), "error": j.error or "",
             "created": j.created_at} for j in jobs]
    return pd.DataFrame(rows, columns=JOB_COLUMNS)


def _run_frame(runs: list[BenchmarkRun]) -> pd.DataFrame:
    rows = [{"id": r.id, "created": r.created_at, "model": r.model_name, "config": r.config_name,
             "device": r.device_name, "device_type": r.device_type, "precision": r.precision,
             "threads": (r.hardware or {}).get("torch_threads"), "params": r.params, "flops_per_unit": r.flops_per_unit,
             "unit": r.unit, "units_per_second": r.units_per_second, "step_ms": 1e3 * r.step_time_median,
             "spread_ms": f"{1e3 * r.step_time_p10:.3g}–{1e3 * r.step_time_p90:.3g}",
             "achieved_gflops": r.achieved_flops / 1e9 if r.achieved_flops else None,
             "mfu_pct": 100 * r.mfu if r.mfu is not None else None, "peak_source": r.peak_source,
             "metric_name": r.metric_name, "metric_value": r.metric_value,
             "peak_memory_mb": r.peak_memory_bytes / 2**20 if r.peak_memory_bytes else None,
             "git_commit": (r.git_commit or "")[:12]} for r in runs]
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def modelhub_view(*, session: Session) -> ModelhubView:
    """Everything the Modelhub page draws, read in one session."""
    from modelhub import registry  # imports torch and the model families: only when the page asks
    from modelhub.quality import bar_label

    entries = registry.entries()
    jobs: list[ModelhubJob] = _newest(session, ModelhubJob, 200)
    runs: list[BenchmarkRun] = _newest(session, BenchmarkRun, 500)
    last_run: dict[str, BenchmarkRun] = {}
    for r in runs:  # newest first: keep the first seen
        last_run.setdefault(r.model_name, r)
    last_job: dict[str, ModelhubJob] = {}
    for j in jobs:
        if j.kind == "train" and j.status == "succeeded":
            last_job.setdefault(j.model_name, j)
    rows, results = [], {}
    for e in entries:
        value, where = _result(last_run.get(e.name), last_job.get(e.name), e.metric)
        run = last_run.get(e.name)
        results[e.name] = "not measured yet" if value is None else f"{e.metric} {value:.4g} ({where})"
        rows.append({
            "name": e.name, "family": e.family, "task": e.task, "source": e.source, "dataset": e.dataset,
            "metric": e.metric + (" ↑" if e.higher_is_better else " ↓"), "quality_bar": bar_label(e),
            # Without a run, counted from the default config on the meta device (None for fit recipes).
            "params": run.params if run else registry.parameter_estimate(e.name),
            "last_result": value, "result_from": where,
            "passes": e.passes(value) if value is not None else None,
            "units_per_second": run.units_per_second if run else None,
            "as_written_of": e.as_written_of or "", "description": e.description,
        })
    by_name = {e.name: e for e in entries}
    errata = [Errata(as_written=e.name, corrected=e.as_written_of, source=e.source, errata=e.errata,
                     as_written_description=e.description,
                     corrected_description=by_name[e.as_written_of].description if e.as_written_of in by_name else "",
                     as_written_result=results[e.name], corrected_result=results.get(e.as_written_of, ""))
              for e in entries if e.as_written_of]
    samples: list[tuple[str, str]] = []
    for item in [*jobs, *runs]:
        if len(samples) >= 6:
            break  # each row's samples are one more read (see the module docstring): stop once the page has six
        texts, _ = split_samples(item.samples)
        label = f"{item.model_name} ({item.config_name} config, {_where(item)})"
        samples += [(label, text) for text in texts[:6 - len(samples)]]
    done = sorted([*last_job.values(), *last_run.values()], key=_when, reverse=True)
    trained = list(dict.fromkeys(item.model_name for item in done))
    metrics = {e.name: e.metric for e in entries}
    return ModelhubView(registry=pd.DataFrame(rows), jobs=_job_frame(jobs, metrics), runs=_run_frame(runs),
                        errata=errata, model_names=[e.name for e in entries], samples=samples,
                        trained=trained)


def newest_figures(*, session: Session, model_name: str, scan: int = 50) -> FigureSet | None:
    """The figures of ``model_name``'s newest succeeded training job or benchmark run that stored any.

    Newest first by when each finished; a bench job's figures are read from its run (the job holds a copy).
    Only the newest ``scan`` jobs and runs of the model are looked at, and their samples are read one by one
    until figures turn up; None when none of them drew any.
    """
    jobs = _newest(session, ModelhubJob, scan, ModelhubJob.model_name == model_name, ModelhubJob.kind == "train",
                   ModelhubJob.status == "succeeded")
    runs = _newest(session, BenchmarkRun, scan, BenchmarkRun.model_name == model_name)
    for item in sorted([*jobs, *runs], key=_when, reverse=True):
        _, figures = split_samples(item.samples)
        if figures:
            return FigureSet(model=item.model_name, config=item.config_name, where=_where(item),
                             created=_when(item), figures=figures)
    return None


def runs_export(*, factory: sessionmaker[Session], fmt: str) -> Callable[[], str]:
    """Every benchmark run as ``fmt`` (see :func:`db.modelhub_repo.export_runs`), built only when called.

    For the page's download buttons: Streamlit calls it when the button is pressed, on its own thread, so it
    opens its own session and exports the runs stored at that moment. Building both files on every script
    run cost about 0.1 s and 2 MB sent to the browser with 1,000 runs, whether or not anyone downloaded.
    """
    if fmt not in repo.EXPORT_FORMATS:
        raise ValidationError([FieldError("export", "format", f"must be one of {', '.join(repo.EXPORT_FORMATS)}")])

    def build() -> str:
        with factory() as session:
            return repo.export_runs(session=session, fmt=fmt)
    return build


def job_detail(*, session: Session, job_id: int) -> dict[str, Any]:
    """One job's live state for the progress panel: status, progress, loss curve, metrics, log, text samples and
    (once it succeeded) figures."""
    job = repo.get_job(session=session, job_id=job_id)
    texts, figures = split_samples(job.samples)
    curve = pd.DataFrame(job.loss_curve or [], columns=["step", "loss"])
    return {"id": job.id, "kind": job.kind, "model": job.model_name, "config": job.config_name,
            "status": job.status, "progress": job.progress, "step": job.step, "total_steps": job.total_steps,
            "curve": curve, "metrics": dict(job.metrics or {}), "log": job.log_tail, "error": job.error,
            "samples": texts, "figures": figures, "checkpoint_step": job.checkpoint_step,
            "resumable": job.kind == "train" and job.status in ("failed", "cancelled") and bool(job.checkpoint_path),
            "heartbeat": job.heartbeat_at}
