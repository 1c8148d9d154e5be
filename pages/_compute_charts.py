"""Plotly figures of the Compute cost page (not a page: the underscore keeps it out of the navigation)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics.compute_report import CostReport

_LAYOUT = {"height": 320, "margin": {"l": 10, "r": 10, "t": 30, "b": 10}, "legend": {"orientation": "h", "y": -0.2}}
_PARTS = {"weights": "#1D4ED8", "gradients": "#60A5FA", "optimiser": "#93C5FD", "activations": "#F59E0B",
          "overhead": "#9CA3AF"}


def cost_vs_mfu(report: CostReport) -> go.Figure:
    """Training cost (base price) over MFU, with the MFU range used shaded."""
    data = report.cost_vs_mfu
    fig = go.Figure(go.Scatter(x=data["mfu"], y=data["cost_usd"], mode="lines", name="training cost",
                               customdata=data["wall_clock_days"],
                               hovertemplate="MFU %{x:.0%}: %{y:$,.0f}, %{customdata:.1f} days<extra></extra>"))
    # One label for the shaded low–high range and the base line, right of the line so they never overlap.
    fig.add_vrect(x0=report.mfu.low, x1=report.mfu.high, fillcolor="#DBEAFE", opacity=0.5, line_width=0)
    fig.add_vline(x=report.mfu.base, line_dash="dash", line_color="#1D4ED8",
                  annotation_text=f"base {report.mfu.base:.0%} (low–high shaded)", annotation_position="top right",
                  annotation_font_size=11)
    fig.update_layout(**_LAYOUT, xaxis={"title": "model FLOPs utilisation (MFU)", "tickformat": ".0%"},
                      yaxis={"title": "training cost, USD", "tickformat": "$~s"})
    return fig


def cost_vs_gpu(report: CostReport) -> go.Figure:
    """Training cost by GPU type at each GPU's default MFU and catalogue price."""
    data = report.cost_vs_gpu
    fig = go.Figure(go.Bar(x=data["cost_usd"], y=data["gpu"], orientation="h", texttemplate="%{x:$,.3~s}",
                           textposition="auto", cliponaxis=False,
                           customdata=list(zip(data["price"], data["mfu"], data["wall_clock_days"], strict=True)),
                           hovertemplate="%{y}: %{x:$,.0f} at $%{customdata[0]:.2f}/h, MFU %{customdata[1]:.0%}, "
                                         "%{customdata[2]:.1f} days<extra></extra>"))
    fig.update_layout(**_LAYOUT, xaxis={"title": "training cost, USD", "tickformat": "$~s"},
                      yaxis={"title": "GPU (catalogue key)", "autorange": "reversed"})
    return fig


def memory_bars(memory: pd.DataFrame) -> go.Figure:
    """Per-GPU training memory, stacked by part, with and without activation recomputation."""
    fig = go.Figure()
    for part, colour in _PARTS.items():
        fig.add_bar(x=memory.index, y=memory[part], name=part, marker_color=colour, hovertemplate="%{y:,.1f} GB")
    fig.add_hline(y=float(memory["gpu_memory_gb"].iloc[0]), line_dash="dot", line_color="#DC2626",
                  annotation_text="GPU memory", annotation_position="top right")
    fig.update_layout(**_LAYOUT, barmode="stack", yaxis={"title": "GB per GPU"}, legend_traceorder="normal")
    return fig


def serving_curve(report: CostReport) -> go.Figure:
    """$ per 1M input and output tokens as utilisation rises, with your utilisation and the fleet's marked."""
    data = report.serving_curve
    fig = go.Figure()
    fig.add_scatter(x=data["utilisation"], y=data["usd_per_m_output"], name="output tokens", mode="lines",
                    hovertemplate="%{x:.0%}: $%{y:,.3f}/1M")
    fig.add_scatter(x=data["utilisation"], y=data["usd_per_m_input"], name="input tokens", mode="lines",
                    hovertemplate="%{x:.0%}: $%{y:,.3f}/1M")
    fig.add_vline(x=report.request.utilisation, line_dash="dash", line_color="#1D4ED8",
                  annotation_text=f"yours: {report.request.utilisation:.0%}", annotation_position="top right",
                  annotation_font_size=11)
    if report.serving is not None:  # where the sized fleet sits: the curve there is the fleet $/1M (COGS)
        fleet = report.serving.fleet_utilisation
        fig.add_vline(x=fleet, line_dash="dot", line_color="#DC2626", annotation_text=f"fleet: {fleet:.0%}",
                      annotation_position="bottom right", annotation_font_size=11)
    fig.update_layout(**_LAYOUT, xaxis={"title": "utilisation (share of paid GPU-hours busy)", "tickformat": ".0%"},
                      yaxis={"title": "USD per 1M tokens", "tickprefix": "$", "rangemode": "tozero"})
    return fig


# Column headers with units for the workspace GPU grid (units of analytics/data/gpus.csv).
GPU_COLUMNS = {
    "gpu": st.column_config.TextColumn("Key", help="lower-case letters, digits, '.', '-'; a bundled key overrides it"),
    "name": st.column_config.TextColumn("Name"),
    "bf16_tflops": st.column_config.NumberColumn("bf16 TFLOP/s", help="dense bf16/fp16 peak"),
    "fp8_tflops": st.column_config.NumberColumn("fp8 TFLOP/s", help="dense; empty: no fp8 tensor cores"),
    "fp32_tflops": st.column_config.NumberColumn("fp32 TFLOP/s"),
    "memory_gb": st.column_config.NumberColumn("Memory (GB)"),
    "bandwidth_tbs": st.column_config.NumberColumn("Bandwidth (TB/s)"),
    "usd_per_gpu_hour": st.column_config.NumberColumn("$ / GPU-hour", format="$%.2f"),
    "source": st.column_config.TextColumn("Source"),
    "as_of": st.column_config.TextColumn("As of"),
}


# The merged catalogue's columns as shown: units in the headers, provenance last.
CATALOGUE_COLUMNS = {
    "name": st.column_config.TextColumn("Name"),
    "origin": st.column_config.TextColumn("Origin", help="catalogue (bundled), workspace (own row) or override"),
    **{c: GPU_COLUMNS[c] for c in ("bf16_tflops", "fp32_tflops", "memory_gb", "bandwidth_tbs", "source")},
    "fp8_tflops": st.column_config.NumberColumn("fp8 TFLOP/s", help="dense; None: no fp8 tensor cores"),
    "usd_per_gpu_hour": st.column_config.NumberColumn("Workspace $ / GPU-hour",
                                                      help="this workspace's price; bundled prices below",
                                                      format="$%.2f"),
    "as_of": st.column_config.TextColumn("As of", help="date of the source"),
}
CATALOGUE_ORDER = ["name", "origin", "bf16_tflops", "fp8_tflops", "fp32_tflops", "memory_gb", "bandwidth_tbs",
                   "usd_per_gpu_hour", "as_of", "source"]
PRICE_COLUMNS = {"provider": "Provider", "gpu": "GPU", "kind": "Kind",
                 "usd_per_gpu_hour": st.column_config.NumberColumn("$ / GPU-hour", format="$%.2f"),
                 "source": "Source", "as_of": "As of",
                 "origin": st.column_config.TextColumn("Origin", help="catalogue (bundled), workspace (your price "
                                                       "row) or workspace GPU row (its one price, every kind)")}


def price_edit_columns(gpus: list[str], kinds: list[str]) -> dict:
    """The "Your prices" grid's columns: choices for the GPU and kind, units in the headers."""
    return {"gpu": st.column_config.SelectboxColumn("GPU", options=gpus, required=True),
            "provider": st.column_config.TextColumn("Provider", required=True, max_chars=80),
            "kind": st.column_config.SelectboxColumn("Kind", options=kinds, required=True),
            "usd_per_gpu_hour": st.column_config.NumberColumn("$ / GPU-hour", format="$%.2f", min_value=0.0,
                                                              required=True),
            "source": st.column_config.TextColumn("Source", required=True, help="where the price comes from"),
            "as_of": st.column_config.TextColumn("As of", required=True, max_chars=20, help="date of the source")}
BREAK_EVEN_COLUMNS = {
    "provider": "Provider", "model": "API model",
    "api_usd_per_m_blended": st.column_config.NumberColumn("API $ / 1M tokens (blended)", format="$%.3f",
                                                           help="at this request's input:output mix"),
    "api_monthly_usd": st.column_config.NumberColumn("API / month", format="dollar"),
    "self_host_monthly_usd": st.column_config.NumberColumn("Self-host / month", format="dollar"),
    "break_even_tokens_per_day": st.column_config.NumberColumn(
        "Break-even tokens / day", format="compact", help="Above it self-hosting is cheaper. None: the API is "
        "cheaper at any volume."),
    "as_of": st.column_config.TextColumn("Prices as of"),
}
