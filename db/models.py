"""Typed SQLAlchemy 2 ORM models for a workspace (one startup plan).

Column ``info`` carries what validation needs to name a field in a message: a ``label``,
allowed ``choices`` and numeric ``min``/``max``. Every tracked table has a soft-delete
timestamp and an optimistic ``version`` counter, so a stale edit is refused, never merged.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column


def utcnow() -> datetime:
    """Timezone-naive UTC now: SQLite has no time zones, so store UTC everywhere."""
    return datetime.now(UTC).replace(tzinfo=None)


# Named constraints let later migrations drop or alter them on SQLite (batch mode needs names).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        datetime: DateTime(),
        date: Date(),
        float: Float(),
    }


class Tracked:
    """Columns shared by every user-edited table: identity, audit times, soft delete, version."""

    # Pairs (smaller, larger) of fields that must be in order: dates, three-point estimates.
    __ordered__: ClassVar[tuple[tuple[str, str], ...]] = ()
    # Human name of the table in messages ("task", "budget line").
    __label__: ClassVar[str] = "row"
    # Field sets no two live rows may share; checked again on restore, when a deleted row comes back.
    __unique_live__: ClassVar[tuple[tuple[str, ...], ...]] = ()

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 - SQLAlchemy declared_attr
        return {"version_id_col": cls.__table__.c.version}


PROJECT_STATUSES = ("planned", "active", "on_hold", "done")
MILESTONE_STATUSES = ("open", "done")
TASK_KINDS = ("task", "milestone", "summary")
TASK_STATUSES = ("todo", "in_progress", "blocked", "done")
DEPENDENCY_KINDS = ("FS", "SS", "FF", "SF")
PRICING_KINDS = ("on_demand", "reserved", "spot")
BUDGET_CATEGORIES = ("rd", "marketing", "operations")
FUNDING_KINDS = ("angel", "seed", "vc", "grant", "crowdfunding")
FUNDING_STATUSES = ("planned", "committed", "closed")
RISK_CATEGORIES = ("technical", "market", "financial", "legal", "operational", "ethical")
RISK_KINDS = ("threat", "opportunity")
RISK_RESPONSES = ("avoid", "mitigate", "transfer", "accept", "escalate", "exploit", "enhance", "share")
RISK_STATUSES = ("open", "monitoring", "closed")
RESERVATION_STATUSES = ("requested", "confirmed", "active", "released", "cancelled")


class Workspace(Tracked, Base):
    __tablename__ = "workspace"
    __label__ = "workspace"
    __unique_live__ = (("name",),)

    name: Mapped[str] = mapped_column(String(120), info={"label": "name"})
    description: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    # True for the demo workspace: every number in it is illustrative and the UI says so.
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    cash_on_hand_usd: Mapped[float | None] = mapped_column(info={"min": 0})
    cash_as_of: Mapped[date | None] = mapped_column()


class Project(Tracked, Base):
    __tablename__ = "project"
    __label__ = "project"
    __ordered__ = (("start_date", "target_date"),)

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    phase: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="planned", info={"choices": PROJECT_STATUSES})
    start_date: Mapped[date | None] = mapped_column()
    target_date: Mapped[date | None] = mapped_column()
    sort_order: Mapped[int] = mapped_column(default=0)


class Milestone(Tracked, Base):
    __tablename__ = "milestone"
    __label__ = "milestone"

    # Denormalised from the project so every workspace query is one indexed filter.
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    due_date: Mapped[date | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="open", info={"choices": MILESTONE_STATUSES})


class Person(Tracked, Base):
    __tablename__ = "person"
    __label__ = "person"
    __ordered__ = (("start_date", "end_date"),)

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(80), default="")
    monthly_cost_usd: Mapped[float] = mapped_column(default=0.0, info={"min": 0})
    weekly_capacity_hours: Mapped[float] = mapped_column(default=40.0, info={"min": 0, "max": 168})
    start_date: Mapped[date | None] = mapped_column()
    end_date: Mapped[date | None] = mapped_column()


class Task(Tracked, Base):
    __tablename__ = "task"
    __label__ = "task"
    __ordered__ = (
        ("start_date", "end_date"),
        ("optimistic_days", "likely_days"),
        ("likely_days", "pessimistic_days"),
        ("optimistic_days", "pessimistic_days"),
    )

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestone.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="task", info={"choices": TASK_KINDS})
    status: Mapped[str] = mapped_column(String(20), default="todo", info={"choices": TASK_STATUSES})
    start_date: Mapped[date | None] = mapped_column()
    end_date: Mapped[date | None] = mapped_column()
    # Three-point estimate in days (PERT): optimistic <= likely <= pessimistic. The schedule counts
    # calendar days by default (as the burn does); the Roadmap can switch to working days.
    optimistic_days: Mapped[float | None] = mapped_column(info={"min": 0})
    likely_days: Mapped[float | None] = mapped_column(info={"min": 0})
    pessimistic_days: Mapped[float | None] = mapped_column(info={"min": 0})
    percent_done: Mapped[float] = mapped_column(default=0.0, info={"min": 0, "max": 100})
    notes: Mapped[str] = mapped_column(Text, default="")


class TaskDependency(Tracked, Base):
    __tablename__ = "task_dependency"
    __label__ = "dependency"
    __table_args__ = (UniqueConstraint("predecessor_id", "successor_id", name="dependency_pair"),)

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id"), index=True)
    predecessor_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)
    successor_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)
    kind: Mapped[str] = mapped_column(String(2), default="FS", info={"choices": DEPENDENCY_KINDS})
    lag_days: Mapped[float] = mapped_column(default=0.0)


class ComputeResource(Tracked, Base):
    __tablename__ = "compute_resource"
    __label__ = "compute resource"
    __ordered__ = (("start_date", "end_date"),)

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    gpu_type: Mapped[str] = mapped_column(String(80))
    count: Mapped[int] = mapped_column(default=1, info={"min": 0})
    hourly_rate_usd: Mapped[float] = mapped_column(default=0.0, info={"min": 0, "label": "$/GPU-hour"})
    pricing: Mapped[str] = mapped_column(String(20), default="on_demand", info={"choices": PRICING_KINDS})
    utilisation: Mapped[float] = mapped_column(default=1.0, info={"min": 0, "max": 1})
    start_date: Mapped[date | None] = mapped_column()
    end_date: Mapped[date | None] = mapped_column()


class BudgetLine(Tracked, Base):
    __tablename__ = "budget_line"
    __label__ = "budget line"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id"), index=True)
    category: Mapped[str] = mapped_column(String(20), info={"choices": BUDGET_CATEGORIES})
    name: Mapped[str] = mapped_column(String(200))
    month: Mapped[date] = mapped_column()
    planned_usd: Mapped[float] = mapped_column(default=0.0, info={"min": 0})
    actual_usd: Mapped[float | None] = mapped_column(info={"min": 0})


class FundingRound(Tracked, Base):
    __tablename__ = "funding_round"
    __label__ = "funding round"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20), info={"choices": FUNDING_KINDS})
    amount_usd: Mapped[float] = mapped_column(info={"min": 0})
    close_date: Mapped[date] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="planned", info={"choices": FUNDING_STATUSES})


class Risk(Tracked, Base):
    __tablename__ = "risk"
    __label__ = "risk"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    code: Mapped[str | None] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20), default="threat", info={"choices": RISK_KINDS})
    category: Mapped[str] = mapped_column(String(20), info={"choices": RISK_CATEGORIES})
    title: Mapped[str] = mapped_column(String(200))
    cause: Mapped[str] = mapped_column(Text, default="")
    event: Mapped[str] = mapped_column(Text, default="")
    effect: Mapped[str] = mapped_column(Text, default="")
    probability_pct: Mapped[float] = mapped_column(default=10.0, info={"min": 0, "max": 100})
    impact: Mapped[int] = mapped_column(default=3, info={"min": 1, "max": 5})
    impact_usd: Mapped[float] = mapped_column(default=0.0, info={"min": 0})
    response: Mapped[str] = mapped_column(String(20), default="mitigate", info={"choices": RISK_RESPONSES})
    mitigation: Mapped[str] = mapped_column(Text, default="")
    trigger: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open", info={"choices": RISK_STATUSES})
    review_date: Mapped[date | None] = mapped_column()
    # Private risks stay internal: never in the pitch view or an export.
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    sources: Mapped[str] = mapped_column(Text, default="")
    # Delay (days, as the estimates) the event adds to each linked task when it happens, so the schedule
    # Monte Carlo's P80 date includes risk events; impact_usd is its cost in the same draw.
    schedule_impact_days: Mapped[float] = mapped_column(default=0.0, info={"min": 0, "label": "delay (days)"})


class Baseline(Tracked, Base):
    """A saved snapshot of the plan, so current dates can be compared against it (slip)."""

    __tablename__ = "baseline"
    __label__ = "baseline"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Frozen at save time and never edited: {"<task id>": {"name", "kind", "start", "end", "likely_days"}}.
    # JSON rather than a child table because a baseline is read whole and never queried by task.
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Allocation(Tracked, Base):
    """A person (hours a week) or a GPU pool (GPUs) assigned to a task for the task's whole span.

    Load per week follows the task's dates, so shifting a task (levelling) moves its load with it.
    """

    __tablename__ = "allocation"
    __label__ = "allocation"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    compute_resource_id: Mapped[int | None] = mapped_column(ForeignKey("compute_resource.id"), index=True)
    hours_per_week: Mapped[float] = mapped_column(default=0.0, info={"min": 0, "max": 168})
    gpu_count: Mapped[float] = mapped_column(default=0.0, info={"min": 0, "label": "GPUs"})


class GpuReservation(Tracked, Base):
    """A dated GPU commitment (count × hours × rate), shown against the tasks that need it and the budget."""

    __tablename__ = "gpu_reservation"
    __label__ = "GPU reservation"
    __ordered__ = (("start_date", "end_date"),)

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)
    gpu_type: Mapped[str] = mapped_column(String(80), info={"label": "GPU type"})
    provider: Mapped[str] = mapped_column(String(80), default="")
    count: Mapped[int] = mapped_column(default=1, info={"min": 1})
    start_date: Mapped[date] = mapped_column()
    end_date: Mapped[date] = mapped_column()
    hourly_rate_usd: Mapped[float] = mapped_column(default=0.0, info={"min": 0, "label": "$/GPU-hour"})
    status: Mapped[str] = mapped_column(String(20), default="requested", info={"choices": RESERVATION_STATUSES})


class RiskTaskLink(Tracked, Base):
    """A risk that, if it happens, delays this task (by the risk's schedule impact)."""

    __tablename__ = "risk_task"
    __label__ = "risk link"
    __table_args__ = (UniqueConstraint("risk_id", "task_id", name="risk_task_pair"),)

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id"), index=True)
    risk_id: Mapped[int] = mapped_column(ForeignKey("risk.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)


class ChangeLog(Base):
    """Append-only history: who changed which row when, with the values before and after."""

    __tablename__ = "change_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120), default="system")
    workspace_id: Mapped[int | None] = mapped_column(index=True)
    table_name: Mapped[str] = mapped_column(String(60))
    row_id: Mapped[int] = mapped_column()
    action: Mapped[str] = mapped_column(String(20))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


PLAN_MODELS: tuple[type[Tracked], ...] = (
    Workspace, Project, Milestone, Person, Task, TaskDependency,
    ComputeResource, BudgetLine, FundingRound, Risk,
    Baseline, Allocation, GpuReservation, RiskTaskLink,
)

# --- compute cost engine (issue 4): its tables live in db/models_compute.py, listed in COMPUTE_MODELS ---
# Imported by name (re-exported here, so `from db.models import GpuOverride` keeps working); import
# db.models (not db.models_compute) first, as every module does, or the circular import fails.
from db.models_compute import COST_SCENARIO_KINDS, CostScenario, GpuOverride, GpuPrice  # noqa: E402,F401

COMPUTE_MODELS: tuple[type[Tracked], ...] = (GpuOverride, CostScenario, GpuPrice)

# --- modelhub (issue 5): its tables go below this line, listed in MODELHUB_MODELS ---
# Benchmark runs and jobs are global measurements of a machine, not Tracked: see db/models_modelhub.py.
import db.models_modelhub  # noqa: E402,F401 - registers the tables on Base.metadata

MODELHUB_MODELS: tuple[type[Tracked], ...] = ()

# --- economics (issues 6 and 8): revenue scenarios, market/pitch documents, checklists (db/models_economics.py) ---
from db.models_economics import ChecklistItem, RevenueScenario, WorkspaceDocument  # noqa: E402

ECONOMICS_MODELS: tuple[type[Tracked], ...] = (RevenueScenario, WorkspaceDocument, ChecklistItem)

# Every user-edited table: validation, history, the restore list and backups walk this tuple.
TRACKED_MODELS: tuple[type[Tracked], ...] = PLAN_MODELS + COMPUTE_MODELS + MODELHUB_MODELS + ECONOMICS_MODELS
