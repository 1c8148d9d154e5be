"""Plotly figures of the Roadmap page: the Gantt chart and the finish-date distribution (not a page)."""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

import pandas as pd
import plotly.graph_objects as go

CRITICAL, NORMAL, BASELINE, DONE, SUMMARY = "#DC2626", "#2563EB", "#CBD5E1", "#94A3B8", "#334155"
MILESTONE, MILESTONE_SPAN = "#7C3AED", "#DDD6FE"
DAY_MS = 86_400_000
# Tick labels are right-aligned, so a header row stands out to the left of its tasks by trailing em spaces
# (plotly trims plain spaces) and is bold.
OUTDENT = "\u2003\u2003"
NO_MILESTONE = "No milestone"


def gantt_rows(tasks: pd.DataFrame, milestones: pd.DataFrame | None = None) -> pd.DataFrame:
    """The y-axis rows in drawing order: per project, one header row per milestone followed by its tasks,
    then the project's tasks in no milestone (under a "No milestone" header when the project has
    milestones). Columns: project, label (both escaped, unique within the project; a header is bold and
    stands out to the left), row ("header" or "task"), task_id, milestone_id. ``milestones`` (indexed by
    id: name, project, due_date) adds a header for a dated milestone none of whose tasks is shown, so its
    due date is still drawn."""
    tasks = tasks.assign(_m=tasks["milestone_id"]).sort_values(["project_order", "project", "es", "id"])
    known = milestones if milestones is not None else pd.DataFrame(columns=["name", "project", "due_date"])
    used = tasks["_m"].dropna().unique()
    shown = known[known.index.isin(used) | (known["project"].isin(tasks["project"]) & known["due_date"].notna())]
    order = shown.assign(_due=pd.to_datetime(shown["due_date"])).sort_values(["_due", "name"], na_position="last")
    rows = []
    for project, group in tasks.groupby(["project_order", "project"], sort=False):
        name = project[1]
        heads = order[order["project"] == name]
        for milestone_id, head in heads.iterrows():
            rows.append((name, f"◆ {head['name']}", "header", None, milestone_id))
            rows += [(name, t, "task", i, milestone_id)
                     for i, t in zip(group.index[group["_m"] == milestone_id], group.loc[group["_m"] == milestone_id,
                                                                                      "name"], strict=True)]
        loose = group[~group["_m"].isin(heads.index)]
        if len(heads) and len(loose):
            rows.append((name, NO_MILESTONE, "header", None, None))
        rows += [(name, t, "task", i, None)
                 for i, t in zip(loose.index, loose["name"], strict=True)]
    out = pd.DataFrame(rows, columns=["project", "label", "row", "task_id", "milestone_id"])
    out["label"] = out["label"].astype(str).str.slice(0, 50)
    clash = out.duplicated(["project", "label"], keep=False)
    ids = out["task_id"].where(out["row"] == "task", out["milestone_id"])
    out.loc[clash, "label"] = [f"{lab} (#{int(i)})" if not pd.isna(i) else lab
                               for lab, i in zip(out.loc[clash, "label"], ids[clash], strict=True)]
    # Plotly reads tags in labels and hover text (<b>, <a href>): user text is escaped to stay text.
    out["project"] = out["project"].astype(str).map(escape)
    out["label"] = out["label"].map(escape)
    header = out["row"] == "header"
    out.loc[header, "label"] = "<b>" + out.loc[header, "label"] + "</b>" + OUTDENT
    return out


def gantt(tasks: pd.DataFrame, slip: pd.DataFrame | None, today: date,
          milestones: pd.DataFrame | None = None) -> go.Figure:
    """Rows grouped project → milestone → task (see :func:`gantt_rows`): bars from start to finish (inclusive
    days), critical tasks in red, zero-length tasks as diamonds, each milestone's due date as a diamond on its
    header row (red when its tasks finish later) above a pale bar spanning its tasks, grey baseline bars when
    a baseline is picked, and a line at today."""
    rows = gantt_rows(tasks, milestones)
    task_rows = rows[rows["row"] == "task"]
    tasks = tasks.loc[task_rows["task_id"].astype(int)]
    y = [task_rows["project"].tolist(), task_rows["label"].tolist()]
    bars = tasks["duration"] > 0
    colour = [SUMMARY if k == "summary" else DONE if s == "done" else CRITICAL if c else NORMAL
              for k, s, c in zip(tasks["kind"], tasks["status"], tasks["critical"], strict=True)]
    hover = [f"<b>{escape(str(n))}</b><br>{s:%d %b %Y} → {f:%d %b %Y}<br>float {fl:g} d · {st} · {p:g}% done"
             for n, s, f, fl, st, p in zip(tasks["name"], tasks["start"], tasks["finish"], tasks["total_float"],
                                           tasks["status"], tasks["percent_done"], strict=True)]
    figure = go.Figure()
    # Plotly orders categories as they first appear across traces: one invisible point per row, first,
    # keeps headers above their tasks whichever traces follow.
    first_day = tasks["start"].min() if len(tasks) else pd.Timestamp(today)
    figure.add_scatter(y=[rows["project"].tolist(), rows["label"].tolist()], x=[first_day] * len(rows),
                       mode="markers", marker={"opacity": 0}, hoverinfo="skip", showlegend=False, name="rows")
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
    marks = ~bars.to_numpy()
    if marks.any():
        figure.add_scatter(y=[[v for v, m in zip(level, marks, strict=True) if m] for level in y],
                           x=tasks["finish"][marks] + pd.Timedelta(days=1), mode="markers",
                           marker={"symbol": "diamond", "size": 11, "color": [CRITICAL if c else "#111827"
                                                                              for c in tasks["critical"][marks]]},
                           name="zero-length task", hovertext=[h for h, m in zip(hover, marks, strict=True) if m],
                           hoverinfo="text")
    _milestone_marks(figure, rows, tasks, milestones)
    figure.add_shape(type="line", x0=today, x1=today, y0=0, y1=1, yref="paper", line={"color": "#F59E0B", "width": 2,
                                                                                        "dash": "dot"})
    figure.add_annotation(x=today, y=1, yref="paper", text="today", showarrow=False, yanchor="bottom",
                          font={"color": "#B45309"})
    figure.update_layout(
        barmode="overlay", height=max(320, 22 * len(rows) + 120), margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis={"type": "date", "side": "top", "gridcolor": "#E5E7EB"},
        yaxis={"autorange": "reversed", "type": "multicategory", "dividercolor": "#94A3B8"},
        legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"},
    )
    return figure


def _milestone_marks(figure: go.Figure, rows: pd.DataFrame, tasks: pd.DataFrame,
                     milestones: pd.DataFrame | None) -> None:
    """On each milestone's header row: a pale bar over its shown tasks and a diamond on its due date."""
    heads = rows[(rows["row"] == "header") & rows["milestone_id"].notna()]
    if heads.empty:
        return
    grouped = tasks.groupby("milestone_id").agg(start=("start", "min"), finish=("finish", "max"))
    spans = grouped.reindex(heads["milestone_id"].to_numpy())
    has = spans["start"].notna().to_numpy()
    head_y = [heads["project"].tolist(), heads["label"].tolist()]
    figure.add_bar(y=[[v for v, h in zip(level, has, strict=True) if h] for level in head_y],
                   base=spans["start"][has], x=((spans["finish"] - spans["start"]).dt.days[has] + 1) * DAY_MS,
                   orientation="h", width=0.3, marker_color=MILESTONE_SPAN, name="milestone's tasks",
                   hovertemplate="%{base|%d %b %Y} → its last task's finish<extra></extra>", showlegend=False)
    if milestones is None:
        return
    due = pd.to_datetime(milestones["due_date"].reindex(heads["milestone_id"].to_numpy()))
    dated = due.notna().to_numpy()
    if not dated.any():
        return
    finish = spans["finish"].tolist()  # Timestamps (NaT where no task of the milestone is shown)
    late = [bool(h and f > d) for h, f, d in zip(has, finish, due, strict=True)]
    names = milestones["name"].reindex(heads["milestone_id"].to_numpy()).astype(str).map(escape).tolist()
    hover = [f"<b>{n}</b><br>due {d:%d %b %Y}" + (f" · its tasks finish {f:%d %b %Y} ({(f - d).days:+d} d)"
                                                  if h else "") for n, d, f, h in zip(names, due, finish, has,
                                                                                     strict=True)]
    pick = [i for i in range(len(heads)) if dated[i]]
    figure.add_scatter(y=[[level[i] for i in pick] for level in head_y], x=[due.iloc[i] for i in pick],
                       mode="markers", name="milestone due date",
                       marker={"symbol": "diamond", "size": 13, "line": {"width": 1, "color": "white"},
                               "color": [CRITICAL if late[i] else MILESTONE for i in pick]},
                       hovertext=[hover[i] for i in pick], hoverinfo="text")


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
