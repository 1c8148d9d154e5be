"""Projects: create, edit, delete and undo projects, milestones and tasks."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from db import repo
from db.catalogues import phase_template
from db.editing import MILESTONES, PROJECTS, TASKS, EditorSpec, apply_changes, editor_table, pending_changes
from db.models import (
    MILESTONE_STATUSES,
    PROJECT_STATUSES,
    TASK_KINDS,
    TASK_STATUSES,
    TRACKED_MODELS,
    Milestone,
    Project,
    Task,
    TaskDependency,
    Workspace,
)
from pages._components import illustrative_banner, plain, read, require_workspace, row_history_picker, run_action

workspace_id = require_workspace()
DELETED_PAGE_SIZE = 20
PHASES = [p["code"] for p in phase_template()]
COLUMN_CONFIG = {
    "name": st.column_config.TextColumn("Name", required=True, max_chars=200),
    "phase": st.column_config.SelectboxColumn("Phase", options=PHASES, help="The documents' phase template."),
    "start_date": st.column_config.DateColumn("Start"),
    "target_date": st.column_config.DateColumn("Target"),
    "end_date": st.column_config.DateColumn("End"),
    "due_date": st.column_config.DateColumn("Due"),
    "kind": st.column_config.SelectboxColumn("Kind", options=TASK_KINDS, default="task"),
    "optimistic_days": st.column_config.NumberColumn("Optimistic (d)", min_value=0),
    "likely_days": st.column_config.NumberColumn("Most likely (d)", min_value=0),
    "pessimistic_days": st.column_config.NumberColumn("Pessimistic (d)", min_value=0),
    "percent_done": st.column_config.NumberColumn("% done", min_value=0, max_value=100, default=0),
    "description": st.column_config.TextColumn("Description"),
}


def _editor(spec: EditorSpec, scope_id: int, statuses: tuple[str, ...], key: str) -> None:
    """A grid of ``spec`` rows under ``scope_id`` with a Save button that writes all-or-nothing."""
    with read() as session:
        table = editor_table(session=session, spec=spec, scope_id=scope_id)
    nonce = st.session_state.setdefault(f"{key}_nonce", 0)
    editor_key = f"{key}_{scope_id}_{nonce}"
    config = dict(COLUMN_CONFIG)
    config["status"] = st.column_config.SelectboxColumn("Status", options=statuses, default=statuses[0])
    for column, options in table.options.items():
        config[column] = st.column_config.SelectboxColumn(column.capitalize(), options=options)
    st.data_editor(table.rows, key=editor_key, num_rows="dynamic", hide_index=True, width="stretch",
                   column_config=config)

    def _save() -> None:
        changes = st.session_state.get(editor_key, {})
        ok = run_action(
            lambda s: apply_changes(session=s, spec=spec, scope_id=scope_id, ids=table.ids,
                                    versions=table.versions, changes=changes),
            lambda r: f"Saved {spec.model.__label__}s: {r.describe()}" if r.total else "Nothing to save: edit cells",
            in_callback=True,
        )
        if ok:
            st.session_state[f"{key}_nonce"] = nonce + 1

    pending = pending_changes(st.session_state.get(editor_key, {}))
    left, right = st.columns([1, 4], vertical_alignment="center")
    left.button(f"Save {spec.model.__label__}s", on_click=_save, key=f"{key}_save", icon=":material/save:")
    if pending.total:
        # Unsaved grid edits live only in this browser tab; say so before the user navigates away.
        right.warning(f"Unsaved: {pending.describe()}. Press Save to keep them.", icon=":material/edit_note:")


with read() as session:
    workspace = repo.get(session=session, model=Workspace, row_id=workspace_id)
    projects = repo.list_rows(session=session, model=Project, workspace_id=workspace_id)

st.title("Projects")
illustrative_banner(workspace.illustrative)
st.caption("Edit cells, add rows at the bottom, select rows and press Delete; then **Save**. "
           "A save is all-or-nothing: if any row is invalid, nothing is written and the message names the row.")
_editor(PROJECTS, workspace_id, PROJECT_STATUSES, "projects")

if projects:
    st.divider()
    names = {p.id: p.name for p in projects}
    project_id = st.selectbox("Project", list(names), format_func=names.get, key="project_pick")
    tasks_tab, milestones_tab, add_tab = st.tabs(["Tasks", "Milestones", "Add a task"])
    with tasks_tab:
        _editor(TASKS, project_id, TASK_STATUSES, "tasks")
    with milestones_tab:
        _editor(MILESTONES, project_id, MILESTONE_STATUSES, "milestones")
    with add_tab, st.form("add_task", clear_on_submit=True):
        name = st.text_input("Task name", max_chars=200, key="new_task_name")
        cols = st.columns(3)
        optimistic = cols[0].number_input("Optimistic (days)", min_value=0.0, value=None, key="new_task_optimistic")
        likely = cols[1].number_input("Most likely (days)", min_value=0.0, value=None, key="new_task_likely")
        pessimistic = cols[2].number_input(
            "Pessimistic (days)", min_value=0.0, value=None, key="new_task_pessimistic"
        )
        dates = st.columns(2)
        start = dates[0].date_input("Start", value=None)
        end = dates[1].date_input("End", value=None)
        if st.form_submit_button("Add task", icon=":material/add_task:"):
            values = {"project_id": project_id, "name": name, "optimistic_days": optimistic, "likely_days": likely,
                      "pessimistic_days": pessimistic, "start_date": start, "end_date": end}
            if run_action(lambda s: repo.create(session=s, model=Task, values=values), f"Added task {name!r}"):
                st.rerun()

st.divider()
st.subheader("History of this row", help="Every create, edit, delete and restore, field by field: who, when, "
             "the value before and after.")
row_history_picker({"Projects": Project.__tablename__, "Milestones": Milestone.__tablename__,
                    "Tasks": Task.__tablename__, "Dependencies": TaskDependency.__tablename__},
                   workspace_id, key="projects_history")

st.divider()
st.subheader("Deleted rows", help="Every row deleted in this workspace, newest first. Restoring a row brings back "
             "the rows deleted with it (a project's milestones and tasks, a task's links and allocations).")
with read() as session:
    deleted_counts = repo.deleted_counts(session=session, workspace_id=workspace_id)
if not deleted_counts:
    st.caption("Nothing deleted. Deleted rows appear here and can be restored.")
else:
    labels = {m.__tablename__: m.__label__ for m in TRACKED_MODELS}
    left, right = st.columns([3, 1])
    table = left.selectbox(
        "Table", ["", *deleted_counts], key="deleted_table",
        format_func=lambda t: f"{labels[t]} ({deleted_counts[t]:,})" if t else
        f"All tables ({sum(deleted_counts.values()):,})")
    total = deleted_counts[table] if table else sum(deleted_counts.values())
    pages = math.ceil(total / DELETED_PAGE_SIZE)
    # Keyed by the page count: when restores shrink the list, the page number starts again at 1.
    page = int(right.number_input(f"Page (of {pages})", min_value=1, max_value=pages, value=1, step=1,
                                  key=f"deleted_page_{table}_{pages}"))
    with read() as session:
        deleted = repo.deleted_rows(session=session, workspace_id=workspace_id, table_name=table or None,
                                    offset=(page - 1) * DELETED_PAGE_SIZE, limit=DELETED_PAGE_SIZE)
    first = (page - 1) * DELETED_PAGE_SIZE + 1
    st.caption(f"Rows {first:,}–{first + len(deleted) - 1:,} of {total:,}, newest first.")
    for row in deleted:
        label = getattr(row, "name", None) or getattr(row, "title", None) or f"#{row.id}"
        left, right = st.columns([5, 1])
        left.markdown(f"{row.__label__} **{plain(label)}** — deleted {row.deleted_at:%Y-%m-%d %H:%M} UTC")
        model = type(row)
        if right.button("Restore", key=f"restore_{row.__tablename__}_{row.id}", icon=":material/undo:") and \
                run_action(lambda s, m=model, i=row.id: repo.restore(session=s, model=m, row_id=i),
                           f"Restored {row.__label__} {label!r}"):
            st.rerun()

with st.expander("History of this workspace"):
    with read() as session:
        log = repo.history(session=session, workspace_id=workspace_id, limit=100)
    st.dataframe(
        pd.DataFrame([{"when (UTC)": e.at, "who": e.actor, "table": e.table_name, "row": e.row_id,
                       "action": e.action} for e in log]),
        hide_index=True, width="stretch",
    )
