"""Overview: the workspace at a glance — projects and progress, open risks, burn and runway."""

from __future__ import annotations

import math

import plotly.graph_objects as go
import streamlit as st

from db.views import overview
from pages._components import illustrative_banner, plain, read, require_workspace, usd

workspace_id = require_workspace()
with read() as session:
    view = overview(session=session, workspace_id=workspace_id)

st.title(plain(view.workspace))
illustrative_banner(view.illustrative)

runway = view.runway
cards = st.columns(4)
cards[0].metric("Monthly burn (this month)", usd(runway.monthly_burn_usd), border=True,
                help="People (prorated by employment dates) + compute + budget lines planned for this month.")
cards[1].metric("Cash", usd(runway.cash_usd), border=True, help=view.cash_source)
if math.isinf(runway.months):
    cards[2].metric("Runway", "no burn", border=True)
else:
    cards[2].metric("Runway", f"{runway.months:.1f} months", border=True,
                    delta=f"until {runway.ends_on:%b %Y}" if runway.ends_on else None,
                    delta_color="off", delta_arrow="off",
                    help="Walks the planned month-by-month burn forward from today's cash.")
bands = view.open_risks_by_score["risks"]
critical = int(bands.iloc[-1])
cards[3].metric("Open risks", int(bands.sum()), border=True, delta=f"{critical} critical" if critical else None,
                delta_color="inverse", delta_arrow="off")

st.subheader("Projects and progress")
if view.projects.empty:
    st.caption("No projects yet. Add them on the **Projects** page.")
else:
    st.dataframe(
        view.projects[["name", "phase", "status", "tasks", "done", "progress_pct", "start_date", "target_date"]],
        hide_index=True,
        width="stretch",
        column_config={
            "name": "Project", "phase": "Phase", "status": "Status", "tasks": "Tasks", "done": "Tasks done",
            "progress_pct": st.column_config.ProgressColumn("Progress", format="%.0f%%", min_value=0, max_value=100,
                                                            help="Weighted by each task's most-likely duration."),
            "start_date": st.column_config.DateColumn("Start"), "target_date": st.column_config.DateColumn("Target"),
        },
    )

st.subheader("Burn and cash by month")
burn = view.burn
figure = go.Figure()
labels = {"people": "People", "compute": "Compute", "rd": "R&D", "marketing": "Marketing", "operations": "Operations"}
for column, label in labels.items():
    figure.add_bar(x=burn.index, y=burn[column], name=label, hovertemplate="%{y:$,.0f}")
figure.add_scatter(x=view.cash.index, y=view.cash.values, name="Cash left (end of month)", yaxis="y2",
                   mode="lines+markers", line={"color": "#111827", "width": 2}, hovertemplate="%{y:$,.0f}")
figure.update_layout(barmode="stack", height=340, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                     yaxis={"title": "burn, USD per month", "tickformat": "$~s"},
                     legend={"orientation": "h", "y": -0.15},
                     yaxis2={"title": "cash left, USD", "overlaying": "y", "side": "right", "showgrid": False,
                             "rangemode": "tozero", "tickformat": "$.2s"},
                     hovermode="x unified")
st.plotly_chart(figure, width="stretch")

left, right = st.columns([3, 2])
with left:
    st.subheader("Top open risks")
    if view.top_risks.empty:
        st.caption("No open risks recorded.")
    else:
        st.dataframe(
            view.top_risks[["title", "category", "score", "emv_usd"]],
            hide_index=True, width="stretch",
            column_config={
                "title": st.column_config.TextColumn("Risk", width="medium"),
                "category": "Category",
                "score": st.column_config.NumberColumn(
                    "Score", help="Probability level (1–5, PMBOK 6th ed. example scale: ≤10 %, ≤30 %, ≤50 %, ≤70 %, "
                                  ">70 %) × impact (1–5)."),
                "emv_usd": st.column_config.NumberColumn("EMV", format="dollar",
                                                         help="Expected monetary value: probability × $ impact."),
            },
        )
with right:
    st.subheader("Open risks by score", help="FounderDeck's bands of the 25-point grid: 1–4 low, 5–9 medium, "
                                             "10–14 high, 15–25 critical.")
    chart = go.Figure(go.Bar(x=bands.values, y=bands.index, orientation="h",
                             marker_color=["#94A3B8", "#FBBF24", "#F97316", "#DC2626"]))
    chart.update_layout(height=260, margin={"l": 10, "r": 10, "t": 10, "b": 10}, xaxis_title="risks")
    st.plotly_chart(chart, width="stretch")

st.subheader("Funding")
if view.funding.empty:
    st.caption("No funding rounds recorded.")
else:
    st.dataframe(view.funding, hide_index=True, width="stretch",
                 column_config={"name": "Round", "kind": "Kind", "status": "Status",
                                "amount_usd": st.column_config.NumberColumn("Amount", format="dollar"),
                                "close_date": st.column_config.DateColumn("Close date")})
