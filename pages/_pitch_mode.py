"""Read-only pitch mode: `streamlit run app.py -- --pitch` (or FOUNDERDECK_PITCH_MODE=1) serves one page.

The mode is read from the server process (its command line and environment), never from the browser, so a
visitor cannot leave it: the router registers only the pitch page (no other page has a URL), draws no sidebar
(no workspace picker, no settings, no "new workspace"), and the page hides its narrative form. The workspace is
FOUNDERDECK_PITCH_WORKSPACE (an id or a name) or the first one. Not a page (the leading underscore).
"""

from __future__ import annotations

import os
import sys

import streamlit as st

FLAG = "--pitch"
MODE_ENV = "FOUNDERDECK_PITCH_MODE"
WORKSPACE_ENV = "FOUNDERDECK_PITCH_WORKSPACE"
PAGE = ("pages/pitch.py", "Investor pitch", ":material/slideshow:")


def pitch_mode() -> bool:
    """True when the server was started in read-only pitch mode."""
    return FLAG in sys.argv[1:] or os.environ.get(MODE_ENV, "").strip().lower() in {"1", "true", "yes"}


def serve_pitch() -> None:
    """The whole app in pitch mode: the chosen workspace's pitch and nothing else."""
    from db.views_pitch import pitch_workspace
    from pages._components import WORKSPACE_KEY, read

    selector = os.environ.get(WORKSPACE_ENV, "")
    with read() as session:
        workspace_id = pitch_workspace(session=session, selector=selector)
    path, title, icon = PAGE
    page = st.navigation([st.Page(path, title=title, icon=icon)], position="hidden")
    if workspace_id is None:
        st.error(f"No workspace {selector!r} to pitch: set {WORKSPACE_ENV} to a workspace's id or name."
                 if selector else "No workspace to pitch yet: run `python -m db demo` or create one first.",
                 icon=":material/error:")
        st.stop()
    st.session_state[WORKSPACE_KEY] = workspace_id
    page.run()
