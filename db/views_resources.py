"""Read model of the Resources page: workload, over-allocation, levelling preview, reservations, budget, burn.

Loads a workspace's rows as DataFrames and hands them to the pure functions in ``analytics``; returns plain
data, never widgets. :func:`burn_plan` is the month-by-month burn and runway the revenue engine and the
pitch read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Date, String, func, select, type_coerce
from sqlalchemy.orm import Session

from analytics.allocation import Workload, over_allocations, week_starts, weekly_load
from analytics.levelling import LevellingPlan, level
from analytics.reservations import gpu_needs, reservation_cost_by_month, reservation_coverage, reservations_vs_budget
from db import repo
from db.models import (
    Allocation,
    BudgetLine,
    ChangeLog,
    ComputeResource,
    GpuReservation,
    Person,
    Task,
    TaskDependency,
    Tracked,
    Workspace,
)
from db.views import BurnPlan, burn_plan, frame

# Seconds the levelling search may take inside a page run (the page's whole run must stay under 1.5 s); a
# plan that needs longer gets a partial suggestion, applied and then continued with another press.
LEVELLING_BUDGET_S = 0.6
# The heat map's window around today: a month of history, a year ahead.
WEEKS_BEFORE, WEEKS_AFTER = 4, 52
TASK_COLUMNS = ["name", "kind", "status", "start_date", "end_date"]
ALLOCATION_COLUMNS = ["task_id", "person_id", "compute_resource_id", "hours_per_week", "gpu_count"]


def budget_by_month(budget: pd.DataFrame) -> pd.DataFrame:
    """Planned vs actual per month and category (USD); variance = actual − planned where an actual exists."""
    if budget.empty:
        return pd.DataFrame(columns=["month", "category", "planned_usd", "actual_usd", "variance_usd"])
    keyed = budget.assign(month=pd.to_datetime(budget["month"]).dt.to_period("M").dt.to_timestamp())
    out = keyed.groupby(["month", "category"], as_index=False).agg(
        planned_usd=("planned_usd", "sum"), actual_usd=("actual_usd", lambda s: s.sum(min_count=1)))
    out["variance_usd"] = out["actual_usd"] - out["planned_usd"]
    return out


@dataclass(frozen=True)
class PlanData:
    """The rows the workload and levelling are computed from."""

    tasks: pd.DataFrame
    allocations: pd.DataFrame
    people: pd.DataFrame
    pools: pd.DataFrame


def plan_data(*, session: Session, workspace_id: int) -> PlanData:
    """Tasks, allocations (of live tasks and resources), people and GPU pools of a workspace."""
    tasks = _frame(session, Task, workspace_id, [*TASK_COLUMNS, "version"])
    allocations = _frame(session, Allocation, workspace_id, ALLOCATION_COLUMNS)
    people = frame(session=session, model=Person, workspace_id=workspace_id,
                   columns=["name", "role", "weekly_capacity_hours", "start_date", "end_date"])
    pools = frame(session=session, model=ComputeResource, workspace_id=workspace_id,
                  columns=["name", "gpu_type", "count", "start_date", "end_date"])
    allocations = allocations[allocations["task_id"].isin(tasks.index)]
    return PlanData(tasks, allocations, people, pools)


def _frame(session: Session, model: type[Tracked], workspace_id: int, columns: list[str]) -> pd.DataFrame:
    """Like :func:`db.views.frame`, but through Core with dates parsed by pandas in one vectorised call.

    Per-value date conversion in the driver layer dominated the page on the 5,000-task workspace; reading
    the stored text (SQLite) or the driver's dates (PostgreSQL) and converting the column at once is several
    times faster. Date columns come back as ``datetime.date`` (missing: NaT), as from :func:`frame`.
    """
    table = model.__table__
    dates = [c for c in columns if isinstance(table.c[c].type, Date)]
    selected = [type_coerce(getattr(model, c), String) if c in dates else getattr(model, c) for c in columns]
    stmt = select(model.id, *selected).where(
        model.workspace_id == workspace_id, model.deleted_at.is_(None)).order_by(model.id)  # type: ignore[attr-defined]
    rows = session.connection().execute(stmt).all()
    names = ["id", *columns]
    data = dict(zip(names, zip(*rows, strict=True), strict=True)) if rows else {c: [] for c in names}
    out = pd.DataFrame(data, columns=names).set_index("id")
    for column in dates:
        out[column] = pd.to_datetime(out[column].astype(object), errors="coerce").dt.date
    return out


def _weeks(today: date, weeks_before: int, weeks_after: int) -> pd.DatetimeIndex:
    return week_starts(today - timedelta(weeks=weeks_before), today + timedelta(weeks=weeks_after))


@dataclass(frozen=True)
class ResourceCards:
    """The page's headline counts, computed with the view so the page only draws them."""

    people: int  # live people
    gpus_in_pools: float  # largest size of each pool in the weeks shown, summed over pools
    over_weeks: int  # over-allocated (resource, week) pairs in the weeks shown
    over_weeks_ahead: int  # … of them from this week's Monday on (the past cannot be levelled)
    tasks_needing_gpus: int
    tasks_not_covered: int  # tasks needing GPUs that no reservation fully covers
    reserved_usd: float  # reserved GPU spend over the burn's months
    reserved_beyond_burn_usd: float  # reserved spend above the GPU pools' compute in the burn (not in the runway)


def this_monday(today: date) -> pd.Timestamp:
    """The Monday of ``today``'s week: over-allocation before it is history, from it on it can be levelled."""
    return pd.Timestamp(today - timedelta(days=today.weekday()))


def weeks_ahead(over: pd.DataFrame, today: date) -> int:
    """Over-allocated (resource, week) rows from this week on."""
    return 0 if over.empty else int((over["week"] >= this_monday(today)).sum())


def resource_cards(workload: Workload, over: pd.DataFrame, coverage: pd.DataFrame, reserved: pd.DataFrame,
                   today: date) -> ResourceCards:
    """People, GPUs in pools, over-allocated weeks, reservation coverage and reserved spend (USD)."""
    people = workload.names.index.get_level_values(0) == "person"
    pools = workload.capacity[~people]
    return ResourceCards(
        people=int(people.sum()), gpus_in_pools=float(pools.max(axis=1).sum()) if len(pools) else 0.0,
        over_weeks=len(over), over_weeks_ahead=weeks_ahead(over, today), tasks_needing_gpus=len(coverage),
        tasks_not_covered=int((coverage["coverage"] != "covered").sum()) if len(coverage) else 0,
        reserved_usd=float(reserved["reserved_usd"].sum()),
        reserved_beyond_burn_usd=float(reserved["uncovered_usd"].sum()))


@dataclass(frozen=True)
class ResourcesView:
    workspace: str
    illustrative: bool
    workload: Workload  # hours per person, GPUs per pool, per week around today
    over: pd.DataFrame  # over-allocated (resource, week) with the tasks causing it
    unscheduled: int  # allocations whose task has no dates (they load nothing)
    coverage: pd.DataFrame  # tasks needing GPUs vs the reservations covering them
    reserved: pd.DataFrame  # per month: gpu_hours, reserved_usd, compute_burn_usd, uncovered_usd
    budget: pd.DataFrame  # planned vs actual per month and category
    burn: BurnPlan
    gpu_types: list[str]  # known GPU names (catalogue, then those already in use)
    cards: ResourceCards


def gpu_type_choices(*, session: Session, workspace_id: int) -> list[str]:
    """GPU names from the bundled catalogue (analytics/data/gpus.csv) and the ones the workspace already uses."""
    try:
        from analytics.gpu_catalogue import gpu_table

        known = list(gpu_table()["name"])
    except (ImportError, OSError, KeyError):  # the catalogue is optional for this page
        known = []
    used = session.scalars(select(ComputeResource.gpu_type).where(
        ComputeResource.workspace_id == workspace_id, ComputeResource.deleted_at.is_(None)).distinct())
    reserved = session.scalars(select(GpuReservation.gpu_type).where(
        GpuReservation.workspace_id == workspace_id, GpuReservation.deleted_at.is_(None)).distinct())
    return list(dict.fromkeys([*known, *sorted(set(used) | set(reserved))]))


def resources_view(*, session: Session, workspace_id: int, today: date | None = None,
                   weeks_before: int = WEEKS_BEFORE, weeks_after: int = WEEKS_AFTER) -> ResourcesView:
    """Everything the Resources page shows below its grids, computed for the workspace as of ``today``."""
    today = today or date.today()
    ws = repo.get(session=session, model=Workspace, row_id=workspace_id)
    data = plan_data(session=session, workspace_id=workspace_id)
    workload = weekly_load(data.tasks, data.allocations, data.people, data.pools,
                           _weeks(today, weeks_before, weeks_after))
    over = over_allocations(workload, data.tasks, data.allocations)
    undated = data.tasks[data.tasks["start_date"].isna() | data.tasks["end_date"].isna()].index
    reservations = frame(session=session, model=GpuReservation, workspace_id=workspace_id,
                         columns=["task_id", "gpu_type", "provider", "count", "start_date", "end_date",
                                  "hourly_rate_usd", "status"])
    coverage = reservation_coverage(gpu_needs(data.tasks, data.allocations, data.pools), reservations)
    burn = burn_plan(session=session, workspace_id=workspace_id, today=today)
    reserved = reservations_vs_budget(reservation_cost_by_month(reservations, pd.DatetimeIndex(burn.burn.index)),
                                      burn.burn["compute"])
    budget = budget_by_month(frame(session=session, model=BudgetLine, workspace_id=workspace_id,
                                   columns=["category", "month", "planned_usd", "actual_usd"]))
    return ResourcesView(ws.name, ws.illustrative, workload, over, int(data.allocations["task_id"].isin(undated).sum()),
                         coverage, reserved, budget, burn, gpu_type_choices(session=session, workspace_id=workspace_id),
                         resource_cards(workload, over, coverage, reserved, today))


def change_head(*, session: Session) -> int:
    """Id of the newest change-log entry (0 when none). Every write adds one (db.history), so a page can key
    a cache on it: a cached view is reused until anything is written."""
    return int(session.scalar(select(func.max(ChangeLog.id))) or 0)


@dataclass(frozen=True)
class LevellingPreview:
    """A levelling suggestion with the workload after it; ``versions`` guard the apply against stale data."""

    plan: LevellingPlan
    workload_after: Workload
    over_after: pd.DataFrame
    versions: dict[int, int]  # task id → version the preview was computed from (moved tasks only)
    float_source: str
    over_after_ahead: int  # over-allocated (resource, week) rows left from this week on


def total_float(tasks: pd.DataFrame, links: pd.DataFrame) -> tuple[pd.Series, str]:
    """Total float in calendar days per dated task from the critical path of the current dates.

    Each task's current start is its "start no earlier than", so the float is what the plan as it stands
    leaves. Uses the Roadmap's ``analytics.schedule.critical_path``; if that cannot run (a cycle), every task
    counts as critical and the returned sentence says why.
    """
    dated = tasks.dropna(subset=["start_date", "end_date"])
    if dated.empty:
        return pd.Series(dtype=float), "no dated tasks"
    from analytics.schedule import critical_path

    start = pd.to_datetime(dated["start_date"])
    origin = start.min()
    cpm_tasks = pd.DataFrame({"id": dated.index, "name": dated["name"].to_numpy(),
                              "duration": (pd.to_datetime(dated["end_date"]) - start).dt.days.to_numpy(dtype=float),
                              "not_before": (start - origin).dt.days.to_numpy(dtype=float)})
    live = links[links["predecessor_id"].isin(dated.index) & links["successor_id"].isin(dated.index)]
    cpm_links = pd.DataFrame({"predecessor": live["predecessor_id"].to_numpy(),
                              "successor": live["successor_id"].to_numpy(), "kind": live["kind"].to_numpy(),
                              "lag": live["lag_days"].to_numpy(dtype=float)})
    try:
        cpm = critical_path(cpm_tasks, cpm_links)
    except ValueError as exc:
        return pd.Series(0.0, index=dated.index), f"critical path unavailable ({exc}); every task treated as critical"
    return cpm["total_float"].astype(float), "total float from the critical path of the current dates"


def levelling_preview(*, session: Session, workspace_id: int, today: date | None = None,
                      weeks_before: int = WEEKS_BEFORE, weeks_after: int = WEEKS_AFTER,
                      time_budget_s: float | None = LEVELLING_BUDGET_S) -> LevellingPreview:
    """Suggest new dates that remove over-allocation (nothing is written).

    Only tasks not started yet (status "todo", starting after ``today``) may move; milestones and summary
    tasks keep their dates unless a dependency pushes them. ``time_budget_s`` bounds the search (None: none).
    """
    today = today or date.today()
    data = plan_data(session=session, workspace_id=workspace_id)
    links = _frame(session, TaskDependency, workspace_id, ["predecessor_id", "successor_id", "kind", "lag_days"])
    flt, source = total_float(data.tasks, links)
    starts = pd.to_datetime(data.tasks["start_date"])
    movable = (data.tasks["status"] == "todo") & (data.tasks["kind"] == "task") & (starts > pd.Timestamp(today))
    plan = level(data.tasks, data.allocations, data.people, data.pools, flt, links, movable=movable,
                 time_budget_s=time_budget_s)
    after_tasks = data.tasks.assign(start_date=plan.new_dates["start_date"], end_date=plan.new_dates["end_date"])
    workload = weekly_load(after_tasks, data.allocations, data.people, data.pools,
                           _weeks(today, weeks_before, weeks_after))
    # One vectorised lookup: a .at per moved task cost ~20 ms on a 600-move preview.
    moved_versions = data.tasks["version"].reindex(plan.moves.index)
    versions = dict(zip(plan.moves.index.astype(int).tolist(), moved_versions.astype(int).tolist(), strict=True))
    over_after = over_allocations(workload, after_tasks, data.allocations)
    return LevellingPreview(plan, workload, over_after, versions, source, weeks_ahead(over_after, today))
