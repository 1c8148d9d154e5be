"""Plotly figures for the Resources page (UI only; the numbers come from db.views_resources)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics.allocation import PERSON, Workload

# Utilisation above this is drawn as this, so one very overloaded week does not wash out the scale.
MAX_SHOWN_PCT = 200.0
_MARGIN = {"l": 10, "r": 10, "t": 10, "b": 10}


def resource_labels(workload: Workload) -> list[str]:
    """"Ana (h)" / "Training cluster (GPUs)"; a repeated name carries its id so rows stay distinct."""
    names = workload.names.astype(str)
    repeated = names.duplicated(keep=False)
    labels = []
    for (kind, rid), name, dup in zip(workload.names.index, names, repeated, strict=True):
        unit = "h" if kind == PERSON else "GPUs"
        labels.append(f"{name} #{rid} ({unit})" if dup else f"{name} ({unit})")
    return labels


def heatmap(workload: Workload, max_rows: int = 40) -> tuple[go.Figure, int, int]:
    """Utilisation (load ÷ capacity, %) per resource and week, over-allocated cells marked with ×.

    Shows the resources with any load in the window, the most loaded first, at most ``max_rows``, and
    every over-allocated one. Returns (figure, rows shown, rows with load).
    """
    load, cap = workload.load.to_numpy(), workload.capacity.to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(cap > 0, 100.0 * load / cap, np.where(load > 0, MAX_SHOWN_PCT, 0.0))
    over = workload.excess.to_numpy() > 0
    used = load.sum(axis=1) > 0
    peak = pct.max(axis=1) if pct.size else np.zeros(len(load))
    order = [i for i in np.argsort(-peak, kind="stable") if used[i]]
    keep = [i for i in order if over[i].any()]
    keep += [i for i in order if not over[i].any()][: max(0, max_rows - len(keep))]
    keep = sorted(keep, key=lambda i: -peak[i])[::-1]  # plotly draws the first row at the bottom
    all_labels = resource_labels(workload)
    labels = [all_labels[i] for i in keep]
    weeks = [w.strftime("%d %b %y") for w in workload.weeks]
    custom = np.dstack([load[keep], cap[keep]]) if keep else np.zeros((0, len(weeks), 2))
    figure = go.Figure(go.Heatmap(
        z=np.minimum(pct[keep], MAX_SHOWN_PCT), x=weeks, y=labels, customdata=custom, zmin=0, zmax=MAX_SHOWN_PCT,
        colorscale=[[0, "#F8FAFC"], [0.25, "#BFDBFE"], [0.5, "#2563EB"], [0.5001, "#FDBA74"], [1, "#B91C1C"]],
        colorbar={"title": "% of capacity", "ticksuffix": "%"},
        hovertemplate="%{y}<br>week of %{x}<br>load %{customdata[0]:.1f} of %{customdata[1]:.1f}<extra></extra>",
    ))
    r_idx, w_idx = np.nonzero(over[keep]) if keep else (np.array([], int), np.array([], int))
    if r_idx.size:
        figure.add_scatter(x=[weeks[w] for w in w_idx], y=[labels[r] for r in r_idx], mode="markers",
                           marker={"symbol": "x", "color": "#111827", "size": 9}, name="over-allocated",
                           hoverinfo="skip")
    figure.update_layout(height=max(220, 28 * len(keep) + 90), margin=_MARGIN, showlegend=False,
                         xaxis={"type": "category", "tickangle": -45}, yaxis={"type": "category"})
    return figure, len(keep), int(used.sum())


def burn_chart(burn: pd.DataFrame, cash: pd.Series) -> go.Figure:
    """Stacked monthly burn by component with the cash left at each month's end."""
    figure = go.Figure()
    labels = {"people": "People", "compute": "Compute", "rd": "R&D", "marketing": "Marketing",
              "operations": "Operations"}
    for column, label in labels.items():
        figure.add_bar(x=burn.index, y=burn[column], name=label, hovertemplate="%{y:$,.0f}")
    figure.add_scatter(x=cash.index, y=cash.values, name="Cash left (end of month)", yaxis="y2",
                       mode="lines+markers", line={"color": "#111827", "width": 2}, hovertemplate="%{y:$,.0f}")
    figure.update_layout(barmode="stack", height=340, margin=_MARGIN, hovermode="x unified",
                         yaxis={"title": "burn, USD per month", "tickformat": "$~s"},
                         yaxis2={"title": "cash left, USD", "overlaying": "y", "side": "right", "showgrid": False,
                                 "tickformat": "$.2s"},
                         legend={"orientation": "h", "y": -0.15})
    return figure


def budget_chart(budget: pd.DataFrame) -> go.Figure:
    """Planned vs actual spend per month (all categories)."""
    monthly = budget.groupby("month")[["planned_usd", "actual_usd"]].sum(min_count=1)
    figure = go.Figure()
    figure.add_bar(x=monthly.index, y=monthly["planned_usd"], name="Planned", marker_color="#94A3B8",
                   hovertemplate="%{y:$,.0f}")
    figure.add_bar(x=monthly.index, y=monthly["actual_usd"], name="Actual", marker_color="#2563EB",
                   hovertemplate="%{y:$,.0f}")
    figure.update_layout(barmode="group", height=280, margin=_MARGIN, yaxis={"tickformat": "$~s"},
                         legend={"orientation": "h", "y": -0.2}, hovermode="x unified")
    return figure


def reservations_chart(reserved: pd.DataFrame) -> go.Figure:
    """Reserved GPU spend per month against the compute burn of the GPU pools."""
    figure = go.Figure()
    figure.add_bar(x=reserved.index, y=reserved["reserved_usd"], name="Reserved GPUs", marker_color="#7C3AED",
                   hovertemplate="%{y:$,.0f}")
    figure.add_scatter(x=reserved.index, y=reserved["compute_burn_usd"], name="Compute in the burn (GPU pools)",
                       mode="lines+markers", line={"color": "#111827"}, hovertemplate="%{y:$,.0f}")
    figure.update_layout(height=260, margin=_MARGIN, yaxis={"tickformat": "$~s"},
                         legend={"orientation": "h", "y": -0.2}, hovermode="x unified")
    return figure
