"""Cold start: from `streamlit run app.py` to the Overview drawn in headless Chromium.

Run: ``python -m bench.bench_coldstart``. The reference, measured in the same run, is a bare
Streamlit script (one st.title) served and drawn the same way, so the ratio is what FounderDeck
adds on top of Streamlit itself (imports, migrations check, first queries, charts).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench._report import Result, emit

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cold_start(script: Path, env: dict, browser, selector: str) -> float:
    """Seconds from process start until ``selector`` is visible in a fresh page."""
    port = _port()
    began = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port), "--server.headless",
         "true", "--server.address", "127.0.0.1", "--server.fileWatcherType", "none"],
        cwd=script.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        page = browser.new_page()
        while True:
            try:
                page.goto(f"http://127.0.0.1:{port}/", timeout=2000)
                break
            except Exception:  # the server is not listening yet
                time.sleep(0.1)
        page.wait_for_selector(selector, timeout=60_000)
        elapsed = time.perf_counter() - began
        page.close()
        return elapsed
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'cold.db'}"
        env = {**os.environ, "DATABASE_URL": url}
        for command in ("upgrade", "demo"):
            subprocess.run([sys.executable, "-m", "db", command], cwd=ROOT, env=env, check=True, capture_output=True)
        bare = Path(tmp) / "bare.py"
        bare.write_text("import streamlit as st\nst.title('bare')\n")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            reference = min(cold_start(bare, env, browser, "h1") for _ in range(2))
            app = min(cold_start(ROOT / "app.py", env, browser, "[data-testid='stMetric']") for _ in range(2))
            browser.close()
    print(f"cold start to first drawn page (best of 2): bare Streamlit {reference:.2f} s, "
          f"FounderDeck Overview {app:.2f} s, ratio {app / reference:.2f}x")
    emit(Result("coldstart", "server start to first drawn page (Chromium)", app, reference, reference="bare Streamlit"))


if __name__ == "__main__":
    main()
