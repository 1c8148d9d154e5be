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
    fig.add_vrect(x0=report.mfu.low, x1=report.mfu.high, fillcolor="#DBEAFE", opacity=0.5, line_width=0,
                  annotation_text="range used", annotation_position="top left")
    fig.add_vline(x=report.mfu.base, line_dash="dash", line_color="#1D4ED8")
    fig.update_layout(**_LAYOUT, xaxis={"title": "model FLOPs utilisation", "tickformat": ".0%"},
                      yaxis={"title": "cost, USD", "tickformat": "$~s"})
    return fig


def cost_vs_gpu(report: CostReport) -> go.Figure:
    """Training cost by GPU type at each GPU's default MFU and catalogue price."""
    data = report.cost_vs_gpu
    fig = go.Figure(go.Bar(x=data["cost_usd"], y=data["gpu"], orientation="h",
                           customdata=list(zip(data["price"], data["mfu"], data["wall_clock_days"], strict=True)),
                           hovertemplate="%{y}: %{x:$,.0f} at $%{customdata[0]:.2f}/h, MFU %{customdata[1]:.0%}, "
                                         "%{customdata[2]:.1f} days<extra></extra>"))
    fig.update_layout(**_LAYOUT, xaxis={"title": "cost, USD", "tickformat": "$~s"}, yaxis={"autorange": "reversed"})
    return fig


def memory_bars(memory: pd.DataFrame) -> go.Figure:
    """Per-GPU training memory, stacked by part, with and without activation recomputation."""
    fig = go.Figure()
    for part, colour in _PARTS.items():
        fig.add_bar(x=memory.index, y=memory[part], name=part, marker_color=colour, hovertemplate="%{y:,.1f} GB")
    fig.add_hline(y=float(memory["gpu_memory_gb"].iloc[0]), line_dash="dot", line_color="#DC2626",
                  annotation_text="GPU memory", annotation_position="top right")
    fig.update_layout(**_LAYOUT, barmode="stack", yaxis={"title": "GB per GPU"})
    return fig


def serving_curve(report: CostReport) -> go.Figure:
    """$ per 1M input and output tokens as utilisation rises."""
    data = report.serving_curve
    fig = go.Figure()
    fig.add_scatter(x=data["utilisation"], y=data["usd_per_m_output"], name="output tokens", mode="lines",
                    hovertemplate="%{x:.0%}: $%{y:,.3f}/1M")
    fig.add_scatter(x=data["utilisation"], y=data["usd_per_m_input"], name="input tokens", mode="lines",
                    hovertemplate="%{x:.0%}: $%{y:,.3f}/1M")
    fig.add_vline(x=report.request.utilisation, line_dash="dash", line_color="#1D4ED8")
    fig.update_layout(**_LAYOUT, xaxis={"title": "utilisation", "tickformat": ".0%"},
                      yaxis={"title": "USD per 1M tokens", "tickprefix": "$", "rangemode": "tozero"})
    return fig


# Column headers with units for the workspace GPU grid (units of analytics/data/gpus.csv).
GPU_COLUMNS = {
    "gpu": st.column_config.TextColumn("Key", help="lower-case letters, digits, '.', '-'; a bundled key overrides it"),
    "name": st.column_config.TextColumn("Name"),
    "bf16_tflops": st.column_config.NumberColumn("bf16 TFLOP/s", help="dense bf16/fp16 peak", format="%.0f"),
    "fp8_tflops": st.column_config.NumberColumn("fp8 TFLOP/s", help="dense; empty: no fp8", format="%.0f"),
    "fp32_tflops": st.column_config.NumberColumn("fp32 TFLOP/s", format="%.1f"),
    "memory_gb": st.column_config.NumberColumn("Memory (GB)", format="%.0f"),
    "bandwidth_tbs": st.column_config.NumberColumn("Bandwidth (TB/s)", format="%.2f"),
    "usd_per_gpu_hour": st.column_config.NumberColumn("$ / GPU-hour", format="$%.2f"),
    "source": st.column_config.TextColumn("Source"),
    "as_of": st.column_config.TextColumn("As of"),
}
