"""In a real browser: the Import & export page's downloads are built on click and open as what they claim,
and a file uploaded through the page's uploader is imported."""

from __future__ import annotations

import io

import pytest

from db import repo
from db.engine import make_engine, make_session_factory
from db.io import backup
from db.models import Task
from tests.e2e.test_browser import _goto, _settle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]
TITLE = "Import & export"


def _download(page, label: str) -> bytes:
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name=label).click()
    path = info.value.path()
    with open(path, "rb") as handle:
        return handle.read()


def test_downloads_are_built_on_click_and_are_what_they_say(app_server, page):
    _goto(page, app_server["base"], TITLE)
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(_download(page, "Excel workbook (every sheet)")))
    assert book["tasks"].max_row > 10 and "risks" in book.sheetnames
    assert _download(page, "CSV: people").decode("utf-8-sig").startswith("name,role,")
    assert b"<Project" in _download(page, "MS Project XML")
    page.get_by_role("tab", name="Back up and restore").click()
    document = backup.read_backup(_download(page, "JSON backup of this workspace"))  # checksum verified
    assert document["tables"]["task"]["rows"]


def test_a_csv_uploaded_in_the_browser_is_previewed_and_imported(app_server, page, tmp_path):
    _goto(page, app_server["base"], TITLE)
    page.get_by_role("tab", name="Import").click()
    upload = tmp_path / "browser-plan.csv"
    upload.write_text("id,project,name,likely_days\n1,Browser project,Uploaded in Chromium,4\n", encoding="utf-8")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(str(upload))
    page.get_by_text("Would add: 1 tasks.").wait_for()
    page.get_by_role("button", name="Import").click()
    _settle(page)
    factory = make_session_factory(make_engine(app_server["database_url"]))
    with factory() as s:
        workspace_id = repo.list_workspaces(session=s)[0].id
        names = [t.name for t in repo.list_rows(session=s, model=Task, workspace_id=workspace_id)]
    assert "Uploaded in Chromium" in names
