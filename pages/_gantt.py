"""Plotly figures of the Roadmap page: the Gantt chart and the finish-date distribution (not a page)."""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

import pandas as pd
import plotly.graph_objects as go

CRITICAL, NORMAL, BASELINE, DONE, SUMMARY = "#DC2626", "#2563EB", "#CBD5E1", "#94A3B8", "#334155"
DAY_MS = 86_400_000


def _rows(tasks: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Two-level y labels (project, task), unique within a project, grouped by project then milestone."""
    names = tasks["name"].astype(str).str.slice(0, 48)
    clash = pd.Series(list(zip(tasks["project"], names, strict=True))).duplicated(keep=False).to_numpy()
    labels = [escape(f"{n} (#{i})" if c else n) for n, i, c in zip(names, tasks.index, clash, strict=True)]
    return [escape(p) for p in tasks["project"].astype(str)], labels


def gantt(tasks: pd.DataFrame, slip: pd.DataFrame | None, today: date) -> go.Figure:
    """Bars from start to finish (inclusive days), critical tasks in red, milestones as diamonds,
    baseline bars in grey beneath when a baseline is picked, and a line at today."""
    tasks = tasks.sort_values(["project_order", "project", "milestone", "es", "id"], na_position="last")
    projects, labels = _rows(tasks)
    y = [projects, labels]
    bars = tasks["duration"] > 0
    colour = [SUMMARY if k == "summary" else DONE if s == "done" else CRITICAL if c else NORMAL
              for k, s, c in zip(tasks["kind"], tasks["status"], tasks["critical"], strict=True)]
    # Plotly reads tags in labels and hover text (<b>, <a href>): user text is escaped to stay text.
    hover = [f"<b>{escape(str(n))}</b><br>{s:%d %b %Y} → {f:%d %b %Y}<br>float {fl:g} d · {st} · {p:g}% done"
             for n, s, f, fl, st, p in zip(tasks["name"], tasks["start"], tasks["finish"], tasks["total_float"],
                                           tasks["status"], tasks["percent_done"], strict=True)]
    figure = go.Figure()
    if slip is not None:
        base = slip.reindex(tasks.index)
        figure.add_bar(
            y=y, base=base["baseline_start"], orientation="h", name="baseline", marker_color=BASELINE,
            x=((base["baseline_finish"] - base["baseline_start"]).dt.days + 1) * DAY_MS * bars.to_numpy(),
            width=0.35, offset=0.05, hovertemplate="baseline %{base|%d %b %Y}<extra></extra>",
        )
    span = ((tasks["finish"] - tasks["start"]).dt.days + 1) * DAY_MS
    figure.add_bar(y=y, base=tasks["start"], x=span.where(bars, 0), orientation="h", name="current plan",
                   marker_color=colour, width=0.5 if slip is None else 0.45, offset=-0.45 if slip is not None
                   else None, hovertext=hover, hoverinfo="text", showlegend=False)
    marks = tasks[~bars]
    if not marks.empty:
        m_projects, m_labels = _rows(marks)
        figure.add_scatter(y=[m_projects, m_labels], x=marks["finish"] + pd.Timedelta(days=1), mode="markers",
                           marker={"symbol": "diamond", "size": 11, "color": [CRITICAL if c else "#111827"
                                                                              for c in marks["critical"]]},
                           name="milestone", hovertext=[h for h, b in zip(hover, bars, strict=True) if not b],
                           hoverinfo="text")
    figure.add_shape(type="line", x0=today, x1=today, y0=0, y1=1, yref="paper", line={"color": "#F59E0B", "width": 2,
                                                                                        "dash": "dot"})
    figure.add_annotation(x=today, y=1, yref="paper", text="today", showarrow=False, yanchor="bottom",
                          font={"color": "#B45309"})
    figure.update_layout(
        barmode="overlay", height=max(320, 22 * len(tasks) + 120), margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis={"type": "date", "side": "top", "gridcolor": "#E5E7EB"},
        yaxis={"autorange": "reversed", "type": "multicategory", "dividercolor": "#94A3B8"},
        legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"},
    )
    return figure


def finish_distribution(curve: pd.DataFrame, target: date | None) -> go.Figure:
    """Histogram of finish dates (bars) with the S-curve of the probability of finishing by each date."""
    figure = go.Figure()
    figure.add_bar(x=curve["date"], y=curve["iterations"], name="iterations finishing that day",
                   marker_color="#93C5FD", hovertemplate="%{x|%d %b %Y}: %{y} iterations<extra></extra>")
    figure.add_scatter(x=curve["date"], y=curve["probability"], name="probability of finishing by then", yaxis="y2",
                       mode="lines", line={"color": "#1D4ED8", "width": 2, "shape": "hv"},
                       hovertemplate="%{x|%d %b %Y}: %{y:.0%}<extra></extra>")
    if target is not None:
        figure.add_shape(type="line", x0=target, x1=target, y0=0, y1=1, yref="paper",
                         line={"color": "#F59E0B", "dash": "dot", "width": 2})
        figure.add_annotation(x=target + timedelta(hours=12), y=1, yref="paper", text="target", showarrow=False,
                              yanchor="bottom", font={"color": "#B45309"})
    figure.update_layout(height=320, margin={"l": 10, "r": 10, "t": 30, "b": 10}, bargap=0.05,
                         yaxis={"title": "iterations"}, legend={"orientation": "h", "y": -0.2},
                         yaxis2={"title": "P(finish by date)", "overlaying": "y", "side": "right", "range": [0, 1],
                                 "tickvals": [0, 0.25, 0.5, 0.8, 0.95, 1], "tickformat": ".0%", "showgrid": False})
    return figure
