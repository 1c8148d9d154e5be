"""What each exported/imported table looks like: its model, its columns, and the columns shown by name.

A sheet's plain columns are model fields with the same name. Link columns carry a name (project,
milestone, person, GPU pool, task) or the file's own task id instead of a database id, so a file can move
between workspaces; :mod:`db.io.loader` resolves them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from db.models import (
    Allocation,
    BudgetLine,
    ComputeResource,
    FundingRound,
    GpuReservation,
    Milestone,
    Person,
    Project,
    Risk,
    Task,
    Tracked,
)


@dataclass(frozen=True)
class SheetSpec:
    """One table of a file: ``fields`` are model columns; ``links`` are resolved by name or file id."""

    name: str  # sheet / file kind, e.g. "tasks"
    model: type[Tracked]
    fields: tuple[str, ...]
    links: tuple[str, ...] = ()  # e.g. ("id", "project", "predecessors")
    required: tuple[str, ...] = ()  # columns a file must have

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column, in the order an export writes them."""
        return self.links + self.fields

    @cached_property
    def text_fields(self) -> frozenset[str]:
        # Cached: the loader asks for every cell, and the model's columns never change (a third of the
        # file-checking time on 5,000 tasks was rebuilding this set).
        return frozenset(f for f in self.fields if self.model.__table__.c[f].type.python_type is str)


PROJECTS = SheetSpec("projects", Project,
                     ("name", "phase", "status", "start_date", "target_date", "sort_order", "description"),
                     required=("name",))
MILESTONES = SheetSpec("milestones", Milestone, ("name", "due_date", "status", "description"), ("project",),
                       required=("project", "name"))
PEOPLE = SheetSpec("people", Person,
                   ("name", "role", "monthly_cost_usd", "weekly_capacity_hours", "start_date", "end_date"),
                   required=("name",))
COMPUTE = SheetSpec("compute", ComputeResource,
                    ("name", "gpu_type", "count", "hourly_rate_usd", "pricing", "utilisation", "start_date",
                     "end_date"), required=("name", "gpu_type"))
BUDGET = SheetSpec("budget", BudgetLine, ("category", "name", "month", "planned_usd", "actual_usd"),
                   required=("category", "name", "month"))
FUNDING = SheetSpec("funding", FundingRound, ("name", "kind", "amount_usd", "close_date", "status"),
                    required=("name", "kind", "amount_usd", "close_date"))
TASKS = SheetSpec(
    "tasks", Task,
    ("name", "kind", "status", "start_date", "end_date", "optimistic_days", "likely_days", "pessimistic_days",
     "percent_done", "notes"),
    ("id", "project", "milestone", "parent", "assignee", "predecessors"),
    required=("id", "project", "name"),
)
# A person (hours a week) or a GPU pool (GPUs) on a task: a constant weekly amount over the task's dates.
ALLOCATIONS = SheetSpec(
    "allocations", Allocation, ("hours_per_week", "gpu_count"), ("task", "person", "gpu_pool"),
    required=("task",),
)
GPU_RESERVATIONS = SheetSpec(
    "gpu_reservations", GpuReservation,
    ("gpu_type", "provider", "count", "start_date", "end_date", "hourly_rate_usd", "status"), ("task",),
    required=("gpu_type", "start_date", "end_date"),
)
RISKS = SheetSpec(
    "risks", Risk,
    ("code", "kind", "category", "title", "cause", "event", "effect", "probability_pct", "impact", "impact_usd",
     "schedule_impact_days", "response", "mitigation", "trigger", "status", "review_date", "private", "sources"),
    ("owner", "tasks"),
    required=("category", "title"),
)

# Import order: a sheet may refer only to sheets before it (people before assignees, tasks before risks).
SHEETS: dict[str, SheetSpec] = {s.name: s for s in (
    PEOPLE, COMPUTE, BUDGET, FUNDING, PROJECTS, MILESTONES, TASKS, ALLOCATIONS, GPU_RESERVATIONS, RISKS)}
# Which database column a link column fills, for naming a repository's complaint in file terms.
LINK_FIELDS = {"project": "project_id", "milestone": "milestone_id", "parent": "parent_id",
               "assignee": "assignee_id", "owner": "owner_id", "task": "task_id", "person": "person_id",
               "gpu_pool": "compute_resource_id"}
