"""Roadmap: Gantt with the critical path, dependency editor, baselines and slip, schedule risk."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from analytics.schedule import link_string
from analytics.schedule_mc import DISTRIBUTIONS
from db import repo
from db.baselines import save_baseline
from db.models import DEPENDENCY_KINDS, Baseline, TaskDependency
from db.views_roadmap import AUTO_SIMULATE_TASKS, PROJECT_LABEL, SimulationSettings, roadmap, task_labels
from pages._components import illustrative_banner, plain, read, require_workspace, run_action, usd
from pages._gantt import finish_distribution, gantt

MAX_GANTT_ROWS = 300
workspace_id = require_workspace()
state = st.session_state
today = date.today()


def _settings() -> SimulationSettings:
    """The Monte Carlo settings last submitted (widget values survive in session state)."""
    return SimulationSettings(
        iterations=int(state.get("rm_iterations", 2_000)), distribution=state.get("rm_distribution", "pert"),
        seed=int(state.get("rm_seed", 0)), target=state.get("rm_target"))


def _run_simulation() -> None:
    state["rm_run"] = True  # one run: later reruns reuse the result while nothing changes


st.title("Roadmap")
working_days = st.toggle("Working days only (Mon–Fri)", key="rm_working_days",
                         help="Count durations and lags in working days; off: every calendar day counts.")
cache_key = f"rm_result_{workspace_id}"
try:
    with read() as session, st.spinner("Simulating the schedule…", show_time=True):
        view = roadmap(session=session, workspace_id=workspace_id, baseline_id=state.get("rm_baseline"),
                       simulation=_settings(), simulate_large=state.pop("rm_run", False), today=today,
                       previous=state.get(cache_key), working_days=working_days)
except ValueError as exc:  # a cycle stored before cycles were refused
    st.error(plain(str(exc)), icon=":material/error:")
    st.stop()

plan, tasks = view.plan, view.plan.tasks
state[cache_key] = view.risk
illustrative_banner(view.illustrative)
st.caption(
    f"Each task lasts its most-likely estimate (in {'working' if working_days else 'calendar'} days); its Start "
    "date on the Projects page is a *start no earlier than* date that dependencies can push later but never "
    f"earlier. The plan starts on {plan.calendar.start:%d %b %Y}, its earliest start. Red bars are critical: "
    "any delay to them moves the finish.")
for note in view.notes:
    st.warning(plain(note), icon=":material/info:")
if tasks.empty:
    st.info("No tasks yet: add projects and tasks on the **Projects** page, then link them here.")
    st.stop()

critical = tasks[tasks["critical"]]
cards = st.columns(4)
cards[0].metric("Plan finish", f"{view.finish:%d %b %Y}", border=True,
                help="Critical path with most-likely durations.")
cards[1].metric("Tasks", len(tasks), border=True)
cards[2].metric("Critical tasks", len(critical), border=True)
cards[3].metric("Dependencies", len(view.links), border=True)

projects = tasks.drop_duplicates("project_id").sort_values(["project_order", "project"])
names = dict(zip(projects["project_id"], projects["project"], strict=True))
default = list(names) if len(tasks) <= MAX_GANTT_ROWS else list(dict.fromkeys(critical["project_id"]))[:3]
chosen = st.multiselect("Projects shown", list(names), default=default, format_func=names.get, key="rm_projects")
only_critical = st.toggle("Critical tasks only", key="rm_only_critical")
shown = tasks[tasks["project_id"].isin(chosen)]
if only_critical:
    shown = shown[shown["critical"]]
if len(shown) > MAX_GANTT_ROWS:
    st.caption(f"Showing the first {MAX_GANTT_ROWS} of {len(shown)} tasks by start date: pick fewer projects.")
    shown = shown.nsmallest(MAX_GANTT_ROWS, "es")
if shown.empty:
    st.caption("Pick at least one project to draw the Gantt chart.")
else:
    st.plotly_chart(gantt(shown, view.slip_tasks, today, plan.milestones[plan.milestones["project_id"].isin(chosen)]),
                    width="stretch", key="rm_gantt")

path_tab, links_tab, baselines_tab, risk_tab = st.tabs(["Critical path", "Dependencies", "Baselines", "Schedule risk"])

with path_tab:
    table = shown.sort_values(["es", "id"])[["project", "name", "start", "finish", "duration", "total_float",
                                             "critical", "status"]]
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "project": "Project", "name": "Task", "start": st.column_config.DateColumn("Early start"),
        "finish": st.column_config.DateColumn("Early finish"), "duration": st.column_config.NumberColumn("Days"),
        "total_float": st.column_config.NumberColumn("Total float (d)", help="Days the task can slip without "
                                                     "moving the plan's finish."),
        "critical": "Critical", "status": "Status"})

with links_tab:
    labels = task_labels(plan)
    pickable = [int(i) for i in shown.index] or list(labels)
    st.caption("Finish-to-start (FS), start-to-start (SS), finish-to-finish (FF), start-to-finish (SF); "
               "lag in days, negative for a lead. A link that would close a loop is refused.")
    with st.form("rm_add_link", clear_on_submit=False):
        cols = st.columns([3, 3, 1, 1])
        pred = cols[0].selectbox("Predecessor", pickable, format_func=labels.get, key="rm_new_pred")
        succ = cols[1].selectbox("Successor", pickable, index=min(1, len(pickable) - 1), format_func=labels.get,
                                 key="rm_new_succ")
        kind = cols[2].selectbox("Type", DEPENDENCY_KINDS, key="rm_new_kind")
        lag = cols[3].number_input("Lag (days)", value=0.0, step=1.0, key="rm_new_lag")
        if st.form_submit_button("Add dependency", icon=":material/add_link:") and run_action(
            lambda s: repo.create(session=s, model=TaskDependency, values={
                "predecessor_id": pred, "successor_id": succ, "kind": kind, "lag_days": lag}),
            f"Linked {labels.get(pred)} → {labels.get(succ)}",
        ):
            st.rerun()
    links = view.links
    if links.empty:
        st.caption("No dependencies yet.")
    else:
        visible = links[links["predecessor_id"].isin(shown.index) | links["successor_id"].isin(shown.index)]
        visible = visible if not visible.empty else links
        link_names = {int(r.id): f"{r.predecessor} → {r.successor} ({link_string(r.kind, r.lag_days)})"
                      for r in visible.itertuples()}
        link_id = st.selectbox("Dependency to change", list(link_names), format_func=link_names.get,
                               key="rm_link_pick")
        row = links.set_index("id").loc[link_id]
        with st.form(f"rm_edit_link_{link_id}"):
            cols = st.columns([1, 1, 4])
            new_kind = cols[0].selectbox("Type", DEPENDENCY_KINDS, index=DEPENDENCY_KINDS.index(row["kind"]),
                                         key=f"rm_kind_{link_id}")
            new_lag = cols[1].number_input("Lag (days)", value=float(row["lag_days"]), step=1.0,
                                           key=f"rm_lag_{link_id}")
            save, delete = st.columns(2)
            if save.form_submit_button("Save dependency", icon=":material/save:") and run_action(
                lambda s: repo.update(session=s, model=TaskDependency, row_id=link_id, expected_version=int(
                    row["version"]), values={"kind": new_kind, "lag_days": new_lag}),
                f"Saved {link_names[link_id]}",
            ):
                st.rerun()
            if delete.form_submit_button("Delete dependency", icon=":material/link_off:") and run_action(
                lambda s: repo.soft_delete(session=s, model=TaskDependency, row_id=link_id,
                                           expected_version=int(row["version"])),
                "Deleted the dependency (restore it on the Projects page)",
            ):
                st.rerun()
        st.dataframe(visible.assign(link=[link_string(k, g) for k, g in zip(visible["kind"], visible["lag_days"],
                                                                            strict=True)])
                     [["predecessor", "link", "successor"]], hide_index=True, width="stretch",
                     column_config={"predecessor": "Predecessor", "link": "Type and lag", "successor": "Successor"})

with baselines_tab:
    with st.form("rm_save_baseline", clear_on_submit=True):
        name = st.text_input("Baseline name", max_chars=120, placeholder="e.g. Board plan, Q1", key="rm_baseline_name")
        if st.form_submit_button("Save the current plan as a baseline", icon=":material/bookmark_add:") and \
                run_action(lambda s: save_baseline(session=s, workspace_id=workspace_id, name=name, today=today,
                                              working_days=working_days),
                           f"Saved baseline {name!r}"):
            st.rerun()
    baselines = view.baselines
    if baselines.empty:
        st.caption("No baselines yet. Save one to measure slip against it later.")
    else:
        options = [None, *[int(i) for i in baselines["id"]]]
        titles = {int(r.id): f"{r.name} ({r.taken_at:%d %b %Y})" for r in baselines.itertuples()}
        st.selectbox("Compare with", options, format_func=lambda i: "—" if i is None else titles[i],
                     key="rm_baseline", help="Grey bars on the Gantt chart; slip in calendar days (+ = later).")
    if view.slip_tasks is not None and st.button("Delete this baseline", icon=":material/delete:",
                                                 key="rm_delete_baseline") and run_action(
        lambda s: repo.soft_delete(session=s, model=Baseline, row_id=view.baseline_id),
        "Deleted the baseline (restore it on the Projects page)",
    ):
        st.rerun()
    if view.slip_tasks is not None:
        st.subheader("Slip by milestone")
        st.dataframe(view.slip_milestones, hide_index=True, width="stretch", column_config={
            "project": "Project", "milestone": "Milestone",
            "baseline_finish": st.column_config.DateColumn("Baseline finish"),
            "finish": st.column_config.DateColumn("Current finish"),
            "finish_slip_days": st.column_config.NumberColumn("Slip (d)", format="%+d")})
        moved = view.moved_tasks
        st.subheader("Tasks that moved")
        if moved.empty:
            st.caption("No task has moved since this baseline.")
        else:
            st.dataframe(moved[
                ["project", "name", "baseline_finish", "finish", "start_slip_days", "finish_slip_days", "change"]],
                hide_index=True, width="stretch", column_config={
                    "project": "Project", "name": "Task", "baseline_finish": st.column_config.DateColumn("Baseline"),
                    "finish": st.column_config.DateColumn("Now"), "change": "Change",
                    "start_slip_days": st.column_config.NumberColumn("Start slip (d)", format="%+d"),
                    "finish_slip_days": st.column_config.NumberColumn("Finish slip (d)", format="%+d")})

with risk_tab:
    with st.form("rm_simulation"):
        cols = st.columns(4)
        cols[0].number_input("Iterations", min_value=100, max_value=50_000, value=2_000, step=500, key="rm_iterations")
        cols[1].selectbox("Distribution", DISTRIBUTIONS, key="rm_distribution",
                          format_func={"pert": "beta-PERT", "triangular": "triangular"}.get)
        cols[2].number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key="rm_seed",
                             help="The same seed gives the same result.")
        cols[3].date_input("Target date", value=None, key="rm_target")
        st.form_submit_button("Run simulation", icon=":material/casino:", on_click=_run_simulation)
    risk = view.risk
    if risk is None:
        st.caption(f"This plan has more than {AUTO_SIMULATE_TASKS} tasks: press **Run simulation** to simulate it.")
    else:
        whole = risk.finish.loc[PROJECT_LABEL]
        st.caption(f"{risk.settings.iterations:,} iterations, {risk.settings.distribution}, seed {risk.settings.seed}. "
                   "Open threats fire with their probability in each iteration, adding their delay to the tasks "
                   "they are linked to and their $ impact to the cost. Only the undone share of a task is uncertain "
                   "(a task 60 % done keeps 60 % of its most-likely duration).")
        cards = st.columns(4)
        for card, key in zip(cards, ("p50", "p80", "p95"), strict=False):
            card.metric(f"{key.upper()} finish", f"{whole[f'{key}_date']:%d %b %Y}", border=True,
                        help=f"{key[1:]} % of iterations finish on or before this date.")
        if risk.settings.target is not None:
            cards[3].metric("Chance to finish by target", f"{whole['p_target']:.0%}", border=True,
                            help=f"Share of iterations whose whole plan finishes by {risk.settings.target:%d %b %Y}.")
        group = st.selectbox("Distribution of", list(risk.curves), key="rm_curve_group")
        st.plotly_chart(finish_distribution(risk.curves[group], risk.settings.target), width="stretch",
                        key="rm_curve")
        columns = ["p50_date", "p80_date", "p95_date", "due", *(["p_target"] if risk.settings.target else [])]
        st.dataframe(risk.finish[columns], width="stretch", column_config={
            "p50_date": st.column_config.DateColumn("P50"), "p80_date": st.column_config.DateColumn("P80"),
            "p95_date": st.column_config.DateColumn("P95"), "due": st.column_config.DateColumn("Due"),
            "p_target": st.column_config.ProgressColumn("P(by target)", min_value=0, max_value=1, format="percent")})
        left, right = st.columns(2)
        with left:
            st.subheader("Most often critical", help="Criticality index: share of iterations in which the task "
                                                     "had no float.")
            st.dataframe(risk.criticality[["project", "name", "criticality"]], hide_index=True, width="stretch",
                         column_config={"project": "Project", "name": "Task", "criticality":
                                        st.column_config.ProgressColumn("Critical in", min_value=0, max_value=1,
                                                                        format="percent")})
        with right:
            st.subheader("Risk-adjusted cost")
            cost, budget = risk.cost, risk.budget
            cols = st.columns(3)
            cols[0].metric("P80 cost", usd(cost["p80"]), border=True,
                           help="Assignees' pay and the tasks' GPUs (allocated GPUs × $/GPU-hour × 24 h, or a "
                                "linked reservation's rate) for the days their tasks last, plus the risk events' "
                                "$ impact.")
            cols[1].metric("Plan cost (no risk events)", usd(cost["plan_cost"]), border=True,
                           help="Most-likely durations × (assignees' monthly cost ÷ 30.4 days + GPUs' cost per day).")
            if budget is not None:
                over = cost["p80"] - budget.total
                cols[2].metric("Planned budget, same span", usd(budget.total), border=True,
                               delta=f"P80 {usd(abs(over))} {'over' if over > 0 else 'under'}",
                               delta_color="inverse" if over > 0 else "normal", delta_arrow="off",
                               help="The burn the Resources page plans (every person, GPU pool and budget line, "
                                    "each month prorated by its days) from the plan's start to its P80 finish.")
                st.caption(f"Budget {budget.start:%d %b %Y} – {budget.end:%d %b %Y}: people {usd(budget.people)}, "
                           f"GPU pools {usd(budget.compute)}, budget lines {usd(budget.budget_lines)}.")
            st.caption(f"P50 {usd(cost['p50'])} · P95 {usd(cost['p95'])} · risk events on average "
                       f"{usd(cost['risk_mean'])} per iteration.")
            st.dataframe(pd.DataFrame(risk.events), hide_index=True, width="stretch", column_config={
                "title": "Risk", "probability_pct": st.column_config.NumberColumn("P (%)"),
                "delay_days": st.column_config.NumberColumn("Delay (d)"),
                "cost_usd": st.column_config.NumberColumn("Cost", format="dollar"), "tasks": "Tasks",
                "fired": st.column_config.ProgressColumn("Fired in", min_value=0, max_value=1, format="percent")})
