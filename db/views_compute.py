"""Read model of the Compute cost page: the workspace's catalogue rows, benchmark runs and scenarios,
handed to :func:`analytics.compute_report.build_report`."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.calibration import MeasuredRun
from analytics.compute_report import CostReport, CostRequest, build_report
from analytics.gpu_catalogue import api_price_table, merge_prices, merged_gpus, price_table
from db import repo
from db.cost_scenarios import deleted_scenarios, gpu_frame, scenarios
from db.gpu_prices import price_frame
from db.models import Workspace
from db.models_modelhub import BenchmarkRun

RUN_COLUMNS = ["model_name", "config_name", "device_name", "params", "flops_per_unit", "unit", "units_per_second",
               "peak_flops", "mfu", "created_at", "device_type"]


@dataclass(frozen=True)
class ComputeView:
    workspace: str
    illustrative: bool
    report: CostReport | None
    error: str | None  # why there is no report (unknown GPU, no price), in words
    gpus: pd.DataFrame  # merged catalogue, with origin and the workspace's price/id/version where it has a row
    own_gpus: pd.DataFrame  # the workspace's own GPU rows by key, with id and version (the editable grid)
    prices: pd.DataFrame  # the merged price table the estimate reads (merge_prices: with an ``origin`` column)
    own_prices: pd.DataFrame  # the workspace's own price rows with id and version (the "Your prices" grid)
    runs: pd.DataFrame  # benchmark runs to calibrate with, indexed by id (empty until the modelhub stores some)
    runs_note: str
    run: MeasuredRun | None  # the chosen run
    scenarios: pd.DataFrame  # saved cost scenarios of the workspace
    scenario_inputs: dict[int, dict]  # scenario id → the form inputs it was saved with
    scenario_versions: dict[int, int]  # scenario id → version (a delete of a since-changed scenario is refused)
    deleted: pd.DataFrame  # deleted scenarios (name, gpu, deleted_at) by id, most recent first: the restore list


def benchmark_runs(*, session: Session) -> tuple[pd.DataFrame, str]:
    """Stored benchmark runs (global, not per workspace) newest first, and a note for the page."""
    # Only runs that measured FLOPs can calibrate (scikit-learn baselines have none).
    stmt = select(BenchmarkRun).where(BenchmarkRun.flops_per_unit.is_not(None), BenchmarkRun.flops_per_unit > 0,
                                      BenchmarkRun.units_per_second > 0, BenchmarkRun.params > 0)
    rows = session.scalars(stmt.order_by(BenchmarkRun.id.desc()).limit(200)).all()
    data = [[getattr(r, c) for c in RUN_COLUMNS] for r in rows]
    frame = pd.DataFrame(data, columns=RUN_COLUMNS, index=pd.Index([r.id for r in rows], name="id"))
    note = "" if rows else "No benchmark run with measured FLOPs stored yet: run `python -m modelhub bench NAME` " \
                           "to calibrate. Until then: catalogue defaults."
    return frame, note


def measured_run(runs: pd.DataFrame, run_id: int | None) -> MeasuredRun | None:
    """A stored run as the calibration's plain dataclass (None when not chosen or gone)."""
    if run_id is None or run_id not in runs.index:
        return None
    r = runs.loc[run_id]
    mfu = None if pd.isna(r["mfu"]) else float(r["mfu"])
    peak = None if pd.isna(r["peak_flops"]) else float(r["peak_flops"])
    return MeasuredRun(model_name=str(r["model_name"]), device_name=str(r["device_name"]), params=int(r["params"]),
                       flops_per_unit=float(r["flops_per_unit"]), unit=str(r["unit"]),
                       units_per_second=float(r["units_per_second"]), peak_flops=peak, mfu=mfu, run_id=int(run_id),
                       config_name=str(r["config_name"] or ""),
                       device_type=None if pd.isna(r["device_type"]) or not r["device_type"] else str(r["device_type"]))


def compute_cost(*, session: Session, workspace_id: int, request: CostRequest, run_id: int | None = None
                 ) -> ComputeView:
    """Everything the Compute cost page shows for ``request`` in this workspace."""
    ws = repo.get(session=session, model=Workspace, row_id=workspace_id)
    own = gpu_frame(session=session, workspace_id=workspace_id)
    gpus = merged_gpus(own)
    if not own.empty:
        gpus = gpus.join(own[["usd_per_gpu_hour", "id", "version"]], how="left")
    runs, note = benchmark_runs(session=session)
    run = measured_run(runs, run_id)
    # One merged table feeds the estimate, the cost-by-GPU chart, the assumptions and the page's price table.
    own_prices = price_frame(session=session, workspace_id=workspace_id)
    prices, api = merge_prices(price_table(), own_prices, own), api_price_table()
    report, error = None, None
    try:
        report = build_report(request, gpus, prices, api, run)
    except ValueError as exc:  # CatalogueError / EstimateError: an unknown GPU or no price
        error = str(exc)
    saved = scenarios(session=session, workspace_id=workspace_id)
    columns = ["name", "kind", "gpu", "serving_usd_per_m_input", "serving_usd_per_m_output", "training_cost_usd",
               "training_amortise_months", "private", "created_at"]
    table = pd.DataFrame([[getattr(s, c) for c in columns] for s in saved], columns=columns,
                         index=pd.Index([s.id for s in saved], name="id"))
    gone = deleted_scenarios(session=session, workspace_id=workspace_id)
    deleted = pd.DataFrame([[s.name, s.gpu, s.deleted_at] for s in gone], columns=["name", "gpu", "deleted_at"],
                           index=pd.Index([s.id for s in gone], name="id"))
    return ComputeView(workspace=ws.name, illustrative=ws.illustrative, report=report, error=error, gpus=gpus,
                       own_gpus=own, prices=prices, own_prices=own_prices, runs=runs, runs_note=note, run=run,
                       scenarios=table,
                       scenario_inputs={s.id: dict(s.inputs) for s in saved},
                       scenario_versions={s.id: s.version for s in saved}, deleted=deleted)
