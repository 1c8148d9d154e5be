"""Import & export: CSV, Excel and MS Project files in and out, JSON backups, restore into a new workspace."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import streamlit as st
from sqlalchemy.orm import Session

from db.io import backup, mspdi, tabular
from db.io.limits import MAX_FILE_BYTES
from db.io.sheets import SHEETS
from db.io.uploads import KINDS, guess_sheet, import_upload, kind_from_name, preview_upload
from db.views_data import data_page
from pages._components import (
    _select_workspace,
    illustrative_banner,
    plain,
    problems,
    read,
    require_workspace,
    run_action,
    session_factory,
)

workspace_id = require_workspace()
with read() as session:
    view = data_page(session=session, workspace_id=workspace_id)
factory = session_factory()
# Download names come from the workspace name, reduced to safe characters.
stem = re.sub(r"[^A-Za-z0-9_-]+", "-", view.workspace_name).strip("-")[:60] or "workspace"
stamp = date.today().isoformat()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _deferred(build: Callable[[Session], bytes]) -> Callable[[], bytes]:
    """Build the file only when the button is pressed (a callable is run then, in its own session)."""
    def run() -> bytes:
        with factory() as session:
            return build(session)
    return run


st.title("Import & export")
illustrative_banner(view.illustrative)
export_tab, import_tab, restore_tab = st.tabs(["Export", "Import", "Back up and restore"])

with export_tab:
    st.caption("Files hold the live rows (not deleted ones). Links are written by name, and tasks get ids 1, 2, 3 … "
               "so predecessors read like MS Project's (`12FS+2;14SS`). Allocations name their task and the person "
               "and/or GPU pool, with hours or GPUs per week: one amount for every week of the task. Text that a "
               "spreadsheet would run as a formula is written with a leading `'`.")
    private = st.checkbox(f"Include private risks ({view.private_risks})", value=False, key="export_private",
                          help="Private risks are internal; they stay out of exported files unless you tick this.")
    left, right = st.columns(2)
    left.download_button(
        "Excel workbook (every sheet)", icon=":material/table_view:", on_click="ignore", mime=XLSX,
        file_name=f"{stem}-{stamp}.xlsx", key="export_xlsx",
        data=_deferred(lambda s: tabular.export_excel(session=s, workspace_id=workspace_id, include_private=private)))
    sheet = right.selectbox("CSV of", list(SHEETS), key="export_sheet",
                            format_func=lambda n: f"{n.replace('_', ' ')} ({view.counts[n]} rows)")
    right.download_button(
        f"CSV: {sheet.replace('_', ' ')}", icon=":material/csv:", on_click="ignore", mime="text/csv",
        file_name=f"{stem}-{sheet}-{stamp}.csv", key="export_csv",
        data=_deferred(lambda s: tabular.export_csv(session=s, workspace_id=workspace_id, sheet=sheet,
                                                    include_private=private)))
    if view.projects:
        project_id = left.selectbox("MS Project XML of", list(view.projects), format_func=view.projects.get,
                                    key="export_project")
        left.download_button(
            "MS Project XML", icon=":material/account_tree:", on_click="ignore", mime="application/xml",
            file_name=f"{stem}-project-{project_id}-{stamp}.xml", key="export_mspdi",
            data=_deferred(lambda s: mspdi.export_mspdi(session=s, project_id=project_id)))
    else:
        left.caption("No projects yet: nothing to export to MS Project.")

with import_tab:
    st.caption(f"CSV (UTF-8), Excel (.xlsx) or MS Project XML, up to {MAX_FILE_BYTES // 2**20} MB. Rows are "
               "**added** to this workspace; an import writes everything or nothing. Rows are numbered as a "
               "spreadsheet shows them (the header is row 1); MS Project tasks by their ID.")
    nonce = st.session_state.setdefault("import_nonce", 0)
    upload = st.file_uploader("File to import", type=["csv", "xlsx", "xml"], key=f"import_file_{nonce}")
    if upload is not None:
        kind = kind_from_name(upload.name) or "csv"
        kind = st.selectbox("The file is", list(KINDS), index=list(KINDS).index(kind), format_func=KINDS.get,
                            key="import_kind")
        data = upload.getvalue() if upload.size <= MAX_FILE_BYTES else upload  # an oversize file is refused unread
        sheet = project = None
        if kind == "csv":
            guess = guess_sheet(data) if isinstance(data, bytes) else "tasks"
            sheet = st.selectbox("It holds", list(SHEETS), index=list(SHEETS).index(guess), key="import_sheet")
        elif kind == "xml":
            project = st.text_input("Into project (existing or new)", key="import_project",
                                    placeholder="the file's project name") or None
        # Checking 5,000 rows takes a while: check once per file and choice, not on every rerun (the
        # import checks everything again against the database as it is then).
        key = (upload.file_id, kind, sheet, project, workspace_id)
        cached = st.session_state.get("_import_preview")
        if cached is None or cached[0] != key:
            with read() as session:
                cached = (key, preview_upload(session=session, workspace_id=workspace_id, data=data, kind=kind,
                                              sheet=sheet, project=project))
            st.session_state["_import_preview"] = cached
        preview = cached[1]
        st.markdown(f"**{plain(upload.name)}** — {upload.size:,} bytes")
        if preview.error is not None:
            st.error(problems(str(preview.error)), icon=":material/error:")
        elif preview.plan is not None:
            plan = preview.plan
            counts = ", ".join(f"{n:,} {name.replace('_', ' ')}" for name, n in plan.counts().items())
            st.write(f"Would add: {counts or 'nothing'}.")
            if plan.new_projects:
                st.info("New projects: " + ", ".join(plain(p) for p in plan.new_projects), icon=":material/add:")
            if plan.new_milestones:
                st.info("New milestones: " + ", ".join(f"{plain(m)} ({plain(p)})" for p, m in plan.new_milestones),
                        icon=":material/flag:")
            if plan.problems:
                st.error(f"{len(plan.problems)} problem(s); nothing can be imported until they are fixed:\n\n"
                         + problems(str(plan.error())), icon=":material/error:")
            for name, table in preview.tables.items():
                st.caption(f"{name.replace('_', ' ')}: first {len(table)} of {plan.counts().get(name, 0):,} rows")
                st.dataframe(table, hide_index=True, width="stretch")

        def _import() -> None:
            ok = run_action(
                lambda s: import_upload(session=s, workspace_id=workspace_id, data=upload.getvalue(), kind=kind,
                                        sheet=sheet, project=project),
                lambda r: f"Imported {r.describe()}", in_callback=True)
            if ok:
                st.session_state["import_nonce"] = nonce + 1

        st.button("Import", type="primary", icon=":material/upload:", key="import_go", on_click=_import,
                  disabled=not preview.importable)

with restore_tab:
    st.caption("A backup holds the whole workspace — every table, deleted rows and private risks included — with a "
               "checksum. Keep it somewhere safe. Restoring never overwrites: it creates a **new** workspace.")
    st.download_button(
        "JSON backup of this workspace", icon=":material/backup:", on_click="ignore", mime="application/json",
        file_name=f"{stem}-backup-{stamp}.json", key="export_backup",
        data=_deferred(lambda s: backup.write_backup(session=s, workspace_id=workspace_id)))
    st.divider()
    restore_nonce = st.session_state.setdefault("restore_nonce", 0)
    file = st.file_uploader("Backup to restore", type=["json"], key=f"restore_file_{restore_nonce}")
    name = st.text_input("Name of the new workspace", key="restore_name", max_chars=120,
                         placeholder="the backup's name, made unique")
    if st.button("Restore into a new workspace", icon=":material/restore:", key="restore_go", disabled=file is None):
        created: dict[str, int] = {}

        def _restore(session: Session) -> str:
            data = file.getvalue() if file.size <= backup.MAX_BACKUP_BYTES else file  # oversize: refused unread
            workspace = backup.restore_backup(session=session, data=data, name=name.strip() or None)
            created["id"] = workspace.id
            return workspace.name

        if run_action(_restore, lambda n: f"Restored into the new workspace {n!r}"):
            st.session_state["restore_nonce"] = restore_nonce + 1
            _select_workspace(created["id"])
            st.rerun()
