"""Import & export page: upload → preview → import, refusals shown by row and column, restore a backup."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from db import repo
from db.io import backup, tabular
from db.models import Task
from tests.conftest import ROOT
from tests.helpers import open_page, table_dump

pytestmark = pytest.mark.usefixtures("navigation_only")
PAGE = "pages/data.py"
GOOD = b"id,project,name,likely_days,predecessors\n1,Launch,Write docs,3,\n2,Launch,Ship,1,1FS+1\n"


def _open(workspace_id: int) -> AppTest:
    return open_page(PAGE, workspace_id)


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="import_file_0").upload(name, data).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _tasks(app_db, ws: str) -> list[tuple]:
    with app_db["factory"]() as s:
        return [(t.name, t.likely_days) for t in repo.list_rows(session=s, model=Task, workspace_id=app_db[ws])]


def test_uploaded_csv_is_previewed_then_imported_whole(app_db):
    at = _upload(_open(app_db["empty"]), "plan.csv", GOOD)
    assert at.selectbox(key="import_sheet").value == "tasks"  # guessed from the header
    assert "Would add: 2 tasks." in [m.value for m in at.markdown]
    assert "Launch" in at.info[0].value  # the project the file names will be created
    assert at.dataframe[0].value["name"].tolist() == ["Write docs", "Ship"]
    assert _tasks(app_db, "empty") == []  # a preview writes nothing
    at.button(key="import_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _tasks(app_db, "empty") == [("Write docs", 3.0), ("Ship", 1.0)]


def test_a_malformed_file_lists_each_row_and_column_and_cannot_be_imported(app_db):
    before = table_dump(app_db["factory"])
    at = _upload(_open(app_db["empty"]), "plan.csv", b"id,project,name,likely_days\n1,P,A,soon\n1,P,B,2\n")
    message = at.error[0].value.replace("\\", "")
    assert "tasks row 2: 'likely_days' must be a number" in message
    assert "tasks row 3: 'id' 1 is used again" in message
    assert at.button(key="import_go").disabled
    assert table_dump(app_db["factory"]) == before


def test_an_oversize_upload_is_refused_without_being_read(app_db):
    before = table_dump(app_db["factory"])
    at = _upload(_open(app_db["empty"]), "huge.csv", b"id,project,name\n" + b"x" * (11 * 2**20))
    assert "larger than the 10 MB limit" in at.error[0].value.replace("\\", "")
    assert at.button(key="import_go").disabled
    assert table_dump(app_db["factory"]) == before


def test_the_upload_name_is_only_shown_escaped_never_used_as_a_path(app_db, tmp_path, monkeypatch):
    cwd = tmp_path / "cwd" / "deeper"
    cwd.mkdir(parents=True)
    monkeypatch.chdir(cwd)
    at = _upload(_open(app_db["empty"]), "../../<b>evil</b>.csv", GOOD)
    shown = next(m.value for m in at.markdown if "evil" in m.value)
    assert "<b>" not in shown and r"\<b\>" in shown
    at.button(key="import_go").click().run()
    assert list(cwd.iterdir()) == [] and not list(tmp_path.rglob("*evil*"))
    assert not list(ROOT.parent.glob("*evil*")) and not list(ROOT.glob("*evil*"))
    assert len(_tasks(app_db, "empty")) == 2


def test_an_excel_workbook_of_the_demo_imports_into_an_empty_workspace(app_db):
    with app_db["factory"]() as s:
        book = tabular.export_excel(session=s, workspace_id=app_db["demo"])
    at = _upload(_open(app_db["empty"]), "demo.xlsx", book)
    assert at.selectbox(key="import_kind").value == "xlsx"
    at.button(key="import_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(_tasks(app_db, "empty")) == len(_tasks(app_db, "demo"))


def test_a_backup_is_restored_into_a_new_workspace_that_becomes_current(app_db):
    with app_db["factory"]() as s:
        data = backup.write_backup(session=s, workspace_id=app_db["demo"])
    at = _open(app_db["empty"])
    at.file_uploader(key="restore_file_0").upload("demo.json", data).run()
    at.text_input(key="restore_name").input("Board copy")
    at.button(key="restore_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with app_db["factory"]() as s:
        restored = {w.name: w.id for w in repo.list_workspaces(session=s)}["Board copy"]
    assert at.session_state["workspace_id"] == restored
    assert len(_tasks(app_db | {"restored": restored}, "restored")) == len(_tasks(app_db, "demo"))


def test_a_damaged_backup_is_refused_on_the_page_and_nothing_is_added(app_db):
    with app_db["factory"]() as s:
        data = backup.write_backup(session=s, workspace_id=app_db["demo"])
    before = table_dump(app_db["factory"])
    at = _open(app_db["empty"])
    at.file_uploader(key="restore_file_0").upload("demo.json", data[: len(data) // 3]).run()
    at.button(key="restore_go").click().run()
    assert "ends early" in at.error[0].value.replace("\\", "")
    assert table_dump(app_db["factory"]) == before


def test_an_ms_project_file_imports_into_the_project_named_on_the_page(app_db):
    from db.io import mspdi
    from db.models import Project

    with app_db["factory"]() as s:
        project = repo.list_rows(session=s, model=Project, workspace_id=app_db["demo"])[0]
        data = mspdi.export_mspdi(session=s, project_id=project.id)
    at = _upload(_open(app_db["demo"]), "plan.xml", data)
    assert at.selectbox(key="import_kind").value == "xml"
    at.text_input(key="import_project").input("Research, again").run()
    assert "Research, again" in at.info[-1].value.replace("\\", "")
    at.button(key="import_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with app_db["factory"]() as s:
        copy = next(p for p in repo.list_rows(session=s, model=Project, workspace_id=app_db["demo"])
                    if p.name == "Research, again")
        names = [t.name for t in repo.list_rows(session=s, model=Task, workspace_id=app_db["demo"], project_id=copy.id)]
        original = [t.name for t in repo.list_rows(session=s, model=Task, workspace_id=app_db["demo"],
                                                   project_id=project.id)]
    assert names == original
