"""Plotly figures of the Revenue page (not a page: the underscore keeps it out of the navigation)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analytics.revenue.montecarlo import MonteCarlo
from analytics.revenue.report import RevenueReport

_LAYOUT = {"height": 330, "margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "legend": {"orientation": "h", "y": -0.2}}
_STREAM_COLOURS = ("#1D4ED8", "#059669", "#D97706", "#7C3AED", "#DB2777", "#0891B2")


def stacked_revenue(report: RevenueReport) -> go.Figure:
    t = report.table
    fig = go.Figure()
    streams = [c for c in t.columns if c.startswith("revenue · ")]
    for i, col in enumerate(streams):
        fig.add_bar(x=t.index, y=t[col], name=col.removeprefix("revenue · "),
                    marker_color=_STREAM_COLOURS[i % len(_STREAM_COLOURS)])
    fig.add_scatter(x=t.index, y=t["COGS"], name="COGS", mode="lines", line={"color": "#111827", "dash": "dot"})
    fig.update_layout(**_LAYOUT, barmode="stack", title="Revenue by stream and COGS",
                      yaxis={"tickformat": "$~s"})
    return fig


def margins(report: RevenueReport) -> go.Figure:
    t = report.table
    fig = go.Figure()
    for i, col in enumerate(c for c in t.columns if c.startswith("gross margin · ")):
        fig.add_scatter(x=t.index, y=t[col], name=col.removeprefix("gross margin · "), mode="lines",
                        line={"color": _STREAM_COLOURS[i % len(_STREAM_COLOURS)]})
    fig.add_scatter(x=t.index, y=t["gross margin"], name="total", mode="lines", line={"color": "#111827", "width": 3})
    fig.update_layout(**_LAYOUT, title="Gross margin by stream", yaxis={"tickformat": ".0%"})
    return fig


def cash(report: RevenueReport) -> go.Figure:
    t = report.table
    # Two panels on one time axis: beside a funded cash balance, EBITDA would be a flat line at zero on a shared
    # axis, and a second axis would put the two zeros at different heights.
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35], vertical_spacing=0.08,
                        subplot_titles=("cash at month end", "EBITDA of the month"))
    fig.add_scatter(x=t.index, y=t["cash"], name="cash", mode="lines", fill="tozeroy", line={"color": "#1D4ED8"},
                    row=1, col=1)
    ebitda = t["EBITDA"]
    fig.add_bar(x=t.index, y=ebitda, name="EBITDA", marker_color=np.where(ebitda >= 0, "#059669", "#DC2626"),
                row=2, col=1)
    for when, amount in t.loc[t["funding"] > 0, "funding"].items():
        fig.add_annotation(x=when, y=float(t.loc[when, "cash"]), text=f"+${amount / 1e6:,.1f}M raised",
                           showarrow=True, arrowhead=2, font={"size": 11}, row=1, col=1)
    fig.add_hline(y=0, line_color="#DC2626", line_width=1, row=1, col=1)
    fig.update_layout(**{**_LAYOUT, "height": 420}, title="Cash and EBITDA, with funding events", showlegend=False)
    fig.update_yaxes(tickformat="$~s")
    return fig


def waterfall(report: RevenueReport) -> go.Figure:
    w = report.waterfall
    measure = ["absolute"] + ["relative"] * (len(w) - 2) + ["total"]
    fig = go.Figure(go.Waterfall(x=w["step"], y=w["usd"], measure=measure, texttemplate="%{y:$,.3~s}",
                                 decreasing={"marker": {"color": "#DC2626"}},
                                 increasing={"marker": {"color": "#059669"}}, totals={"marker": {"color": "#1D4ED8"}}))
    fig.update_layout(**_LAYOUT, title="MRR movements over the last 12 months", yaxis={"tickformat": "$~s"},
                      showlegend=False)
    return fig


def cohort_heatmap(name: str, data: pd.DataFrame) -> go.Figure:
    fig = go.Figure(go.Heatmap(z=data.to_numpy(), x=list(data.columns), y=list(data.index), colorscale="Blues",
                               zmin=0, zmax=max(1.0, float(np.nanmax(data.to_numpy()))),
                               hovertemplate="cohort %{y}, age %{x} months: %{z:.0%}<extra></extra>"))
    fig.update_layout(**_LAYOUT, title=f"{name}: revenue retained by cohort (1 = first month)",
                      xaxis={"title": "age (months)"}, yaxis={"autorange": "reversed"})
    return fig


def fan(months: pd.DatetimeIndex, bands: dict[int, np.ndarray], title: str) -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(x=months, y=bands[90], mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip")
    fig.add_scatter(x=months, y=bands[10], mode="lines", line={"width": 0}, fill="tonexty",
                    fillcolor="rgba(29,78,216,0.2)", name="P10–P90")
    fig.add_scatter(x=months, y=bands[50], mode="lines", line={"color": "#1D4ED8"}, name="P50")
    fig.update_layout(**_LAYOUT, title=title, yaxis={"tickformat": "$~s"})
    return fig


def cash_out(months: pd.DatetimeIndex, mc: MonteCarlo) -> go.Figure:
    fig = go.Figure(go.Scatter(x=months, y=mc.p_cash_out_by, mode="lines", line={"color": "#DC2626"}))
    fig.update_layout(**_LAYOUT, title="Probability that cash has run out by each month",
                      yaxis={"tickformat": ".0%", "range": [0, 1]})
    return fig


def break_even_histogram(months: pd.DatetimeIndex, mc: MonteCarlo) -> go.Figure:
    reached = mc.break_even[mc.break_even >= 0]
    labels = [months[int(m)] for m in reached]
    fig = go.Figure(go.Histogram(x=labels, marker_color="#059669"))
    fig.update_layout(**_LAYOUT, title=f"Break-even month (reached in {mc.p_break_even:.0%} of paths)",
                      yaxis={"title": "paths"})
    return fig


def tornado(data: pd.DataFrame, label: str, top: int = 12) -> go.Figure:
    rows = data.head(top).iloc[::-1]
    base = float(rows["base_output"].iloc[0]) if len(rows) else 0.0
    fig = go.Figure()
    fig.add_bar(y=rows["label"], x=rows["output_at_low"] - base, base=base, orientation="h", name="input at low",
                marker_color="#F59E0B")
    fig.add_bar(y=rows["label"], x=rows["output_at_high"] - base, base=base, orientation="h", name="input at high",
                marker_color="#1D4ED8")
    fig.update_layout(**_LAYOUT | {"height": 90 + 28 * len(rows)}, barmode="overlay", title=f"Tornado: {label}",
                      xaxis={"tickformat": "$~s"})
    return fig
