"""The compute cost engine's tables (issue 4): a workspace's GPU rows, its price rows and its cost scenarios.

Split out of ``db.models`` (which keeps its 400-line cap) and re-exported from it: import them from
``db.models``, which imports this module at its compute section, so ``Base.metadata`` (and Alembic, history,
restore and backups, through ``TRACKED_MODELS``) always see them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models import PRICING_KINDS, Base, Tracked

COST_SCENARIO_KINDS = ("training", "serving", "both")


class GpuOverride(Tracked, Base):
    """A workspace's own GPU catalogue row: a new GPU, or its figures for a bundled one (same key)."""

    __tablename__ = "gpu_override"
    __label__ = "GPU catalogue row"
    __unique_live__ = (("workspace_id", "gpu"),)

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id"), index=True)
    gpu: Mapped[str] = mapped_column(String(40), info={"label": "GPU key"})
    name: Mapped[str] = mapped_column(String(120))
    # Dense peaks in TFLOP/s; memory in GB; bandwidth in TB/s (the units of analytics/data/gpus.csv).
    bf16_tflops: Mapped[float] = mapped_column(info={"min": 0, "label": "bf16 TFLOP/s"})
    fp8_tflops: Mapped[float | None] = mapped_column(info={"min": 0, "label": "fp8 TFLOP/s"})
    fp32_tflops: Mapped[float | None] = mapped_column(info={"min": 0, "label": "fp32 TFLOP/s"})
    memory_gb: Mapped[float] = mapped_column(info={"min": 0, "label": "memory (GB)"})
    bandwidth_tbs: Mapped[float] = mapped_column(info={"min": 0, "label": "bandwidth (TB/s)"})
    # One price with no provider or kind: used for every kind unless a GpuPrice row of that kind exists.
    usd_per_gpu_hour: Mapped[float | None] = mapped_column(info={"min": 0, "label": "$/GPU-hour"})
    # Every figure keeps where it came from and when, like the bundled rows.
    source: Mapped[str] = mapped_column(Text)
    as_of: Mapped[str] = mapped_column(String(20), info={"label": "as of"})


class GpuPrice(Tracked, Base):
    """A workspace's own $/GPU-hour for one GPU, provider and kind (a negotiated reserved price, a quote).

    Its rows for a (GPU, kind) replace the bundled price rows of that (GPU, kind): see
    :func:`analytics.gpu_catalogue.merge_prices`.
    """

    __tablename__ = "gpu_price"
    __label__ = "GPU price"
    __unique_live__ = (("workspace_id", "gpu", "provider", "kind"),)

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id"), index=True)
    # A bundled catalogue key or one of the workspace's own GPU rows (checked by db.gpu_prices).
    gpu: Mapped[str] = mapped_column(String(40), info={"label": "GPU key"})
    provider: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20), info={"choices": PRICING_KINDS})
    # Above zero (db.gpu_prices says so; a "min" here would let 0 through with a less exact message).
    usd_per_gpu_hour: Mapped[float] = mapped_column(info={"label": "$/GPU-hour"})
    source: Mapped[str] = mapped_column(Text)
    as_of: Mapped[str] = mapped_column(String(20), info={"label": "as of"})


class CostScenario(Tracked, Base):
    """A saved compute-cost estimate. The figures the revenue engine reads are real columns."""

    __tablename__ = "cost_scenario"
    __label__ = "cost scenario"
    __unique_live__ = (("workspace_id", "name"),)

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20), default="both", info={"choices": COST_SCENARIO_KINDS})
    gpu: Mapped[str] = mapped_column(String(40), default="", info={"label": "GPU key"})
    # The form's inputs and every computed figure, so a scenario can be shown and recomputed later.
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    results: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Serving COGS per 1M tokens (the sized fleet's cost per token) and the training cost, in USD.
    serving_usd_per_m_input: Mapped[float | None] = mapped_column(info={"min": 0, "label": "$/1M input tokens"})
    serving_usd_per_m_output: Mapped[float | None] = mapped_column(info={"min": 0, "label": "$/1M output tokens"})
    training_cost_usd: Mapped[float | None] = mapped_column(info={"min": 0, "label": "training cost (USD)"})
    # None: the training cost is one-off; N: spread evenly over N months (training_cost_usd / N a month).
    training_amortise_months: Mapped[int | None] = mapped_column(info={"min": 1, "label": "amortised over (months)"})
    # Private scenarios stay internal: never in the pitch view or an export.
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
