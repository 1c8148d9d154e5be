"""The pitch deck as one self-contained HTML file, and the deck's charts as plotly figures.

Self-contained: plotly's JavaScript is inlined once (the first chart carries it, the others reuse it), styles
are inline, and there is no external URL, font or image, so the file opens offline in any browser. Every piece
of text is escaped with :func:`html.escape`; a line starting "- " becomes a list item, a section's tables become
``<table>``s, nothing else is markup.
The same HTML is what :mod:`analytics.pdf_print` prints to PDF, so what a PDF can hold is exactly this file.
"""

from __future__ import annotations

import html
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from analytics.market import METHOD_COLOURS, decade_ticks, money
from analytics.pitch import Chart, Deck, Section, Table

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;
color:#1d2430;line-height:1.45}
h1{font-size:1.9em;margin-bottom:.2em} h2{border-bottom:2px solid #e3e7ee;padding-bottom:.2em;margin-top:1.6em}
section{page-break-inside:avoid;break-inside:avoid} .missing{color:#9a4a00;font-style:italic}
.note{background:#eef4ff;border-left:4px solid #5b8def;padding:.5em .8em} .chart{margin:.6em 0}
table{border-collapse:collapse;width:100%;margin:.6em 0;font-size:.92em} caption{text-align:left;font-weight:600;
padding:.3em 0} th,td{border-bottom:1px solid #e3e7ee;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f5f7fa}
"""


def _layout(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(title=title, height=360, margin={"l": 50, "r": 20, "t": 50, "b": 40}, template="plotly_white")
    return fig


def figure(chart: Chart) -> go.Figure:
    """The plotly figure of one of the deck's charts (the page draws the same figures)."""
    data: dict[str, Any] = chart.data
    fig = go.Figure()
    if chart.key == "market_sizing":
        for method in dict.fromkeys(r["method"] for r in data["rows"]):
            rows = [r for r in data["rows"] if r["method"] == method]
            fig.add_bar(name=method, x=[r["level"] for r in rows], y=[r["usd"] for r in rows],
                        marker_color=METHOD_COLOURS.get(method), text=[money(r["usd"]) for r in rows],
                        textposition="outside")
        fig.update_yaxes(type="log", title="USD a year (log scale)",
                         **decade_ticks([r["usd"] for r in data["rows"] if r["usd"] > 0]))
    elif chart.key == "revenue_cash":
        # Two panels on one time axis: on a shared axis a funded cash balance flattens monthly revenue to zero.
        months = data["months"]
        fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.6, 0.4], vertical_spacing=0.1,
                            subplot_titles=("cash at month end", "revenue in the month"))
        if data.get("cash_p10"):
            fig.add_scatter(x=months, y=data["cash_p90"], name="cash P90", line={"width": 0}, showlegend=False,
                            row=1, col=1)
            fig.add_scatter(x=months, y=data["cash_p10"], name="cash P10–P90 (Monte Carlo)", fill="tonexty",
                            line={"width": 0}, fillcolor="rgba(91,141,239,0.2)", row=1, col=1)
        fig.add_scatter(x=months, y=data["cash"], name="cash (base)", line={"color": "#5b8def"}, row=1, col=1)
        fig.add_bar(x=months, y=data["revenue"], name="revenue in the month", marker_color="#2e9e6b", row=2, col=1)
        fig.update_yaxes(tickformat="$~s")
        return _layout(fig, chart.title).update_layout(height=460)
    elif chart.key == "use_of_funds":
        fig.add_pie(labels=data["labels"], values=data["values"], hole=0.45, sort=False)
    else:
        raise ValueError(f"unknown chart {chart.key!r}")
    return _layout(fig, chart.title)


def _lines(lines: list[str]) -> str:
    out, bullets = [], []
    for line in lines:
        if line.startswith("- "):
            bullets.append(f"<li>{html.escape(line[2:])}</li>")
            continue
        if bullets:
            out.append("<ul>" + "".join(bullets) + "</ul>")
            bullets = []
        out.append(f"<p>{html.escape(line)}</p>")
    if bullets:
        out.append("<ul>" + "".join(bullets) + "</ul>")
    return "\n".join(out)


def _table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in table.rows)
    return (f"<table><caption>{html.escape(table.title)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


def _section(section: Section, first_chart: list[bool]) -> str:
    parts = [f'<section id="{html.escape(section.key)}"><h2>{html.escape(section.title)}</h2>']
    if section.missing:
        parts.append(f'<p class="missing">{html.escape(section.missing)}</p>')
    parts.append(_lines(section.lines))
    parts += [_table(t) for t in section.tables]
    for chart in section.charts:
        # The first chart inlines plotly.js (about 4.6 MB); the rest share it. No CDN: the file works offline.
        parts.append('<div class="chart">' + pio.to_html(figure(chart), full_html=False,
                                                         include_plotlyjs=first_chart[0], config={
                                                             "displaylogo": False, "responsive": True}) + "</div>")
        first_chart[0] = False
    parts.append("</section>")
    return "\n".join(parts)


def deck_html(deck: Deck) -> str:
    """The whole deck as one HTML document (UTF-8), charts embedded."""
    first = [True]
    note = ('<p class="note">Demo workspace: every number here is illustrative, not a forecast.</p>'
            if deck.illustrative else "")
    body = "\n".join(_section(s, first) for s in deck.sections)
    title = html.escape(deck.workspace)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title} — pitch</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style></head>'
            f"<body><h1>{title}</h1>{note}\n{body}\n</body></html>\n")
