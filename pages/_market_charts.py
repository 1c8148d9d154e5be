"""Plotly figures of the Market page (not a page: the underscore keeps it out of the navigation)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analytics.market import METHOD_COLOURS, Sizing, decade_ticks, money

_LAYOUT = {"height": 360, "margin": {"l": 10, "r": 10, "t": 50, "b": 10}, "legend": {"orientation": "h", "y": -0.2}}
_KIND_COLOURS = {"public API": "#9CA3AF", "your price": "#1D4ED8", "your serving cost": "#D97706"}


def sizing(methods: dict[str, Sizing]) -> go.Figure:
    """TAM, SAM and SOM of both methods side by side on a log axis (a SOM is often 1/1000 of the TAM)."""
    fig = go.Figure()
    values = [lv.usd for s in methods.values() for lv in s.levels if lv.usd > 0]
    for name, s in methods.items():
        if s.levels:
            fig.add_bar(x=[lv.level for lv in s.levels], y=[lv.usd for lv in s.levels], name=name,
                        text=[money(lv.usd) for lv in s.levels], textposition="outside",
                        marker_color=METHOD_COLOURS.get(name))
    fig.update_layout(**_LAYOUT, barmode="group", title="TAM ⊃ SAM ⊃ SOM, a year (log scale)",
                      yaxis={"type": "log", **decade_ticks(values)})
    return fig


def positioning(table: pd.DataFrame, unit: str, quality_metric: str) -> go.Figure:
    """Price against quality in one unit; hollow markers are dominated (someone is cheaper and at least as good)."""
    rows = table[table["unit"] == unit]
    fig = go.Figure()
    low, top = (rows["price"].min(), rows["price"].max()) if len(rows) else (0.0, 0.0)
    for who, colour in (("competitor", "#6B7280"), ("yours", "#1D4ED8")):
        # One trace per marker style, so the legend's symbol is that trace's (it shows the first point's).
        for dominated in (False, True):
            part = rows[(rows["who"] == who) & ((rows["dominated_by"].fillna("").astype(str) != "") == dominated)]
            if part.empty:
                continue
            # Your points share one quality and sit close in price, so their long names would print over each
            # other: they are named on hover; competitors are named on the chart, the priciest to its left and
            # the cheapest to its right so that both stay inside.
            named = who == "competitor"
            fig.add_scatter(x=part["price"], y=part["quality"], mode="markers+text" if named else "markers",
                            name=f"{who}, dominated" if dominated else who, text=part["name"] if named else None,
                            hovertext=part["name"], hovertemplate="%{hovertext}<br>%{x:$,.3~f} · quality %{y}"
                                                                  "<extra></extra>",
                            textposition=["top left" if p == top else "top right" if p == low else "top center"
                                          for p in part["price"]],
                            marker={"size": 13, "color": colour, "symbol": "circle-open" if dominated else "circle",
                                    "line": {"width": 2, "color": colour}})
    log = unit.startswith("$/1M") and len(rows) > 1 and rows["price"].min() > 0
    # The quality metric is a sentence: it goes in the title, where it has the width to be read.
    fig.update_layout(**_LAYOUT, title={"text": f"Price vs quality ({unit})<br><sup>quality: {quality_metric}; "
                                        "hollow: dominated (a rival is cheaper and at least as good)</sup>"},
                      xaxis={"title": unit, "type": "log" if log else "linear", "tickformat": "$~g"},
                      yaxis={"title": "quality (0–100)"})
    return fig


def benchmark(table: pd.DataFrame, output_share: float, as_of: str) -> go.Figure:
    """Blended $ per 1M tokens of every public API and of the workspace's prices and serving cost (log axis)."""
    fig = go.Figure()
    for kind, colour in _KIND_COLOURS.items():
        part = table[table["kind"] == kind]
        if not part.empty:
            fig.add_bar(y=part["label"], x=part["blended"], orientation="h", name=kind, marker_color=colour,
                        hovertemplate="%{y}: $%{x:.3f} per 1M tokens<extra></extra>")
    fig.update_layout(**{**_LAYOUT, "height": max(360, 22 * len(table) + 120)}, barmode="overlay",
                      title=f"$ per 1M tokens at {output_share:.0%} output tokens · public prices as of {as_of}",
                      xaxis={"type": "log", "tickformat": "$~g"},
                      yaxis={"categoryorder": "array", "categoryarray": list(table["label"])})
    return fig


def radar(table: pd.DataFrame) -> go.Figure:
    """The four platform-advantage pillars, each the mean of its scored sub-factors (1–5)."""
    scored = table.dropna(subset=["score"])
    # One word a line: "Resource integration" on one line ran past the edge of a half-width column.
    names = [n.replace(" ", "<br>") for n in list(scored["name"]) + list(scored["name"][:1])]
    values = list(scored["score"]) + list(scored["score"][:1])
    fig = go.Figure(go.Scatterpolar(r=values, theta=names, fill="toself", name="your scores",
                                    line={"color": "#1D4ED8"}))
    # Wide side margins: the pillars' names sit outside the circle and were cut at the figure's edges.
    fig.update_layout(**{**_LAYOUT, "margin": {"l": 90, "r": 90, "t": 60, "b": 30}},
                      title="Platform advantage (004 §2.1)",
                      polar={"radialaxis": {"range": [0, 5], "tickvals": [1, 2, 3, 4, 5]}}, showlegend=False)
    return fig
