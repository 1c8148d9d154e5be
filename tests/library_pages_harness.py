"""Run the Library and Errata pages inside the real router before app.PAGES lists them.

The harness is app.py's ``run()`` with the two pages appended to ``app.PAGES`` for the length of one script run
(restored after, so no other test sees them). It sits in a temporary folder beside a ``pages`` link to the
repository's pages, because Streamlit resolves page paths (``st.Page``, ``st.page_link``, ``switch_page``)
against the main script's folder. Once app.PAGES holds the pages, the harness adds nothing.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ROOT

EXTRA_PAGES = (
    ("Knowledge", "pages/library.py", "Library", ":material/local_library:"),
    ("Knowledge", "pages/errata.py", "Errata", ":material/fact_check:"),
)

_SCRIPT = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
import app

_original = app.PAGES
_known = {{path for _s, path, _t, _i in _original}}
app.PAGES = _original + tuple(p for p in {EXTRA_PAGES!r} if p[1] not in _known)
try:
    app.run()
finally:
    app.PAGES = _original
"""


def open_page(page: str, workspace_id: int, folder: Path, *, timeout: float = 90):
    """An AppTest of the router (with the two pages), switched to ``page``, that ran without an exception."""
    from streamlit.testing.v1 import AppTest

    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "pages").exists():
        (folder / "pages").symlink_to(ROOT / "pages", target_is_directory=True)
    script = folder / "harness_app.py"
    script.write_text(_SCRIPT, encoding="utf-8")
    at = AppTest.from_file(str(script), default_timeout=timeout)
    at.session_state["workspace_id"] = workspace_id
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at
