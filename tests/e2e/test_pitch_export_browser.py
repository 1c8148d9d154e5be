"""The exported pitch in a real browser, offline; and read-only pitch mode served by a real app server."""

from __future__ import annotations

from datetime import date

import pytest

from analytics.pitch import SECTIONS
from analytics.pitch_export import deck_html
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, _need_browser, start_server, stop_server
from tests.pitch_private_data import add_private_data


@pytest.fixture(scope="module")
def chromium():
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def exported_file(tmp_path_factory):
    from db.demo import create_demo_workspace
    from db.engine import make_engine, make_session_factory
    from db.models import Base
    from db.views_pitch import pitch_view

    folder = tmp_path_factory.mktemp("pitch_html")
    engine = make_engine(f"sqlite:///{folder / 'pitch.db'}")
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    with factory.begin() as s:
        ws = create_demo_workspace(session=s, today=date.today()).id
        add_private_data(s, ws)
    with factory() as s:
        deck = pitch_view(session=s, workspace_id=ws).deck
    engine.dispose()
    path = folder / "lexora-pitch.html"
    path.write_text(deck_html(deck), encoding="utf-8")
    return path, deck


def test_exported_html_renders_every_section_and_chart_offline(chromium, exported_file):
    path, deck = exported_file
    context = chromium.new_context(viewport={"width": 1200, "height": 1600})
    context.set_offline(True)
    requested: list[str] = []

    def only_the_file(route):
        requested.append(route.request.url)
        return route.continue_() if route.request.url.startswith("file:") else route.abort()

    context.route("**/*", only_the_file)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot').length >= {len(deck.charts)}",
                           timeout=30_000)
    headings = page.locator("h2").all_inner_texts()
    assert headings == [title for _k, title in SECTIONS]
    assert page.locator(".js-plotly-plot").count() == len(deck.charts) == 3
    assert page.locator(".js-plotly-plot .main-svg").count() >= 3  # drawn, not just placeholders
    assert not errors, errors
    assert [u for u in requested if not u.startswith("file:")] == [], "the file asks for nothing from a network"
    context.close()


@pytest.fixture(scope="module")
def pitch_server(tmp_path_factory):
    _need_browser()
    server = start_server(tmp_path_factory.mktemp("pitch_mode"), app_args=("--pitch",))  # as `make pitch` starts it
    yield server["base"]
    stop_server(server)


@pytest.mark.parametrize("path", ["/", "/projects", "/resources", "/revenue"])
def test_pitch_mode_serves_only_the_pitch(chromium, pitch_server, path):
    page = chromium.new_page(viewport={"width": 1400, "height": 1800})
    page.set_default_timeout(60_000)
    page.goto(pitch_server + path)
    page.get_by_role("heading", name="Top risks").wait_for()
    # Another page's URL is answered by a rerun on the pitch: wait for that run to finish before counting
    # (seen failing under load when counted at once, with the first run's headings still on the page).
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    page.get_by_role("button", name="Download HTML").wait_for()
    assert "Pitch" in page.locator("h1").first.inner_text()
    for _key, title in SECTIONS:
        assert page.get_by_role("heading", name=title, exact=True).count() == 1, title
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    assert page.locator('[data-testid="stSidebar"]').count() == 0
    assert page.locator("textarea").count() == 0 and page.get_by_text("Save narrative").count() == 0
    assert page.get_by_role("button", name="Download HTML").count() == 1
    page.close()


def test_pitch_mode_downloads_the_html_and_the_pdf(chromium, pitch_server, tmp_path):
    context = chromium.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1800})
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.goto(pitch_server)
    page.get_by_role("heading", name="Top risks").wait_for()
    for label, start in (("Download HTML", b"<!DOCTYPE html>"), ("Download PDF", b"%PDF-")):
        with page.expect_download() as info:
            page.get_by_role("button", name=label).click()
        saved = tmp_path / info.value.suggested_filename
        info.value.save_as(saved)
        assert saved.read_bytes().startswith(start), (label, saved.read_bytes()[:200])
    context.close()
