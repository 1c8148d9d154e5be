"""A real app server on a free loopback port, and Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI, ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"
# Flags for a sandboxed, offline machine: no background calls home, no GPU, root-safe.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _need_browser() -> None:
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium chromium-driver)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def start_server(data: Path, app_args: tuple[str, ...] = ()) -> dict:
    """`python -m db upgrade && python -m db demo && streamlit run app.py [-- app_args]` on a fresh SQLite file
    in ``data`` (``("--pitch",)`` starts it as `make pitch` does)."""
    url = f"sqlite:///{data / 'e2e.db'}"
    env = {**os.environ, "DATABASE_URL": url}
    for command in ("upgrade", "demo"):
        subprocess.run([sys.executable, "-m", "db", command], cwd=ROOT, env=env, check=True, capture_output=True)
    port = _free_port()
    log = (data / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
         "--browser.gatherUsageStats", "false", *(("--", *app_args) if app_args else ())],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail(f"app did not start: {(data / 'server.log').read_text()}")
    return {"base": base, "database_url": url, "process": proc, "log": log}


def stop_server(server: dict) -> None:
    server["process"].terminate()
    server["process"].wait(timeout=20)
    server["log"].close()


@pytest.fixture(scope="module")
def app_server(tmp_path_factory) -> Iterator[dict]:
    """One app server for the module's tests, on the demo workspace."""
    _need_browser()
    server = start_server(tmp_path_factory.mktemp("e2e"))
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def browser(app_server) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1800})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()
