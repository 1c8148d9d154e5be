"""Run the Market page inside the real router before app.PAGES lists it.

The same harness as tests/library_pages_harness.py: app.py's ``run()`` with the page appended to ``app.PAGES`` for
one script run (restored after), in a temporary folder beside a ``pages`` link to the repository's pages, because
Streamlit resolves page paths against the main script's folder. Once app.PAGES holds the page, it adds nothing.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ROOT

EXTRA_PAGES = (("Economics", "pages/market.py", "Market", ":material/pie_chart:"),)

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


def open_page(workspace_id: int, folder: Path, *, timeout: float = 90):
    """An AppTest of the router (with the Market page), switched to it, that ran without an exception."""
    from streamlit.testing.v1 import AppTest

    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "pages").exists():
        (folder / "pages").symlink_to(ROOT / "pages", target_is_directory=True)
    script = folder / "harness_app.py"
    script.write_text(_SCRIPT, encoding="utf-8")
    at = AppTest.from_file(str(script), default_timeout=timeout)
    at.session_state["workspace_id"] = workspace_id
    at.run()
    at.switch_page("pages/market.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at
