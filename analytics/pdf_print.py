"""Print an HTML document to PDF with headless Chromium (Playwright), offline.

The HTML is written to a temporary file and opened from disk with every network request refused, so a PDF
holds only what the HTML holds (the export leak test checks the HTML it was printed from). Chromium is the
system one the browser tests use (``/usr/bin/chromium``), launched with the same sandbox-safe flags.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


class PdfError(RuntimeError):
    """Chromium or Playwright is missing, or printing failed (the message says which)."""


def html_to_pdf(document: str, *, timeout_ms: int = 60_000) -> bytes:
    """``document`` printed to A4 PDF bytes (backgrounds kept), after its charts have drawn."""
    if not Path(CHROMIUM).exists():
        raise PdfError(f"Chromium not found at {CHROMIUM}: the PDF needs it (the HTML export does not)")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as exc:  # pragma: no cover - playwright is in requirements.txt
        raise PdfError("Playwright is not installed: the PDF needs it (the HTML export does not)") from exc
    with tempfile.TemporaryDirectory(prefix="founderdeck-pdf-") as folder:
        path = Path(folder) / "pitch.html"
        path.write_text(document, encoding="utf-8")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    context = browser.new_context()
                    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                                  else route.abort())
                    page = context.new_page()
                    page.set_default_timeout(timeout_ms)
                    page.goto(path.as_uri(), wait_until="load")
                    charts = document.count('class="plotly-graph-div')
                    if charts:
                        page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot').length >= {charts}")
                    page.emulate_media(media="print")
                    return page.pdf(format="A4", print_background=True,
                                    margin={"top": "12mm", "bottom": "12mm", "left": "10mm", "right": "10mm"})
                finally:
                    browser.close()
        except Error as exc:
            raise PdfError(f"Chromium could not print the pitch: {exc}") from exc
