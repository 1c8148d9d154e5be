"""Resources: people, compute, budget, funding, allocations and GPU reservations; workload, levelling, burn."""

from __future__ import annotations

import math
from datetime import date

import streamlit as st

from db import repo
from db.editing import EditorSpec, editor_table, pending_changes
from db.engine import database_url
from db.levelling import apply_levelling
from db.models import (
    BUDGET_CATEGORIES,
    FUNDING_KINDS,
    FUNDING_STATUSES,
    PRICING_KINDS,
    RESERVATION_STATUSES,
    Allocation,
    BudgetLine,
    ComputeResource,
    FundingRound,
    GpuReservation,
    Person,
)
from db.resource_grids import GRIDS, save_grid
from db.views_resources import LevellingPreview, ResourcesView, change_head, levelling_preview, resources_view
from pages._components import (
    illustrative_banner,
    plain,
    read,
    require_workspace,
    row_history_picker,
    run_action,
    usd,
)
from pages._resource_charts import budget_chart, burn_chart, heatmap, reservations_chart

workspace_id = require_workspace()
PREVIEW_KEY = f"levelling_preview_{workspace_id}"
# An allocation has one amount, not one per week (db.models.Allocation); say so wherever it is entered.
_FLAT = ("The same amount every week from the task's start to its end; for effort that changes over time, "
         "split the task or add a task per phase.")
COLUMN_CONFIG = {
    "name": st.column_config.TextColumn("Name", required=True, max_chars=200),
    "role": st.column_config.TextColumn("Role", max_chars=80),
    "monthly_cost_usd": st.column_config.NumberColumn("Monthly cost", min_value=0, format="dollar",
                                                      help="Fully loaded, USD per month."),
    "weekly_capacity_hours": st.column_config.NumberColumn("Capacity (h/week)", min_value=0, max_value=168,
                                                           default=40),
    "start_date": st.column_config.DateColumn("Start"),
    "end_date": st.column_config.DateColumn("End"),
    "gpu_type": st.column_config.TextColumn("GPU type", required=True, max_chars=80,
                                            help="Free text; the forms below offer the catalogue's names."),
    "count": st.column_config.NumberColumn("GPUs", min_value=0, step=1, default=1),
    "hourly_rate_usd": st.column_config.NumberColumn("$/GPU-hour", min_value=0, format="dollar"),
    "pricing": st.column_config.SelectboxColumn("Pricing", options=PRICING_KINDS, default="on_demand"),
    "utilisation": st.column_config.NumberColumn("Utilisation", min_value=0, max_value=1, default=1.0,
                                                 help="Expected share of hours used (0–1); paid for on-demand and "
                                                      "spot only, reserved GPUs are paid every hour."),
    "category": st.column_config.SelectboxColumn("Category", options=BUDGET_CATEGORIES, required=True),
    "month": st.column_config.DateColumn("Month", required=True, format="YYYY-MM"),
    "planned_usd": st.column_config.NumberColumn("Planned", min_value=0, format="dollar", default=0),
    "actual_usd": st.column_config.NumberColumn("Actual", min_value=0, format="dollar"),
    "kind": st.column_config.SelectboxColumn("Kind", options=FUNDING_KINDS, required=True),
    "amount_usd": st.column_config.NumberColumn("Amount", min_value=0, format="dollar", required=True),
    "close_date": st.column_config.DateColumn("Close date", required=True),
    "provider": st.column_config.TextColumn("Provider", max_chars=80),
    "hours_per_week": st.column_config.NumberColumn(
        "Hours/week", min_value=0, max_value=168, default=0, help=f"{_FLAT} Partial weeks are prorated by "
                                                                  "working days."),
    "gpu_count": st.column_config.NumberColumn("GPUs", min_value=0, default=0,
                                               help=f"{_FLAT} Partial weeks are prorated by calendar days."),
}
STATUSES = {"Funding rounds": FUNDING_STATUSES, "GPU reservations": RESERVATION_STATUSES}


def _grid(title: str, spec: EditorSpec) -> None:
    """One editable grid with a Save button that writes all-or-nothing."""
    with read() as session:
        table = editor_table(session=session, spec=spec, scope_id=workspace_id)
    nonce = st.session_state.setdefault(f"grid_nonce_{title}", 0)
    key = f"grid_{title}_{workspace_id}_{nonce}"
    config = dict(COLUMN_CONFIG)
    if title in STATUSES:
        config["status"] = st.column_config.SelectboxColumn("Status", options=STATUSES[title],
                                                            default=STATUSES[title][0])
    for column, options in table.options.items():
        config[column] = st.column_config.SelectboxColumn(column.replace("_", " ").capitalize(), options=options)
    st.data_editor(table.rows, key=key, num_rows="dynamic", hide_index=True, width="stretch", column_config=config)

    def _save() -> None:
        changes = st.session_state.get(key, {})
        if run_action(lambda s: save_grid(session=s, spec=spec, workspace_id=workspace_id, rows=table.rows,
                                          ids=table.ids, versions=table.versions, changes=changes),
                      lambda r: f"Saved {title.lower()}: {r.describe()}" if r.total else "Nothing to save: edit cells",
                      in_callback=True):
            st.session_state[f"grid_nonce_{title}"] = nonce + 1
            st.session_state.pop(PREVIEW_KEY, None)  # the plan changed: an old levelling preview is stale

    pending = pending_changes(st.session_state.get(key, {}))
    left, right = st.columns([1, 4], vertical_alignment="center")
    left.button(f"Save {title.lower()}", on_click=_save, key=f"save_{title}", icon=":material/save:")
    if pending.total:
        right.warning(f"Unsaved: {pending.describe()}. Press Save to keep them.", icon=":material/edit_note:")


def _gpu_form(gpu_types: list[str]) -> None:
    """Add a GPU pool or a reservation with the GPU type picked from the catalogue or typed freely."""
    pool_tab, reservation_tab = st.tabs(["Add a GPU pool", "Reserve GPUs"])
    with pool_tab, st.form("add_gpu_pool", clear_on_submit=True):
        cols = st.columns(3)
        values = {"workspace_id": workspace_id,
                  "name": cols[0].text_input("Name", max_chars=120, key="pool_name"),
                  "gpu_type": cols[1].selectbox("GPU type", gpu_types, index=None, accept_new_options=True,
                                                key="pool_gpu_type", placeholder="Pick or type a GPU"),
                  "count": cols[2].number_input("GPUs", min_value=0, value=1, step=1, key="pool_count"),
                  "hourly_rate_usd": cols[0].number_input("$/GPU-hour", min_value=0.0, value=None,
                                                          key="pool_rate"),
                  "pricing": cols[1].selectbox("Pricing", PRICING_KINDS, key="pool_pricing"),
                  "utilisation": cols[2].number_input("Utilisation (0–1)", min_value=0.0, max_value=1.0, value=1.0,
                                                      key="pool_utilisation")}
        if st.form_submit_button("Add GPU pool", icon=":material/add:") and run_action(
                lambda s: repo.create(session=s, model=ComputeResource, values=values),
                f"Added GPU pool {values['name']!r}"):
            st.rerun()
    with reservation_tab, st.form("add_reservation", clear_on_submit=True):
        cols = st.columns(3)
        values = {"workspace_id": workspace_id,
                  "gpu_type": cols[0].selectbox("GPU type", gpu_types, index=None, accept_new_options=True,
                                                key="reservation_gpu_type", placeholder="Pick or type a GPU"),
                  "provider": cols[1].text_input("Provider", max_chars=80, key="reservation_provider"),
                  "count": cols[2].number_input("GPUs", min_value=1, value=8, step=1, key="reservation_count"),
                  "start_date": cols[0].date_input("Start", value=None, key="reservation_start"),
                  "end_date": cols[1].date_input("End (inclusive)", value=None, key="reservation_end"),
                  "hourly_rate_usd": cols[2].number_input("$/GPU-hour", min_value=0.0, value=None,
                                                          key="reservation_rate"),
                  "status": cols[0].selectbox("Status", RESERVATION_STATUSES, key="reservation_status")}
        if st.form_submit_button("Reserve", icon=":material/event_available:") and run_action(
                lambda s: repo.create(session=s, model=GpuReservation, values=values), "Reservation added"):
            st.rerun()


def _suggest() -> None:
    with read() as session:
        st.session_state[PREVIEW_KEY] = levelling_preview(session=session, workspace_id=workspace_id)


def _apply(preview: LevellingPreview) -> None:
    moves = preview.plan.moves
    new_dates = {int(t): (row["new_start"], row["new_end"]) for t, row in moves.iterrows()}
    if run_action(lambda s: apply_levelling(session=s, workspace_id=workspace_id, new_dates=new_dates,
                                            versions=preview.versions),
                  lambda n: f"Levelling applied: {n} tasks moved", in_callback=True):
        st.session_state.pop(PREVIEW_KEY, None)


def _discard() -> None:
    st.session_state.pop(PREVIEW_KEY, None)


def _levelling(preview: LevellingPreview) -> None:
    plan = preview.plan
    if plan.moves.empty:
        st.info("No task can move to reduce the over-allocation: the weeks flagged are in tasks that have "
                "started or are done, or moving any task would make another resource's peak worse.",
                icon=":material/info:")
        st.button("Close", on_click=_discard, key="levelling_close")
        return
    cards = st.columns(4)
    cards[0].metric("Tasks moved", len(plan.moves), border=True)
    cards[1].metric("Critical tasks moved", plan.critical_moved, border=True,
                    help="Tasks with no total float, or moved beyond it.")
    cards[2].metric("Finish delay", f"{plan.finish_delay_days} days", border=True,
                    help="Latest task end after the levelling minus before it.")
    cards[3].metric("Over-allocation left", f"{plan.excess_after:,.1f}", border=True,
                    delta=f"{plan.excess_after - plan.excess_before:,.1f}", delta_color="inverse",
                    help="Excess load summed over resources and weeks (hours for people, GPU-weeks for pools).")
    if plan.stopped_early:
        st.warning("A partial suggestion: the plan is too over-allocated to level in one go. Apply it, then "
                   "press **Suggest levelling** again to continue.", icon=":material/hourglass_bottom:")
    remaining, ahead = len(preview.over_after), preview.over_after_ahead
    if remaining:
        st.caption(f"After it, {ahead} over-allocated weeks remain from this week on"
                   + (f" and {remaining - ahead} in past weeks, which levelling cannot change."
                      if remaining > ahead else "."))
    st.caption(f"Float: {plain(preview.float_source)}. Only tasks not started yet move; successors move with them.")
    st.dataframe(plan.moves, width="stretch", column_config={
        "name": "Task", "old_start": st.column_config.DateColumn("Start now"),
        "old_end": st.column_config.DateColumn("End now"), "new_start": st.column_config.DateColumn("New start"),
        "new_end": st.column_config.DateColumn("New end"), "shift_days": "Shift (days)",
        "total_float_days": "Total float (days)", "critical": "Critical", "within_float": "Within float"})
    figure, shown, _total = heatmap(preview.workload_after)
    if shown:
        st.caption("Workload after levelling")
        st.plotly_chart(figure, width="stretch", key="heatmap_after")
    left, right, _ = st.columns([1, 1, 4])
    left.button("Apply", type="primary", on_click=_apply, args=(preview,), key="levelling_apply",
                icon=":material/check:")
    right.button("Discard", on_click=_discard, key="levelling_discard", icon=":material/close:")


@st.cache_data(show_spinner=False, max_entries=16)
def _view(url: str, workspace_id: int, head: int, today: date) -> ResourcesView:
    """The read model, reused while nothing is written to the database ``url`` (``head``: newest change-log
    id) on the same day. ``url`` is part of the key so that two databases never share an entry."""
    with read() as session:
        return resources_view(session=session, workspace_id=workspace_id, today=today)


with read() as session:
    head = change_head(session=session)
view = _view(database_url(), workspace_id, head, date.today())

st.title("Resources")
illustrative_banner(view.illustrative)
over = view.over
cards = st.columns(4)
cards[0].metric("People", view.cards.people, border=True)
cards[1].metric("GPUs in pools", f"{view.cards.gpus_in_pools:,.0f}", border=True,
                help="Largest pool size in the weeks shown, summed over pools.")
cards[2].metric("Over-allocated weeks", view.cards.over_weeks, border=True,
                delta=f"{view.cards.over_weeks_ahead} from this week on" if view.cards.over_weeks else None,
                delta_color="off", delta_arrow="off", help="(resource, week) pairs whose load exceeds capacity.")
runway = view.burn.runway
cards[3].metric("Runway", "no burn" if math.isinf(runway.months) else f"{runway.months:.1f} months", border=True,
                help=f"From the month-by-month burn below; cash: {view.burn.cash_source}.")

st.subheader("Workload by week")
st.caption("Load ÷ capacity per week: people in hours (Monday–Friday, partial weeks prorated by working days), "
           "GPU pools in GPUs (every day). Each allocation loads the same amount every week of its task. "
           "Capacity is 0 outside employment or pool dates. × = over-allocated.")
figure, shown, with_load = heatmap(view.workload)
if with_load == 0:
    st.caption("No allocations in these weeks yet: assign people and GPUs to tasks in **Allocations** below.")
else:
    st.plotly_chart(figure, width="stretch", key="heatmap_now")
    if shown < with_load:
        st.caption(f"Showing the {shown} most loaded of {with_load} resources (every over-allocated one included).")
if view.unscheduled:
    st.caption(f"{view.unscheduled} allocations are on tasks without dates and load no week.")
if over.empty:
    st.success("Nobody and no GPU pool is over-allocated in these weeks.", icon=":material/check_circle:")
else:
    st.dataframe(over.drop(columns=["kind", "resource_id", "task_ids"]), hide_index=True, width="stretch",
                 column_config={"resource": "Resource", "week": st.column_config.DateColumn("Week of"),
                                "load": st.column_config.NumberColumn("Load", format="%.1f"),
                                "capacity": st.column_config.NumberColumn("Capacity", format="%.1f"),
                                "excess": st.column_config.NumberColumn("Over by", format="%.1f"),
                                "tasks": st.column_config.TextColumn("Tasks causing it", width="large")})
    preview = st.session_state.get(PREVIEW_KEY)
    if preview is None:
        st.button("Suggest levelling", on_click=_suggest, key="levelling_suggest", icon=":material/tune:",
                  help="Shift non-critical tasks within their float first, then the fewest critical ones. "
                       "Nothing is written until you press Apply.")
    else:
        st.subheader("Levelling preview")
        _levelling(preview)

st.subheader("GPU reservations")
coverage = view.coverage
if coverage.empty:
    st.caption("No task needs GPUs yet: allocate a GPU pool to a task in **Allocations** below.")
else:
    if view.cards.tasks_not_covered:
        st.warning(f"{view.cards.tasks_not_covered} of {view.cards.tasks_needing_gpus} tasks needing GPUs are not "
                   "fully covered by a reservation.", icon=":material/warning:")
    st.dataframe(coverage.drop(columns=["task_id"]), hide_index=True, width="stretch", column_config={
        "task": st.column_config.TextColumn("Task", width="large"), "gpu_type": "GPU type",
        "gpus_needed": "GPUs needed", "start_date": st.column_config.DateColumn("Start"),
        "end_date": st.column_config.DateColumn("End"), "gpus_reserved": "GPUs reserved",
        "reservations": "Reservations", "coverage": "Coverage", "confirmed": "Confirmed"})
reserved = view.reserved
if view.cards.reserved_usd > 0:
    st.plotly_chart(reservations_chart(reserved), width="stretch", key="reservations_chart")
    st.dataframe(reserved[reserved["reserved_usd"] > 0].reset_index(), hide_index=True, width="stretch",
                 column_config={"month": st.column_config.DateColumn("Month", format="MMM YYYY"),
                                "gpu_hours": st.column_config.NumberColumn("Reserved GPU-hours", format="%,.0f"),
                                "reserved_usd": st.column_config.NumberColumn("Reserved", format="dollar"),
                                "compute_burn_usd": st.column_config.NumberColumn("Compute in the burn",
                                                                                  format="dollar"),
                                "uncovered_usd": st.column_config.NumberColumn(
                                    "Beyond the burn", format="dollar",
                                    help="Reserved spend above the GPU pools' compute in the burn that month.")})
    if view.cards.reserved_beyond_burn_usd > 0:
        st.warning(f"Reservations commit {usd(view.cards.reserved_beyond_burn_usd)} more than the GPU pools' "
                   "compute in the burn over these "
                   "months; the runway does not include it.", icon=":material/warning:")

st.subheader("Burn and runway")
burn = view.burn
st.plotly_chart(burn_chart(burn.burn, burn.cash), width="stretch", key="burn_chart")
st.caption(f"Cash: {plain(burn.cash_source)}. People are prorated by days employed; reserved GPU pools are paid "
           "every hour, on-demand and spot ones for their expected utilisation.")
table = burn.burn.assign(cash_left=burn.cash).reset_index()
st.dataframe(table, hide_index=True, width="stretch", column_config={
    "month": st.column_config.DateColumn("Month", format="MMM YYYY"),
    **{c: st.column_config.NumberColumn(c.replace("_", " ").capitalize() if c != "rd" else "R&D", format="dollar")
       for c in ["people", "compute", "rd", "marketing", "operations", "total", "cash_left"]}})

st.subheader("Budget: planned vs actual")
if view.budget.empty:
    st.caption("No budget lines yet: add them in **Budget lines** below.")
else:
    st.plotly_chart(budget_chart(view.budget), width="stretch", key="budget_chart")
    with st.expander("By month and category"):
        st.dataframe(view.budget, hide_index=True, width="stretch", column_config={
            "month": st.column_config.DateColumn("Month", format="MMM YYYY"), "category": "Category",
            "planned_usd": st.column_config.NumberColumn("Planned", format="dollar"),
            "actual_usd": st.column_config.NumberColumn("Actual", format="dollar"),
            "variance_usd": st.column_config.NumberColumn("Actual − planned", format="dollar")})

st.divider()
st.subheader("Edit")
st.caption("Edit cells, add rows at the bottom, select rows and press Delete; then **Save**. A save is "
           "all-or-nothing: if any row is invalid, nothing is written and the message names the row.")
choice = st.segmented_control("Table", list(GRIDS), default="People", required=True, key="resources_grid")
if choice == "Allocations":
    st.caption("An allocation is a **constant weekly amount** (hours a week for a person, GPUs for a pool) over "
               "its task's dates; moving the task moves the load. Effort that rises or falls over a task needs "
               "separate tasks, one per phase.")
_grid(choice, GRIDS[choice])
if choice in ("Compute", "GPU reservations"):
    _gpu_form(view.gpu_types)

st.subheader("History of this row", help="Every create, edit, delete and restore, field by field: who, when, "
             "the value before and after.")
row_history_picker({"People": Person.__tablename__, "GPU pools": ComputeResource.__tablename__,
                    "Budget lines": BudgetLine.__tablename__, "Funding rounds": FundingRound.__tablename__,
                    "GPU reservations": GpuReservation.__tablename__, "Allocations": Allocation.__tablename__},
                   workspace_id, key="resources_history")
