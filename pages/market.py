"""Market: TAM/SAM/SOM both ways, competitors and positioning, public API prices against yours, the documents'
business-model classification, a business-model canvas, the platform-advantage radar and the SWOT-like grid."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from analytics.market import competitors_from_grid, money
from db.market import save_market_sections
from db.views_market import market_view
from pages import _market_charts as charts
from pages._components import illustrative_banner, plain, read, require_workspace, run_action

workspace_id = require_workspace()
with read() as session:
    view = market_view(session=session, workspace_id=workspace_id)
doc = view.doc
# The version the widgets were drawn from is kept until this session saves, so a save made against a document that
# someone else has changed since is refused (not silently redrawn). The widget keys carry a counter bumped on each
# save or reload, so the widgets then start again from the stored values.
NONCE, LOADED = f"mk_nonce_{workspace_id}", f"mk_loaded_{workspace_id}"
st.session_state.setdefault(NONCE, 0)
st.session_state.setdefault(LOADED, view.version)
V = f"{workspace_id}_{st.session_state[NONCE]}"


def _fresh() -> None:
    st.session_state[NONCE] += 1
    st.session_state.pop(LOADED, None)


st.title("Market")
illustrative_banner(view.illustrative)
st.caption("The documents give no market sizes, prices or competitor figures (../shared/notes): every number here "
           "is the workspace's own, except the public API prices, which are dated and sourced.")
for note in view.problems:
    st.warning(plain(note), icon=":material/warning:")
if st.session_state[LOADED] != view.version:
    st.warning("The market model was changed elsewhere since you opened it; saving now is refused. Reload to see "
               "the stored version (your unsaved edits are dropped).", icon=":material/sync_problem:")
    st.button("Reload the stored market model", on_click=_fresh, key="mk_reload")
if view.row_id is None:
    st.info("No market model saved yet: fill in any section below and save it.", icon=":material/info:")


def save(sections: dict[str, Any], message: str) -> None:
    loaded = st.session_state[LOADED]
    if run_action(lambda s: save_market_sections(session=s, workspace_id=workspace_id, sections=sections,
                                                 expected_version=loaded), message):
        _fresh()
        st.rerun()


def _num(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _filters(grid: pd.DataFrame) -> list[dict[str, Any]]:
    rows = grid.to_dict("records")
    return [{"name": str(r.get("name") or "").strip(), "share": _num(r.get("share"))} for r in rows
            if str(r.get("name") or "").strip() or _num(r.get("share")) is not None]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


size_tab, comp_tab, api_tab, model_tab, swot_tab = st.tabs(
    ["Market size", "Competitors", "API prices", "Business model", "Platform advantage & SWOT"])

with size_tab:
    cols = st.columns(len(view.sizing))
    for col, (name, s) in zip(cols, view.sizing.items(), strict=True):
        col.subheader(name.capitalize())
        for lv in s.levels:
            col.metric(lv.level, money(lv.usd))
            col.caption(plain(lv.formula))
        if s.note:
            col.caption(plain(s.note))
        if s.missing:
            col.caption("Still needed: " + ", ".join(f"`{m}`" for m in s.missing))
    if not view.sizing_table.empty:
        st.plotly_chart(charts.sizing(view.sizing), key="mk_sizing_chart")
    st.caption("Top-down: a published total × the shares you can serve. Bottom-up (what investors trust): buyers × "
               "annual revenue per buyer, narrowed by product fit, geography, language, regulation and channel; "
               "SOM is what you can win in 24–36 months, capped by the sales team's capacity when entered "
               "(REFERENCE B4.1: Sequoia; startupdeck; pitchkit).")
    sz = doc["sizing"]
    with st.form(f"mk_sizing_{V}"):
        horizon = st.slider("SOM horizon (months)", 24, 36, int(sz["horizon_months"]), 12, key=f"mk_horizon_{V}")
        left, right = st.columns(2, gap="large")
        td, bu = sz["top_down"], sz["bottom_up"]
        left.markdown("**Top-down**")
        total = left.number_input("Total market ($ a year)", min_value=0.0, value=td["total_market_usd"],
                                  format="%.0f", step=1e6, key=f"mk_td_total_{V}")
        td_source = left.text_input("Source of the total", td["source"], key=f"mk_td_source_{V}")
        td_as_of = left.text_input("As of", td["as_of"], key=f"mk_td_asof_{V}")
        td_filters = left.data_editor(pd.DataFrame(td["filters"], columns=["name", "share"]), num_rows="dynamic",
                                      key=f"mk_td_filters_{V}", column_config={"share": st.column_config.NumberColumn(
                                          "share (0–1)", min_value=0.0, max_value=1.0)})
        td_som = left.number_input("Share winnable (0–1)", min_value=0.0, max_value=1.0, value=td["som_share"],
                                   key=f"mk_td_som_{V}")
        right.markdown("**Bottom-up**")
        buyer = right.text_input("Buyer (plural)", bu["buyer"], key=f"mk_bu_buyer_{V}")
        buyers = right.number_input("Potential buyers", min_value=0.0, value=bu["buyers"], format="%.0f", step=1.0,
                                 key=f"mk_bu_n_{V}")
        arpb = right.number_input("Annual revenue per buyer ($)", min_value=0.0,
                                  value=bu["annual_revenue_per_buyer_usd"], format="%.0f", step=100.0,
                                  key=f"mk_bu_arpb_{V}")
        bu_source = right.text_input("Source", bu["source"], key=f"mk_bu_source_{V}")
        bu_filters = right.data_editor(pd.DataFrame(bu["filters"], columns=["name", "share"]), num_rows="dynamic",
                                       key=f"mk_bu_filters_{V}", column_config={"share": st.column_config.NumberColumn(
                                           "share (0–1)", min_value=0.0, max_value=1.0)})
        bu_som = right.number_input("Share of SAM buyers winnable (0–1)", min_value=0.0, max_value=1.0,
                                    value=bu["som_share"], key=f"mk_bu_som_{V}")
        r1, r2 = right.columns(2)
        reps = r1.number_input("Sales reps", min_value=0.0, value=bu["reps"], format="%g", step=1.0,
                               key=f"mk_bu_reps_{V}")
        deals = r2.number_input("Deals per rep a year", min_value=0.0, value=bu["deals_per_rep_per_year"], format="%g",
                                key=f"mk_bu_deals_{V}")
        if st.form_submit_button("Save market size"):
            save({"sizing": {"horizon_months": horizon,
                            "top_down": {"total_market_usd": total, "source": td_source, "as_of": td_as_of,
                                         "filters": _filters(td_filters), "som_share": td_som},
                            "bottom_up": {"buyer": buyer, "buyers": buyers, "annual_revenue_per_buyer_usd": arpb,
                                          "source": bu_source, "filters": _filters(bu_filters), "som_share": bu_som,
                                          "reps": reps, "deals_per_rep_per_year": deals}}}, "Market size saved")

with comp_tab:
    st.caption("Name a public API model to take its dated list prices (leave its prices empty); type prices for "
               "anyone else. Quality is one score, 0–100, on the metric below.")
    cfg = st.column_config
    grid = st.data_editor(
        view.competitor_grid, num_rows="dynamic", hide_index=True, key=f"mk_comp_{V}",
        column_config={
            "pricing": cfg.SelectboxColumn("pricing", options=["per_token", "per_seat", "other"], required=True,
                                           default="per_token"),
            "api_model": cfg.SelectboxColumn("public API model", options=["", *view.api_models]),
            "price_per_m_input": cfg.NumberColumn("$/1M input", min_value=0.0, format="%.3f"),
            "price_per_m_output": cfg.NumberColumn("$/1M output", min_value=0.0, format="%.3f"),
            "price_per_seat_month": cfg.NumberColumn("$/seat a month", min_value=0.0),
            "quality": cfg.NumberColumn("quality (0–100)", min_value=0.0, max_value=100.0)})
    if st.button("Save competitors", key="mk_comp_save"):
        save({"competitors": competitors_from_grid(grid)}, "Competitors saved")
    with st.form(f"mk_own_{V}"):
        o = st.columns(4)
        own_name = o[0].text_input("Your product", doc["own"]["name"], key=f"mk_own_name_{V}")
        own_quality = o[1].number_input("Your quality (0–100)", 0.0, 100.0, doc["own"]["quality"],
                                        format="%g", key=f"mk_own_q_{V}")
        metric = o[2].text_input("Quality metric", doc["quality_metric"], key=f"mk_metric_{V}")
        share = o[3].number_input("Output-token share of a blended price", 0.0, 1.0, doc["output_share"], 0.05,
                                  key=f"mk_output_share_{V}")
        if st.form_submit_button("Save positioning settings"):
            save({"own": {"name": own_name, "quality": own_quality}, "quality_metric": metric,
                  "output_share": share}, "Positioning settings saved")
    st.subheader("Competitor matrix")
    st.dataframe(view.competitors, hide_index=True, key="mk_matrix", column_config={
        "api_model": "public API model", "price_per_m_input": cfg.NumberColumn("$/1M input", format="$%.2f"),
        "price_per_m_output": cfg.NumberColumn("$/1M output", format="$%.2f"),
        "price_per_seat_month": cfg.NumberColumn("$/seat a month", format="$%.0f"),
        "quality": cfg.NumberColumn(format="%.0f"), "as_of": "as of"})
    st.subheader("Price / performance")
    if view.positioning.empty:
        st.caption("Give competitors (and yourself) a quality score and a price to place them.")
    for unit in view.positioning["unit"].unique():
        st.plotly_chart(charts.positioning(view.positioning, unit, doc["quality_metric"]), key=f"mk_pos_{unit}")
    if not view.positioning.empty:
        st.dataframe(view.positioning, hide_index=True, key="mk_pos_table", column_config={
            "price": cfg.NumberColumn(format="$%.2f"), "quality": cfg.NumberColumn(format="%.0f"),
            "quality_per_usd": cfg.NumberColumn("quality per $", format="%.2f"), "dominated_by": "dominated by"})
        st.caption("dominated by: cheaper (or as cheap) and as good or better, in the same unit; blended at "
                   f"{doc['output_share']:.0%} output tokens. Your own scenarios are not compared with each other.")

with api_tab:
    dates = ", ".join(view.api_dates)
    if view.standing.empty:
        st.info("No MaaS stream in this workspace's revenue scenarios: add one on the Revenue page to compare "
                "your per-token prices and serving cost.", icon=":material/info:")
    else:
        for r in view.standing.itertuples():
            st.markdown(plain(f"{r.stream} ({r.scenarios}): ${r.blended_price:.3f} per 1M tokens blended, serving "
                              f"${r.blended_serving:.3f}, gross margin {r.gross_margin:.0%}; {r.public_cheaper} of "
                              f"{r.public_total} public APIs are cheaper; {r.x_median:.2f}× their median "
                              f"(${r.public_median:.3f})."))
    st.plotly_chart(charts.benchmark(view.benchmark, doc["output_share"], dates), key="mk_benchmark")
    st.dataframe(view.benchmark, hide_index=True, key="mk_benchmark_table", column_config={
        "usd_per_m_input": st.column_config.NumberColumn("$/1M input", format="$%.3f"),
        "usd_per_m_output": st.column_config.NumberColumn("$/1M output", format="$%.3f")})
    st.caption(f"Public list prices as of {dates} (source in each row); they age fast. Your prices are the base "
               "values of the revenue scenarios; serving cost is the fleet \\$/1M of the cost scenario each stream "
               "names.")

with model_tab:
    st.subheader("Classification (002 §2.1.2)")
    st.dataframe(view.business_types, hide_index=True, key="mk_types")
    if not view.stream_classes.empty:
        st.dataframe(view.stream_classes, hide_index=True, key="mk_stream_classes")
        st.caption("FounderDeck's reading of your streams against 002's three types (the documents do not map them).")
    types = ["", "product", "service", "platform"]
    with st.form(f"mk_bm_{V}"):
        chosen = st.radio("Your business model", types, index=types.index(doc["business_model"]["type"]),
                          format_func=lambda t: t or "not chosen", horizontal=True, key=f"mk_bm_type_{V}",
                          help=f"Your streams suggest: {view.suggested_type or 'no single type'}.")
        why = st.text_area("Why", doc["business_model"]["rationale"], key=f"mk_bm_why_{V}")
        if st.form_submit_button("Save classification"):
            save({"business_model": {"type": chosen, "rationale": why}}, "Classification saved")
    st.subheader("Business-model canvas")
    with st.form(f"mk_canvas_{V}"):
        blocks, entries = list(view.canvas.itertuples()), {}
        for start in range(0, len(blocks), 3):
            for col, b in zip(st.columns(3), blocks[start:start + 3], strict=False):
                entries[b.id] = col.text_area(f"{b.name} ({b.zh})", "\n".join(b.entries), height=130,
                                              key=f"mk_canvas_{b.id}_{V}", help=f"{b.prompt} ({b.cite})")
        st.caption("Osterwalder's nine blocks; 002:L423-428's four core elements prompt four of them (hover a "
                   "block's help). One entry per line.")
        if st.form_submit_button("Save canvas"):
            save({"canvas": {k: _lines(v) for k, v in entries.items()}}, "Canvas saved")

with swot_tab:
    left, right = st.columns([2, 3])
    left.plotly_chart(charts.radar(view.radar), key="mk_radar")
    right.dataframe(view.radar[["name", "zh", "score", "scored", "factors", "exemplar", "exemplar_cite", "cite"]],
                    hide_index=True, key="mk_radar_table",
                    column_config={"score": st.column_config.NumberColumn(format="%.1f")})
    for text, where in view.pillar_flags:
        right.warning(plain(f"{text} ({where})"), icon=":material/fact_check:")
    with st.form(f"mk_pillars_{V}"):
        scores: dict[str, dict[str, int | None]] = {}
        cols = st.columns(4)
        for col, (pillar, part) in zip(cols, view.pillars.groupby("pillar", sort=False), strict=True):
            col.markdown(f"**{part['pillar_name'].iloc[0]}**")
            scores[pillar] = {}
            for r in part.itertuples():
                now = None if pd.isna(r.score) else int(r.score)
                scores[pillar][r.factor] = col.selectbox(f"{r.factor_name} ({r.zh})", [None, 1, 2, 3, 4, 5],
                                                         index=[None, 1, 2, 3, 4, 5].index(now),
                                                         format_func=lambda x: "not scored" if x is None else str(x),
                                                         key=f"mk_pillar_{pillar}_{r.factor}_{V}")
        if st.form_submit_button("Save scores"):
            save({"pillars": scores}, "Pillar scores saved")
    st.subheader("Challenges and opportunities (SWOT-like)")
    grid_cols = st.columns(2)
    for i, (quadrant, table) in enumerate(view.swot.items()):
        box = grid_cols[i % 2].container(border=True)
        box.markdown(f"**{quadrant.capitalize()}**")
        for r in table.itertuples():
            # Escape the text, not the italics around its origin (escaping the whole line printed the asterisks).
            line = plain(r.text) + (f" — *{plain(r.origin)}*" if r.origin else "")
            box.markdown("- " + line + (f"  \n  Strategy: {plain(r.strategy)}" if r.strategy else "")
                         + (f"  \n  Note: {plain(r.note)}" if r.note else ""))
    st.caption("Strengths and weaknesses: sub-factors you scored 4–5 or 1–2, and your own lines. Opportunities and "
               "threats: the documents' items that apply (002 §4, 004 §8), and your own lines.")
    items = st.data_editor(view.swot_items, hide_index=True, key=f"mk_swot_items_{V}",
                           disabled=[c for c in view.swot_items.columns if c not in ("applies", "note")])
    with st.form(f"mk_swot_{V}"):
        own_cols = st.columns(4)
        own = {q: own_cols[k].text_area(f"Your {q}", "\n".join(doc["swot"][q]), key=f"mk_swot_{q}_{V}")
               for k, q in enumerate(("strengths", "weaknesses", "opportunities", "threats"))}
        if st.form_submit_button("Save challenges and opportunities"):
            save({"swot": {"items": {r.id: {"applies": bool(r.applies), "note": str(r.note or "")}
                                     for r in items.itertuples()}, **{q: _lines(t) for q, t in own.items()}}},
                 "Challenges and opportunities saved")
