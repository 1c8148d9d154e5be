"""Shared UI pieces: the database session factory, the workspace picker, common notices.

Not a page (the leading underscore keeps it out of the navigation).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import streamlit as st
from sqlalchemy.orm import Session, sessionmaker

import db.history  # noqa: F401 - registers the change-history listener
from db import migrate, repo
from db.engine import database_url, make_engine, make_session_factory
from db.models import Workspace
from db.row_history import row_changes, row_labels
from db.transaction import StorageError, transaction
from db.validation import StaleEditError, ValidationError

WORKSPACE_KEY = "workspace_id"
# Every ASCII punctuation mark CommonMark lets a backslash escape.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&\"'=:;,/?@%^])")


def plain(text: str) -> str:
    """User text made inert for Streamlit's Markdown: shown as typed, never as HTML or formatting."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def problems(message: str) -> str:
    """A validation message for Markdown: one inert line, or an inert bullet per problem."""
    lines = [line for line in str(message).splitlines() if line.strip()]
    if len(lines) <= 1:
        return plain(message)
    return "\n".join(f"- {plain(line)}" for line in lines)


ACTOR = "app"


@st.cache_resource(show_spinner=False)
def _factory(url: str) -> sessionmaker[Session]:
    # Migrating here too means `streamlit run app.py` on a fresh database just works.
    migrate.upgrade(url)
    return make_session_factory(make_engine(url))


def session_factory() -> sessionmaker[Session]:
    """The cached session factory for ``DATABASE_URL``."""
    return _factory(database_url())


def write() -> AbstractContextManager[Session]:
    """A write transaction attributed to the app user; commits on success, rolls back on error."""
    return transaction(session_factory(), actor=ACTOR)


@contextmanager
def read() -> Iterator[Session]:
    """A read-only session."""
    with session_factory()() as session:
        yield session


def run_action(
    action: Callable[[Session], Any], success: str | Callable[[Any], str], *, in_callback: bool = False
) -> bool:
    """Run ``action`` in one transaction; show ``success`` or the validation message, never a traceback.

    Inline (a form submit), a refusal is shown where the script is; from a widget callback,
    which runs before the script, it is kept for :func:`flash` to show on this run.
    """
    try:
        with write() as session:
            result = action(session)
    except (ValidationError, StaleEditError, StorageError, repo.NotFoundError) as exc:
        if in_callback:
            st.session_state["_flash_error"] = str(exc)
        else:
            st.error(problems(str(exc)), icon=":material/error:")
        return False
    st.session_state["_flash_ok"] = success(result) if callable(success) else success
    return True


def flash() -> None:
    """Show the outcome of the last action (set in a callback, shown on the rerun)."""
    if message := st.session_state.pop("_flash_error", None):
        st.error(problems(message), icon=":material/error:")
    if message := st.session_state.pop("_flash_ok", None):
        st.toast(plain(message), icon=":material/check_circle:")


_PICKER = "workspace_picker"
_PENDING_PICK = "_workspace_pending"


def _select_workspace(workspace_id: int) -> None:
    st.session_state[WORKSPACE_KEY] = workspace_id
    st.query_params["ws"] = str(workspace_id)
    # The picker widget already exists in this run; it takes the new value at the next run.
    st.session_state[_PENDING_PICK] = workspace_id


def _on_pick() -> None:
    _select_workspace(st.session_state[_PICKER])
    st.session_state.pop(_PENDING_PICK, None)


def _settings_form(workspace_id: int) -> None:
    """Name, description and the cash position the runway starts from."""
    with read() as session:
        ws = repo.get(session=session, model=Workspace, row_id=workspace_id)
    with (
        st.popover("Workspace settings", icon=":material/settings:", width="stretch"),
        st.form(f"workspace_settings_{workspace_id}", border=False),
    ):
        values = {
            "name": st.text_input("Name", value=ws.name, max_chars=120, key=f"ws_name_{workspace_id}"),
            "description": st.text_area("Description", value=ws.description, key=f"ws_description_{workspace_id}"),
            "cash_on_hand_usd": st.number_input(
                "Cash on hand (USD)", value=ws.cash_on_hand_usd, min_value=0.0, step=10_000.0,
                key=f"ws_cash_{workspace_id}", help="The runway starts from this. Empty: the closed funding rounds."),
            "cash_as_of": st.date_input("Cash counted on", value=ws.cash_as_of, key=f"ws_cash_as_of_{workspace_id}"),
        }
        if st.form_submit_button("Save settings") and run_action(
            lambda s: repo.update(session=s, model=Workspace, row_id=workspace_id, values=values,
                                  expected_version=ws.version),
            "Workspace settings saved",
        ):
            st.rerun()


def workspace_sidebar() -> int | None:
    """Sidebar picker: switch, create and rename workspaces; returns the current workspace id."""
    with read() as session:
        workspaces = {w.id: w.name for w in repo.list_workspaces(session=session)}
    current = st.session_state.get(WORKSPACE_KEY)
    if current not in workspaces:
        from_url = st.query_params.get("ws", "")
        current = int(from_url) if from_url.isdigit() and int(from_url) in workspaces else next(iter(workspaces), None)
        st.session_state[WORKSPACE_KEY] = current
    with st.sidebar:
        if workspaces:
            pending = st.session_state.pop(_PENDING_PICK, None)
            if pending in workspaces or st.session_state.get(_PICKER) not in workspaces:
                st.session_state[_PICKER] = current
            st.selectbox("Workspace", list(workspaces), format_func=workspaces.get, key=_PICKER, on_change=_on_pick)
        with (
            st.popover("New workspace", icon=":material/add:", width="stretch"),
            st.form("new_workspace", clear_on_submit=True, border=False),
        ):
            name = st.text_input("Name", max_chars=120, key="new_workspace_name")
            if st.form_submit_button("Create"):
                created: dict[str, int] = {}

                def _create(session: Session) -> None:
                    created["id"] = repo.create_workspace(session=session, name=name).id

                if run_action(_create, f"Created workspace {name!r}"):
                    _select_workspace(created["id"])
                    st.rerun()
        if current is not None:
            _settings_form(current)
    return current


def _ensure_router() -> None:
    """Make sure the page runs inside app.py's router, with its sidebar.

    Streamlit treats a folder named ``pages/`` beside the entry script as a legacy folder-based
    multipage app until the first ``st.navigation`` call of the server process. If that process's
    first request is a deep link (say ``/projects`` after a restart), the page file would run on its
    own, without the router, the sidebar or a workspace. Leave that mode and rerun through app.py.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def require_workspace() -> int:
    """The current workspace id, or a notice and a stop when there is none. Every page calls it first."""
    _ensure_router()
    workspace_id = st.session_state.get(WORKSPACE_KEY)
    if workspace_id is None:
        st.info("No workspace yet: create one with **New workspace** in the sidebar.")
        st.stop()
    return int(workspace_id)


def illustrative_banner(illustrative: bool) -> None:
    if illustrative:
        st.info("Demo workspace: every number here is **illustrative**, not a forecast. Replace it with your own.",
                icon=":material/science:")


def usd(value: float) -> str:
    """Money for cards: $1.2M, $85.3k, $950."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value >= 1e6:
        return f"{sign}${value / 1e6:,.2f}M"
    if value >= 1e4:
        return f"{sign}${value / 1e3:,.1f}k"
    return f"{sign}${value:,.0f}"


def row_history(table_name: str, row_id: int, workspace_id: int) -> None:
    """One row's change history, field by field (who, when, before → after), for any tracked table."""
    with read() as session:
        changes = row_changes(session=session, workspace_id=workspace_id, table_name=table_name, row_id=row_id)
    if changes.empty:
        st.caption("No recorded changes.")
        return
    st.dataframe(changes, hide_index=True, width="stretch",
                 column_config={"when (UTC)": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm")})


def row_history_picker(tables: dict[str, str], workspace_id: int, *, key: str) -> None:
    """"History of this row": pick a table (label → table name), then one of its rows; shows its changes.

    No table is chosen at first, so a page with thousands of rows loads no labels until it is asked.
    """
    left, right = st.columns([1, 3])
    label = left.selectbox("Table", list(tables), index=None, placeholder="Choose a table", key=f"{key}_table")
    if label is None:
        right.caption("Choose a table, then a row, to see who changed what and when.")
        return
    table_name = tables[label]
    with read() as session:
        rows = row_labels(session=session, workspace_id=workspace_id, table_name=table_name)
    if not rows:
        right.caption(f"No {label.lower()} yet.")
        return
    row_id = right.selectbox("Row", list(rows), format_func=rows.get, key=f"{key}_row_{table_name}")
    row_history(table_name, row_id, workspace_id)
