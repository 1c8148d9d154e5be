"""CSV and Excel import/export: round trips give identical rows; every malformed file is refused whole."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

import pytest

from db import repo
from db.demo import create_demo_workspace
from db.io import tabular
from db.io.export_rows import sheet_rows
from db.io.limits import MAX_FILE_BYTES
from db.io.loader import parse_predecessors
from db.io.sheets import SHEETS
from db.models import GpuReservation, Person, Project, Risk, RiskTaskLink, Task, TaskDependency
from db.transaction import transaction
from db.validation import ValidationError
from tests.helpers import table_dump

pytestmark = pytest.mark.db

HEADER = "id,project,name,likely_days,start_date,predecessors\n"


@pytest.fixture
def demo(factory):
    """The demo workspace plus a GPU reservation, a risk→task link and a sub-task, so every link is used."""
    with factory.begin() as s:
        ws = create_demo_workspace(session=s, today=date(2026, 11, 25), name="Demo").id
        tasks = repo.list_rows(session=s, model=Task, workspace_id=ws)
        risk = repo.list_rows(session=s, model=Risk, workspace_id=ws)[0]
        repo.update(session=s, model=Task, row_id=tasks[2].id, values={"parent_id": tasks[1].id})
        repo.create(session=s, model=GpuReservation, values={
            "workspace_id": ws, "task_id": tasks[3].id, "gpu_type": "H100", "count": 8,
            "start_date": date(2027, 1, 1), "end_date": date(2027, 2, 1), "hourly_rate_usd": 2.1})
        repo.create(session=s, model=RiskTaskLink, values={"risk_id": risk.id, "task_id": tasks[3].id})
    return ws


def _new_workspace(factory, name="Copy") -> int:
    with factory.begin() as s:
        return repo.create_workspace(session=s, name=name).id


def _all_rows(factory, ws: int) -> dict[str, list[dict]]:
    with factory() as s:
        return {n: sheet_rows(session=s, workspace_id=ws, sheet=n, include_private=True) for n in SHEETS}


def _import(factory, ws, data, fmt="csv", sheet="tasks"):
    with transaction(factory, actor="import") as s:
        return tabular.import_file(session=s, workspace_id=ws, data=data, fmt=fmt, sheet=sheet)


def test_excel_export_then_import_gives_identical_rows(factory, demo):
    with factory() as s:
        book = tabular.export_excel(session=s, workspace_id=demo, include_private=True)
    copy = _new_workspace(factory)
    result = _import(factory, copy, book, fmt="xlsx")
    with factory() as s:
        links = len(repo.list_rows(session=s, model=TaskDependency, workspace_id=demo))
        tasks = len(repo.list_rows(session=s, model=Task, workspace_id=demo))
    assert result.counts["tasks"] == tasks and result.dependencies == links > 0
    original = _all_rows(factory, demo)
    assert original["gpu_reservations"] and any(r["parent"] for r in original["tasks"])
    assert _all_rows(factory, copy) == original


def test_csv_export_then_import_sheet_by_sheet_gives_identical_rows(factory, demo):
    copy = _new_workspace(factory)
    for sheet in SHEETS:
        with factory() as s:
            data = tabular.export_csv(session=s, workspace_id=demo, sheet=sheet, include_private=True)
        _import(factory, copy, data, sheet=sheet)
    assert _all_rows(factory, copy) == _all_rows(factory, demo)


def test_import_writes_history_with_the_actor(factory, workspace_id):
    _import(factory, workspace_id, (HEADER + "1,P,Train,5,2027-01-01,\n").encode())
    with factory() as s:
        log = repo.history(session=s, workspace_id=workspace_id, table_name="task")
    assert [(e.action, e.actor) for e in log] == [("create", "import")]


def test_text_that_looks_like_a_formula_is_exported_inert_and_comes_back_as_typed(factory, workspace_id):
    evil = '=HYPERLINK("http://x.example","click")'
    typed = io.StringIO()
    csv.writer(typed).writerows([["id", "project", "name"], [1, "P", "'" + evil], [2, "P", "-minus"]])
    _import(factory, workspace_id, typed.getvalue().encode())
    with factory() as s:
        data = tabular.export_csv(session=s, workspace_id=workspace_id, sheet="tasks")
    assert "'=HYPERLINK" in data.decode("utf-8-sig") and "'-minus" in data.decode("utf-8-sig")
    copy = _new_workspace(factory)
    _import(factory, copy, data)
    with factory() as s:
        assert [t.name for t in repo.list_rows(session=s, model=Task, workspace_id=copy)] == [evil, "-minus"]
        book = tabular.export_excel(session=s, workspace_id=copy, sheets=("tasks",))
    from openpyxl import load_workbook
    cell = load_workbook(io.BytesIO(book))["tasks"]["G2"]
    assert (cell.value, cell.data_type) == (evil, "s")


def test_private_risks_are_left_out_of_exports_unless_asked_for(factory, demo):
    with factory() as s:
        public = tabular.export_csv(session=s, workspace_id=demo, sheet="risks").decode("utf-8-sig")
        everything = tabular.export_csv(session=s, workspace_id=demo, sheet="risks",
                                        include_private=True).decode("utf-8-sig")
        private = [r.title for r in repo.list_rows(session=s, model=Risk, workspace_id=demo) if r.private]
    assert private and all(t not in public for t in private) and all(t in everything for t in private)


def test_links_resolve_by_name_and_a_named_new_project_is_created_and_previewed(factory, workspace_id):
    with factory.begin() as s:
        repo.create(session=s, model=Person, values={"workspace_id": workspace_id, "name": "Ada"})
    data = b"id,project,milestone,assignee,name,predecessors\n1,Data,M1,Ada,Collect,\n2,Data,M1,,Clean,1SS+2\n"
    with factory() as s:
        plan = tabular.preview(session=s, workspace_id=workspace_id, data=data, fmt="csv", sheet="tasks")
    assert plan.ok and plan.new_projects == ["Data"] and plan.new_milestones == [("Data", "M1")]
    result = _import(factory, workspace_id, data)
    assert "1 new projects" in result.describe()
    with factory() as s:
        rows = sheet_rows(session=s, workspace_id=workspace_id, sheet="tasks")
    assert [(r["project"], r["milestone"], r["assignee"], r["predecessors"]) for r in rows] == [
        ("Data", "M1", "Ada", None), ("Data", "M1", None, "1SS+2")]


def test_a_semicolon_separated_csv_from_a_european_excel_is_read(factory, workspace_id):
    _import(factory, workspace_id, "id;project;name;likely_days\n1;P;Étiquetage;3\n".encode())
    with factory() as s:
        assert [t.name for t in repo.list_rows(session=s, model=Task, workspace_id=workspace_id)] == ["Étiquetage"]


@pytest.mark.parametrize(("text", "expected"), [
    ("12", [(12, "FS", 0.0)]),
    ("12FS+2;14SS", [(12, "FS", 2.0), (14, "SS", 0.0)]),
    ("3 ff - 1.5 days, 4SF", [(3, "FF", -1.5), (4, "SF", 0.0)]),
    (7.0, [(7, "FS", 0.0)]),
    ("", []),
])
def test_predecessors_are_parsed_with_type_and_lag(text, expected):
    assert parse_predecessors(text) == expected


# (name, file bytes, sheet, fragments the message must contain: sheet, row and column)
MALFORMED = [
    ("unknown column", b"id,project,name,colour\n1,P,A,red\n", ["tasks row 1", "'colour'", "not a column"]),
    ("missing column", b"id,name\n1,A\n", ["tasks row 1", "'project'", "missing"]),
    ("bad date", (HEADER + "1,P,A,3,2027-01-01,\n2,P,B,3,31/02/2027,\n").encode(), ["tasks row 3", "'start_date'"]),
    ("unknown predecessor", (HEADER + "1,P,A,3,,\n2,P,B,3,,9FS\n").encode(),
     ["tasks row 3", "'predecessors'", "unknown predecessor 9"]),
    ("duplicate id", (HEADER + "1,P,A,3,,\n1,P,B,3,,\n").encode(), ["tasks row 3", "'id'", "first in row 2"]),
    ("cycle", (HEADER + "1,P,A,3,,3\n2,P,B,3,,1\n3,P,C,3,,2\n").encode(), ["'predecessors'", "cycle", "'A'"]),
    ("non-numeric estimate", (HEADER + "1,P,A,about five,,\n").encode(),
     ["tasks row 2", "'likely_days'", "must be a number"]),
    ("wrong encoding", (HEADER + "1,P,Étude,3,,\n").encode("latin-1"), ["tasks row 2", "not UTF-8", "0xc9"]),
    ("empty file", b"", ["tasks", "'file'", "is empty"]),
    ("header only", HEADER.encode(), ["'file'", "no data rows"]),
    ("value under a blank header", b"id,,project,name\n1,x,P,A\n",
     ["tasks row 2: 'column 2' has a value but no header"]),
    ("short row without its project", b"id,name,project\n1,A,P\n2,B\n", ["tasks row 3: 'project' is required"]),
    ("text in a number column of another sheet", b"name,monthly_cost_usd\nAda,lots\n",
     ["people row 2", "'monthly_cost_usd'"]),
]


@pytest.mark.parametrize(("case", "data", "fragments"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_csv_is_refused_naming_row_and_column_and_writes_nothing(factory, workspace_id, case, data,
                                                                          fragments):
    before = table_dump(factory)
    sheet = "people" if case.startswith("text in") else "tasks"
    with pytest.raises(ValidationError) as refused:
        _import(factory, workspace_id, data, sheet=sheet)
    for fragment in fragments:
        assert fragment in str(refused.value), (fragment, str(refused.value))
    assert table_dump(factory) == before


def test_every_problem_in_a_file_is_listed_not_only_the_first(factory, workspace_id):
    data = (HEADER + "1,P,A,x,,\n2,P,,3,,\n3,P,C,3,2027-13-01,7\n").encode()
    with pytest.raises(ValidationError) as refused:
        _import(factory, workspace_id, data)
    where = {(e.row, e.field) for e in refused.value.errors}
    assert {(2, "likely_days"), (3, "name"), (4, "start_date"), (4, "predecessors")} <= where


def test_unknown_and_ambiguous_people_are_refused_by_name(factory, workspace_id):
    with factory.begin() as s:
        for _ in range(2):
            repo.create(session=s, model=Person, values={"workspace_id": workspace_id, "name": "Sam"})
    before = table_dump(factory)
    with pytest.raises(ValidationError) as refused:
        _import(factory, workspace_id, b"id,project,name,assignee\n1,P,A,Nobody\n2,P,B,Sam\n")
    text = str(refused.value)
    assert "tasks row 2: 'assignee' no person is called 'Nobody'" in text
    assert "tasks row 3: 'assignee' 'Sam' names 2 persons in this workspace" in text
    assert table_dump(factory) == before


class _CountingStream(io.RawIOBase):
    """A 50 MB upload that records how much of it was read."""

    def __init__(self, size: int) -> None:
        self.size, self.served = size, 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.served if n < 0 else min(n, self.size - self.served)
        self.served += n
        return b"x" * n


def test_a_50_mb_file_is_refused_before_it_is_parsed(factory, workspace_id):
    stream = _CountingStream(50 * 1024 * 1024)
    before = table_dump(factory)
    with pytest.raises(ValidationError, match="larger than the 10 MB limit"):
        _import(factory, workspace_id, stream)
    assert stream.served == MAX_FILE_BYTES + 1
    assert table_dump(factory) == before


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(("data", "message"), [
    (b"id,project,name\n1,P,A\n", "not a zip archive"),
    (_zip({"../../etc/evil.xml": b"x"}), "unsafe entry name"),
    (_zip({"xl/bomb.xml": b"\0" * (120 * 1024 * 1024)}), "zip bomb"),
    (_zip({"hello.txt": b"not a workbook"}), "not a readable Excel workbook"),
], ids=["csv renamed", "dot-dot entry", "huge expansion", "zip without workbook"])
def test_unsafe_or_damaged_workbooks_are_refused(factory, workspace_id, data, message):
    before = table_dump(factory)
    with pytest.raises(ValidationError, match=message):
        _import(factory, workspace_id, data, fmt="xlsx")
    assert table_dump(factory) == before


def test_an_excel_sheet_with_a_bad_row_refuses_the_whole_workbook(factory, demo):
    with factory() as s:
        book = tabular.export_excel(session=s, workspace_id=demo)
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(book))
    wb["funding"]["D3"] = "next spring"  # close_date
    out = io.BytesIO()
    wb.save(out)
    copy = _new_workspace(factory)
    before = table_dump(factory)
    with pytest.raises(ValidationError, match=r"funding row 3: 'close_date' must be a date"):
        _import(factory, copy, out.getvalue(), fmt="xlsx")
    assert table_dump(factory) == before
    with factory() as s:
        assert repo.list_rows(session=s, model=Project, workspace_id=copy) == []
