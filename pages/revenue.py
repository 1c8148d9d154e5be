"""Revenue: MaaS, SaaS and subscription scenarios against compute cost — the monthly model, metrics with their
bands, MRR waterfall, cohorts, Monte Carlo fans, tornado and side-by-side scenarios."""

from __future__ import annotations

import json
import math

import pandas as pd
import streamlit as st

from analytics.revenue.editing import apply_assumptions, assumption_groups
from analytics.revenue.metrics import metrics_frame
from analytics.revenue.montecarlo import OUTPUTS
from analytics.revenue.report import readable_table, table_csv, table_excel
from analytics.revenue.spec import SpecError
from analytics.revenue.values import DISTRIBUTIONS
from db.revenue import delete_revenue_scenario, save_revenue_scenario
from db.views_revenue import WhatIf, revenue_view
from pages import _revenue_charts as charts
from pages._components import illustrative_banner, plain, problems, read, require_workspace, run_action, usd

workspace_id = require_workspace()
PICK, MC_RUN = "rev_scenario", "rev_mc_paths"
TORNADO_MONTHS = [None, 12, 24, 36, 48]

st.title("Revenue")
with read() as session:
    names = revenue_view(session=session, workspace_id=workspace_id).scenarios
if names.empty:
    st.info("No revenue scenario yet. Upload a scenario file below (`examples/demo-scenario.json` is one) or "
            "create the demo workspace to see three.", icon=":material/info:")
    chosen_id = None
else:
    labels = {int(r.id): r.name + (" (private)" if r.private else "") for r in names.itertuples()}
    chosen_id = st.selectbox("Scenario", list(labels), format_func=labels.get, key=PICK)

cols = st.columns(5)
whatif = WhatIf(
    demand=cols[0].slider("New customers ×", 0.2, 3.0, 1.0, 0.05, key="rev_demand",
                          help="Unsaved what-if: every stream's new customers, accounts, sign-ups and units."),
    churn=cols[1].slider("Churn ×", 0.2, 3.0, 1.0, 0.05, key="rev_churn"),
    price=cols[2].slider("Prices ×", 0.2, 3.0, 1.0, 0.05, key="rev_price", help="List prices of every stream."),
)
output = cols[3].selectbox("Tornado output", list(OUTPUTS), format_func=OUTPUTS.get, key="rev_tornado")
# Month numbers, not dates: the scenario (and so its start and horizon) is only known after the read below.
at_month = cols[4].selectbox("Tornado at", TORNADO_MONTHS, format_func=lambda m: "horizon end" if m is None
                             else f"month {m}", key="rev_tornado_at",
                             help="The month the tornado's output is read at; past the horizon, its last month.")
compare = st.session_state.get("rev_compare_ids")
with read() as session:
    view = revenue_view(session=session, workspace_id=workspace_id, scenario_id=chosen_id, whatif=whatif,
                        mc_paths=int(st.session_state.get(MC_RUN, 0)), tornado_output=output,
                        tornado_month=None if at_month is None else at_month - 1,
                        compare_ids=list(compare) if compare is not None else None)
illustrative_banner(view.illustrative)
if whatif.active:
    st.caption("What-if multipliers are applied and **not saved**; set them back to 1 to see the scenario as saved.")
for note in view.warnings:
    st.caption(plain(note))
if view.error:
    st.error(problems(view.error), icon=":material/error:")

report = view.report
if report is not None:
    h = report.headline
    k = st.columns(6)
    k[0].metric("Revenue, last 12 mo", usd(h.revenue_last_12_usd), help="The horizon's last 12 months.")
    k[1].metric("Gross margin", f"{h.gross_margin_last_12:.0%}" if not math.isnan(h.gross_margin_last_12) else "–",
                help="Over the horizon's last 12 months; inference, hosting, support and delivery are COGS.")
    # A headline value must fit a sixth of the page (about eight characters, else Streamlit cuts it to "not
    # by …"), so an event outside the horizon reads "none" with the horizon's end as the note beneath it.
    last = f"by {report.months[-1]:%b %Y}"
    quiet = {"delta_color": "off", "delta_arrow": "off"}
    if h.break_even_month is None:
        k[2].metric("Break-even", "none", last, help="First month with EBITDA ≥ 0.", **quiet)
    else:
        k[2].metric("Break-even", f"{report.months[h.break_even_month]:%b %Y}", help="First month with EBITDA ≥ 0.")
    if math.isinf(h.runway_now_months):
        k[3].metric("Runway now", "∞", "not burning", help="Cash ÷ current net burn.", **quiet)
    else:
        k[3].metric("Runway now", f"{h.runway_now_months:.1f} mo", help="Cash ÷ current net burn.")
    cash_help = f"First month whose forecast closing cash is below zero, up to {report.months[-1]:%B %Y}."
    if h.cash_out_month is None:
        k[4].metric("Cash runs out", "none", last, help=cash_help, **quiet)
    else:
        k[4].metric("Cash runs out", f"{report.months[h.cash_out_month]:%b %Y}", help=cash_help)
    k[5].metric("NPV", usd(h.npv_usd), help="Of the operating cash flow (funding excluded), at the scenario's "
                "discount rate; " + (f"IRR {h.irr_annual:.0%} a year." if not math.isnan(h.irr_annual)
                                     else "IRR undefined (the flows never change sign)."))
tabs = st.tabs(["Monthly model", "Metrics", "Uncertainty", "Compare", "Assumptions"]) if view.stored else []
if report is not None:

    with tabs[0]:
        a, b = st.columns(2)
        a.plotly_chart(charts.stacked_revenue(report), key="rev_stack")
        b.plotly_chart(charts.margins(report), key="rev_margin")
        st.plotly_chart(charts.cash(report), key="rev_cash")
        st.dataframe(readable_table(report.table), key="rev_table")
        d = st.columns(2)
        d[0].download_button("Monthly model (CSV)", lambda: table_csv(report.table), "monthly_model.csv", "text/csv",
                             key="rev_csv")
        d[1].download_button("Monthly model (Excel)", lambda: table_excel(report.table), "monthly_model.xlsx",
                             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="rev_xlsx")
    with tabs[1]:
        for month, metrics in report.metrics.items():
            st.subheader(f"At {report.months[month]:%B %Y} (month {month + 1})")
            # Tall enough for every metric: a scrolled table hides the ones a founder is asked about last.
            st.dataframe(metrics_frame(metrics), hide_index=True, key=f"rev_metrics_{month}",
                         height=35 * (len(metrics) + 1) + 3, column_config={
                             "band": st.column_config.TextColumn(width="medium"),
                             "benchmark": st.column_config.TextColumn(width="medium")})
        st.plotly_chart(charts.waterfall(report), key="rev_waterfall")
        for name, data in report.cohorts.items():
            st.plotly_chart(charts.cohort_heatmap(name, data), key=f"rev_cohort_{name}")
        for name, facts in report.usage_facts.items():
            text = f"**{plain(name)}**: the heaviest 5 % of customers use {facts['top_5pct_share_of_tokens']:.0%} " \
                   "of the tokens"
            if "share_costing_more_than_they_pay" in facts:
                text += f"; {facts['share_costing_more_than_they_pay']:.1%} of subscribers cost more to serve " \
                        "than their plan pays"
            st.markdown(text + ".")
    with tabs[2]:
        paths = st.number_input("Paths", 100, 20_000, 10_000, 100, key="rev_paths")
        if st.button("Run Monte Carlo", key="rev_mc"):
            st.session_state[MC_RUN] = int(paths)
            st.rerun()
        mc = report.monte_carlo
        if mc is None:
            st.caption("Draws every ranged input (low–high) once per path, seeded; press **Run Monte Carlo**.")
        else:
            st.caption(f"{mc.paths:,} paths, seed {mc.seed}; ranged inputs: {'; '.join(mc.ranged_labels) or 'none'}.")
            a, b = st.columns(2)
            a.plotly_chart(charts.fan(report.months, mc.cash, "Cash: P10–P90"), key="rev_fan_cash")
            b.plotly_chart(charts.fan(report.months, mc.revenue, "Revenue: P10–P90"), key="rev_fan_rev")
            a.plotly_chart(charts.cash_out(report.months, mc), key="rev_cashout")
            b.plotly_chart(charts.break_even_histogram(report.months, mc), key="rev_be")
        if report.tornado is not None and not report.tornado.empty:
            m = report.tornado_month
            st.plotly_chart(charts.tornado(report.tornado, f"{OUTPUTS[output]}, {report.months[m]:%b %Y} "
                                                           f"(month {m + 1})"), key="rev_tornado_fig")
    with tabs[3]:
        st.multiselect("Scenarios to compare", list(labels), default=[int(i) for i in names.loc[
            view.scenarios["compared"].to_numpy(), "id"]], format_func=labels.get, key="rev_compare_ids")
        if view.comparison.empty:
            st.caption("Save more than one scenario to compare them.")
        else:
            st.dataframe(view.comparison, key="rev_compare")

if view.stored is not None:
    with tabs[4]:
        st.caption("Every number of the saved scenario; fill **low** and **high** to make it a range for the "
                   "Monte Carlo. Lines derived from the tracker are refreshed on each run and not listed.")
        if view.linked:
            st.caption("Refreshed from a cost scenario on each run, so not listed: " + "; ".join(
                f"{plain(label)} ← {plain(name)}" for label, name in view.linked.items()) + ".")
        # One table per stream, all rendered (a collapsed expander keeps its edits), saved together by one button.
        edited = []
        for i, (group, part) in enumerate(assumption_groups(view.assumptions)):
            with st.expander(f"{plain(group)}: {len(part)} inputs", expanded=i == 0):
                edited.append(st.data_editor(part, hide_index=True, disabled=["path", "stream", "field"],
                                             column_order=["field", "base", "low", "high", "dist", "path"],
                                             column_config={"dist": st.column_config.SelectboxColumn(
                                                 "dist", options=list(DISTRIBUTIONS),
                                                 help="How a range is drawn (triangular when left empty)")},
                                             key=f"rev_assumptions_{view.scenario_id}_{i}"))
        if st.button("Save assumptions", key="rev_save"):
            version = int(names.set_index("id").loc[view.scenario_id, "version"])
            try:
                doc = apply_assumptions(view.stored, pd.concat(edited, ignore_index=True))
            except (SpecError, KeyError, ValueError) as exc:
                st.error(problems(f"Nothing saved: {exc}"), icon=":material/error:")
            else:
                if run_action(lambda s: save_revenue_scenario(
                        session=s, workspace_id=workspace_id, name=view.stored["name"], spec=doc,
                        row_id=view.scenario_id, expected_version=version), "Scenario saved"):
                    st.rerun()
        c = st.columns(3)
        c[0].download_button("Scenario file (JSON)", json.dumps(view.resolved, indent=2), "scenario.json",
                             "application/json", key="rev_json",
                             help="With the workspace's figures filled in: `python -m analytics revenue scenario.json`")
        if c[1].button("Delete scenario", key="rev_delete"):
            version = int(names.set_index("id").loc[view.scenario_id, "version"])
            if run_action(lambda s: delete_revenue_scenario(session=s, row_id=view.scenario_id,
                                                            expected_version=version),
                          "Scenario deleted (restore it from Import & export)"):
                st.rerun()

st.subheader("Add a scenario from a file")
upload = st.file_uploader("Scenario JSON", type=["json"], key="rev_upload")
if upload is not None and st.button("Add scenario", key="rev_add"):
    try:
        raw = json.loads(upload.getvalue().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        st.error(problems(f"Nothing added: the file is not JSON ({exc})"), icon=":material/error:")
    else:
        name = str(raw.get("name", "Uploaded scenario")) if isinstance(raw, dict) else ""
        if run_action(lambda s: save_revenue_scenario(session=s, workspace_id=workspace_id, name=name,
                                                      spec=raw if isinstance(raw, dict) else {}),
                      f"Scenario {name!r} added"):
            st.rerun()
