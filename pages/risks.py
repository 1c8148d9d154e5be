"""Risks: the register (grid and detail), 5×5 heat map, top risks by EMV, overdue reviews, trend, links to
tasks, the documents' catalogue, and each risk's history with restore of deleted risks."""

from __future__ import annotations

import html
import zlib
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from db import repo
from db.editing import pending_changes
from db.models import RISK_CATEGORIES, RISK_KINDS, RISK_RESPONSES, RISK_STATUSES, Risk
from db.risks import RESPONSES_BY_KIND, add_from_catalogue, save_risk_detail
from db.views import CRITICAL_SCORE
from db.views_risks import RiskFilters, risk_adjusted_schedule, risks_view, save_register
from pages._components import illustrative_banner, plain, read, require_workspace, row_history, run_action, usd

workspace_id = require_workspace()
# One colour per score band (db.views.SCORE_BAND_EDGES): low, medium, high, critical.
BAND_COLOURS = ("#CBD5E1", "#FDE68A", "#FDBA74", "#F87171")
# The Roadmap's "Working days only" switch. Streamlit forgets a widget's value on a page that does not draw
# it; assigning it here keeps the Roadmap's choice while the founder works on this page and comes back.
WORKING_DAYS = "rm_working_days"
if WORKING_DAYS in st.session_state:
    st.session_state[WORKING_DAYS] = st.session_state[WORKING_DAYS]
GRID = {
    "title": st.column_config.TextColumn("Risk", required=True, max_chars=200, width="medium"),
    "kind": st.column_config.SelectboxColumn("Kind", options=RISK_KINDS, default="threat"),
    "category": st.column_config.SelectboxColumn("Category", options=RISK_CATEGORIES, required=True),
    "probability_pct": st.column_config.NumberColumn("Probability %", min_value=0, max_value=100, default=10),
    "impact": st.column_config.NumberColumn("Impact 1–5", min_value=1, max_value=5, step=1, default=3),
    "impact_usd": st.column_config.NumberColumn("Impact $", min_value=0, format="dollar", default=0),
    "schedule_impact_days": st.column_config.NumberColumn(
        "Delay (days)", min_value=0, default=0,
        help="Days the event adds to each linked task: calendar days, or working days (Mon–Fri) when the "
             "Roadmap's *Working days only* switch is on, as the estimates are counted."),
    "response": st.column_config.SelectboxColumn(
        "Response", options=RISK_RESPONSES, default="mitigate",
        help="Threats: " + ", ".join(RESPONSES_BY_KIND["threat"]) + ". Opportunities: "
             + ", ".join(RESPONSES_BY_KIND["opportunity"]) + "."),
    "status": st.column_config.SelectboxColumn("Status", options=RISK_STATUSES, default="open"),
    "review_date": st.column_config.DateColumn("Review by"),
    "private": st.column_config.CheckboxColumn("Private", default=False, help="Kept out of the pitch."),
    "score": st.column_config.NumberColumn("Score", disabled=True, help="Probability level (1–5) × impact (1–5)."),
    "emv_usd": st.column_config.NumberColumn("EMV", format="dollar", disabled=True,
                                             help="Probability × $ impact; threats negative, opportunities positive."),
    "linked_tasks": st.column_config.NumberColumn("Tasks", disabled=True, help="Linked tasks it would delay."),
}

st.title("Risks")
filters_row = st.columns(4)
filters = RiskFilters(
    categories=tuple(filters_row[0].multiselect("Category", RISK_CATEGORIES, key="risk_filter_category")),
    statuses=tuple(filters_row[1].multiselect("Status", RISK_STATUSES, key="risk_filter_status")),
    kinds=tuple(filters_row[2].multiselect("Kind", RISK_KINDS, key="risk_filter_kind")),
    # The owner choices come from the view, so that widget is drawn after it; its value is already in the state.
    owners=tuple(st.session_state.get("risk_filter_owner", ())),
)
with read() as session:
    view = risks_view(session=session, workspace_id=workspace_id, filters=filters)
filters_row[3].multiselect("Owner", view.owners, key="risk_filter_owner")
illustrative_banner(view.illustrative)


def _add_from_catalogue(codes: list[str] | None, review: date | None) -> None:
    if run_action(lambda s: add_from_catalogue(session=s, workspace_id=workspace_id, codes=codes, review_date=review),
                  lambda added: f"Added {len(added)} risks from the documents' catalogue"):
        st.rerun()


def _catalogue_picker(key: str) -> None:
    """Offer the catalogue entries the workspace does not hold yet: all at once, or chosen ones."""
    titles = {item["code"]: f"{item['title']} ({item['category']})" for item in view.catalogue}
    if not titles:
        st.caption("Every risk of the documents' catalogue is in this register.")
        return
    left, middle, right = st.columns([3, 1, 1], vertical_alignment="bottom")
    chosen = left.multiselect("Catalogue risks", list(titles), format_func=titles.get, key=f"{key}_codes",
                              placeholder="All of them")
    review = middle.date_input("First review by", value=None, key=f"{key}_review",
                               help="Optional: the review date the added risks start with.")
    if right.button(f"Add {len(chosen)} chosen" if chosen else f"Add all {len(titles)}", key=f"{key}_add",
                    icon=":material/playlist_add:", type="primary"):
        _add_from_catalogue(chosen or None, review)
    st.caption("The documents name each risk and its mitigations (with line citations in *sources*) but give no "
               "probabilities or dollar figures: the ones added here are **illustrative starting values** — "
               "re-estimate them for your startup.")


if view.total == 0:
    with st.container(border=True):
        st.subheader("Start from the documents' catalogue")
        st.markdown(f"This workspace has no risks yet. The source documents list **{len(view.catalogue)} risks** "
                    "an AI-model startup faces, each with its mitigations: add them all and edit from there.")
        _catalogue_picker("start")

cards = st.columns(4)
cards[0].metric("Open risks", view.cards.open_risks, border=True,
                help=f"{view.total} risks in the register before filters.")
cards[1].metric("Net EMV (open)", usd(view.cards.net_emv_usd), border=True,
                help="Σ probability × $ impact: threats count negative, opportunities positive.")
cards[2].metric(f"Critical (score ≥ {CRITICAL_SCORE})", view.cards.critical, border=True)
cards[3].metric("Overdue for review", view.cards.overdue, border=True)

register_tab, charts_tab, detail_tab, catalogue_tab, history_tab = st.tabs(
    ["Register", "Heat map and top risks", "Detail and linked tasks", "Catalogue", "History and restore"])

with register_tab:
    st.caption("Edit cells, add rows at the bottom, select rows and press Delete; then **Save**. A save is "
               "all-or-nothing. Cause → event → effect, mitigation and linked tasks are edited under *Detail*.")
    nonce = st.session_state.setdefault("risks_nonce", 0)
    # Edits are reported by row position: a grid showing other rows (another filter) must be another widget,
    # or an unsaved edit would land on whichever risk now sits at that position.
    rows_digest = zlib.crc32(np.asarray(view.grid.ids, dtype=np.int64).tobytes())
    editor_key = f"risks_grid_{nonce}_{rows_digest}"
    config = {**GRID, "owner": st.column_config.SelectboxColumn("Owner", options=view.grid.options["owner"])}
    # Score and EMV right after the estimates they are computed from.
    order = ["title", "kind", "category", "owner", "probability_pct", "impact", "impact_usd", "score", "emv_usd",
             "schedule_impact_days", "response", "status", "review_date", "private", "linked_tasks"]
    st.data_editor(view.grid.rows, key=editor_key, num_rows="dynamic", hide_index=True, width="stretch",
                   column_config=config, column_order=order)

    def _save() -> None:
        changes = st.session_state.get(editor_key, {})
        if run_action(lambda s: save_register(session=s, workspace_id=workspace_id, grid=view.grid, changes=changes),
                      lambda r: f"Saved risks: {r.describe()}" if r.total else "Nothing to save: edit cells",
                      in_callback=True):
            st.session_state["risks_nonce"] = nonce + 1

    pending = pending_changes(st.session_state.get(editor_key, {}))
    left, right = st.columns([1, 4], vertical_alignment="center")
    left.button("Save risks", on_click=_save, key="risks_save", icon=":material/save:")
    if pending.total:
        right.warning(f"Unsaved: {pending.describe()}. Press Save to keep them; changing a filter drops them.",
                      icon=":material/edit_note:")
    if not view.register.empty:
        with st.expander("Cause → event → effect of each risk"):
            # One Markdown element for all of them: hundreds of separate elements would slow the page.
            st.markdown("\n\n".join(
                f"{'🔒 ' if private else ''}**{plain(title)}**: {plain(text or 'no statement yet')}"
                for title, text, private in zip(view.register["title"], view.register["statement"],
                                                view.register["private"], strict=True)))
            st.caption("🔒 private: kept out of the pitch view and its exports.")


def _cell_hover(titles: tuple[str, ...], shown: int = 12) -> str:
    """A heat-map cell's risks for the hover box: the first ``shown`` titles, then how many more."""
    # Plotly reads tags in hover text; entities make a title like "<b>x</b>" show as typed.
    lines = [html.escape(t, quote=False) for t in titles[:shown]]
    if len(titles) > shown:
        lines.append(f"… and {len(titles) - shown} more")
    return "<br>".join(lines) or "none"


def _heat_figure() -> go.Figure:
    counts, members = view.heat.counts, view.heat.members
    hover = [[_cell_hover(cell) for cell in row] for row in members.to_numpy()]
    # Four flat colour steps, one per band (z is the band 0–3, so each takes a quarter of the scale).
    steps = [[(i + edge) / 4, colour] for i, colour in enumerate(BAND_COLOURS) for edge in (0, 1)]
    figure = go.Figure(go.Heatmap(
        z=view.bands.to_numpy(), x=[f"impact {i}" for i in counts.columns],
        y=[f"probability {p}" for p in counts.index],
        text=counts.to_numpy(), texttemplate="%{text}", customdata=hover, zmin=-0.5, zmax=3.5, showscale=False,
        colorscale=steps, xgap=3, ygap=3,
        hovertemplate="%{y} × %{x}: %{text} risk(s)<br>%{customdata}<extra></extra>"))
    figure.update_layout(height=380, margin={"l": 10, "r": 10, "t": 10, "b": 10}, font={"size": 14})
    return figure


with charts_tab:
    left, right = st.columns([1, 1])
    with left:
        st.subheader("Heat map", help="Open risks of the filtered register by probability level (PMBOK 6th ed. "
                                      "example scale: ≤10 %, ≤30 %, ≤50 %, ≤70 %, >70 %) and impact. Colours: "
                                      "score 1–4 low, 5–9 medium, 10–14 high, 15–25 critical.")
        st.plotly_chart(_heat_figure(), width="stretch", key="risk_heat_map")
    with right:
        st.subheader(f"Top {len(view.top)} by expected monetary value")
        st.dataframe(view.top[["title", "score", "emv_usd", "direction"]], hide_index=True, width="stretch",
                     column_config={"title": st.column_config.TextColumn("Risk", width="medium"), "score": "Score",
                                    "direction": st.column_config.TextColumn("", width="small"),
                                    "emv_usd": st.column_config.NumberColumn("EMV", format="dollar")})
    st.subheader("Overdue for review")
    if view.overdue.empty:
        st.caption("No open risk is past its review date.")
    else:
        st.dataframe(view.overdue[["title", "review_date", "days_overdue", "owner", "status"]], hide_index=True,
                     width="stretch", column_config={"title": "Risk", "review_date": "Review by",
                                                     "days_overdue": "Days overdue", "owner": "Owner",
                                                     "status": "Status"})
    st.subheader("Trend", help="Rebuilt week by week from the change history of the whole register (filters do "
                               "not apply): the state at the end of each week.")
    trend = view.trend
    if len(trend) < 2:
        st.caption("The trend needs two weeks of history; it grows week by week as the register is edited."
                   + (f" This week: {int(trend['open_risks'].iloc[-1])} open risks, net EMV "
                      f"{usd(float(trend['total_emv_usd'].iloc[-1]))}." if len(trend) else ""))
    else:
        figure = go.Figure()
        figure.add_bar(x=trend.index, y=trend["open_risks"], name="Open risks", marker_color="#94A3B8")
        figure.add_scatter(x=trend.index, y=trend["total_emv_usd"], name="Net EMV", yaxis="y2", mode="lines+markers",
                           line={"color": "#DC2626"}, hovertemplate="%{y:$,.0f}")
        figure.add_scatter(x=trend.index, y=trend["mean_score"], name="Mean score", mode="lines+markers",
                           line={"color": "#2563EB", "dash": "dot"})
        figure.update_layout(height=320, margin={"l": 10, "r": 10, "t": 10, "b": 10}, hovermode="x unified",
                             legend={"orientation": "h", "y": -0.2}, yaxis={"title": "risks / score"},
                             xaxis={"tickformat": "%d %b", "title": "week starting"},
                             yaxis2={"title": "net EMV, USD", "overlaying": "y", "side": "right",
                                     "showgrid": False, "tickformat": "$.2s"})
        st.plotly_chart(figure, width="stretch", key="risk_trend")

with detail_tab:
    if view.register.empty:
        st.caption("No risks to show: add some in the register or from the catalogue, or clear the filters.")
    else:
        titles = view.register["title"].to_dict()
        risk_id = st.selectbox("Risk", list(titles), format_func=lambda i: titles[i], key="risk_pick")
        row = view.register.loc[risk_id]
        if row["sources"]:
            st.caption(f"Sources in the documents: {plain(row['sources'])}")
        with st.form(f"risk_detail_{risk_id}"):
            values = {field: st.text_area(label, value=row[field] or "", key=f"risk_{field}_{risk_id}")
                      for field, label in (("cause", "Cause"), ("event", "Event"), ("effect", "Effect"),
                                           ("mitigation", "Mitigation"), ("trigger", "Trigger"))}
            linked = st.multiselect("Linked tasks (the risk would delay them)", list(view.tasks),
                                    default=[t for t in view.links.get(risk_id, []) if t in view.tasks],
                                    format_func=view.tasks.get, key=f"risk_links_{risk_id}")
            version = view.grid.versions[view.grid.ids.index(risk_id)]
            if st.form_submit_button("Save risk", icon=":material/save:") and run_action(
                    lambda s: save_risk_detail(session=s, risk_id=risk_id, values=values, task_ids=linked,
                                               expected_version=version),
                    lambda r: f"Saved the risk ({r[0]} links added, {r[1]} removed)"):
                st.rerun()
        st.markdown("**History of this risk**")
        row_history("risk", risk_id, workspace_id)

with catalogue_tab:
    st.caption(f"The documents' catalogue of AI-startup risks: {len(view.catalogue)} not yet in this register.")
    _catalogue_picker("catalogue")

with history_tab:
    st.subheader("Deleted risks")
    if view.deleted.empty:
        st.caption("Nothing deleted. Deleted risks appear here and can be restored with their task links.")
    elif view.deleted_total > len(view.deleted):
        st.caption(f"The {len(view.deleted)} most recently deleted of {view.deleted_total} deleted risks; the "
                   "restore list on the Projects page pages through them all.")
    for item in view.deleted.itertuples():
        left, right = st.columns([5, 1])
        left.markdown(f"**{plain(item.title)}** — deleted {pd.Timestamp(item.deleted_at):%Y-%m-%d %H:%M} UTC")
        if right.button("Restore", key=f"restore_risk_{item.id}", icon=":material/undo:") and run_action(
                lambda s, i=item.id: repo.restore(session=s, model=Risk, row_id=i),
                f"Restored risk {item.title!r}"):
            st.rerun()
        with st.expander(f"History of {plain(item.title)}"):
            row_history("risk", int(item.id), workspace_id)

st.subheader("Risk-adjusted schedule and budget", help="The Roadmap's Monte Carlo (beta-PERT over each task's "
             "three-point estimate, seeded): in every iteration each open threat fires with its probability, adds "
             "its delay to the tasks linked to it and its $ impact to the cost.")
working_days = bool(st.session_state.get(WORKING_DAYS, False))
st.caption("Days are **working days** (Monday–Friday), as the Roadmap's *Working days only* switch is set."
           if working_days else "Days are **calendar days**; turn on *Working days only* on the Roadmap to count "
                                "Monday–Friday only (here too).")
if st.toggle("Simulate the plan with the open risks as events (2,000 iterations)", key="risk_adjusted_on"):
    try:
        with read() as session:
            adjusted = risk_adjusted_schedule(session=session, workspace_id=workspace_id, working_days=working_days)
    except ValueError as exc:  # a dependency cycle: the Roadmap page shows and names it
        st.error(plain(str(exc)), icon=":material/error:")
        adjusted = None
    if adjusted is None:
        st.caption("No plan to simulate: add tasks with estimates on the Projects or Roadmap page.")
    else:
        cards = st.columns(4)
        cards[0].metric("Plan finish (no risk events)", f"{adjusted.plan_finish:%d %b %Y}", border=True,
                        help="Critical path with most-likely durations.")
        cards[1].metric("P80 finish with risks", f"{adjusted.finish['p80_date']:%d %b %Y}", border=True,
                        help=f"P50 {adjusted.finish['p50_date']:%d %b %Y}, P95 {adjusted.finish['p95_date']:%d %b %Y}.")
        cards[2].metric("P80 cost with risks", usd(adjusted.cost["p80"]), border=True,
                        help=f"Task cost (assignees' salary per day) plus risk events; plan cost without events "
                             f"{usd(adjusted.cost['plan_cost'])}.")
        cards[3].metric("Expected cost of risk events", usd(adjusted.cost["risk_mean"]), border=True)
        st.dataframe(adjusted.events, hide_index=True, width="stretch", column_config={
            "title": st.column_config.TextColumn("Risk event", width="medium"),
            "probability_pct": st.column_config.NumberColumn("Probability %"),
            "delay_days": st.column_config.NumberColumn(
                f"Delay per linked task ({'working' if adjusted.working_days else 'calendar'} days)"),
            "cost_usd": st.column_config.NumberColumn("Cost if it happens", format="dollar"),
            "tasks": st.column_config.NumberColumn("Linked tasks"),
            "fired": st.column_config.ProgressColumn("Fired in", format="percent", min_value=0, max_value=1)})
