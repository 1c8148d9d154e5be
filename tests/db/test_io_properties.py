"""Property: any generated import file (CSV, Excel, JSON backup), sensible or hostile, is either imported
whole or refused with every problem named and the database unchanged. `make reliability` runs 1,000 cases each."""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from datetime import date
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from db import repo
from db.io import backup, tabular
from db.io.sheets import SHEETS
from db.models import Person, Project, Risk, RiskTaskLink, Task, TaskDependency, Workspace
from db.validation import ValidationError
from tests.helpers import table_dump

pytestmark = pytest.mark.db
EXAMPLES = int(os.environ.get("FOUNDERDECK_PROPERTY_EXAMPLES", "150"))
# Problems about the whole file rather than one cell carry no row.
FILE_LEVEL = {"file", "sheet", "…", "format", "version", "checksum", "tables", "table", "id", "rows", "kind"}

HOSTILE = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)", "\x00", "NaN", "inf", "1e309", "-1", "2027-02-30",
                     "31/12/2027", "'; DROP TABLE task; --", "<script>alert(1)</script>", "１２", "x" * 300, "", " ",
                     "12FS+", "0", "1;1;1", "1SS;1", "2;1", "TRUE", "milestone", "done", "Ghost", "Ada"]),
    st.integers(-10**12, 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
DATES = st.dates(date(2024, 1, 1), date(2030, 12, 31))
# What a person types: any letters, marks, symbols and spaces, but no control characters (HOSTILE has those).
TYPED = st.characters(blacklist_categories=("Cc", "Cs"))
NAME = st.text(TYPED, min_size=1, max_size=40).filter(str.strip)
# Sensible values per sheet and column; a column not listed gets empty cells.
VALID = {
    "tasks": {
        "project": st.sampled_from(["Alpha", "Beta"]),
        "milestone": st.sampled_from(["", "M1", "M2"]),
        "assignee": st.sampled_from(["", "", "Ada"]),
        "name": NAME,
        "kind": st.sampled_from(["task", "milestone", "summary"]),
        "status": st.sampled_from(["todo", "in_progress", "blocked", "done"]),
        "percent_done": st.integers(0, 100),
        "notes": st.text(TYPED, max_size=40),
    },
    "people": {
        "name": NAME,
        "role": st.text(TYPED, max_size=30),
        "monthly_cost_usd": st.floats(0, 50_000).map(lambda x: round(x, 2)),
        "weekly_capacity_hours": st.integers(0, 168),
    },
    "risks": {
        "owner": st.sampled_from(["", "", "Ada"]),
        "tasks": st.sampled_from(["", "Train", "Train; Ship"]),
        "code": st.one_of(st.just(""), st.text("abcdefgh-", min_size=1, max_size=12)),
        "category": st.sampled_from(["technical", "market", "financial", "legal", "operational", "ethical"]),
        "title": NAME,
        "cause": st.text(TYPED, max_size=40), "event": st.text(TYPED, max_size=40),
        "effect": st.text(TYPED, max_size=40), "mitigation": st.text(TYPED, max_size=40),
        "trigger": st.text(TYPED, max_size=40), "sources": st.text(TYPED, max_size=20),
        "probability_pct": st.floats(0, 100).map(lambda x: round(x, 1)),
        "impact": st.integers(1, 5),
        "impact_usd": st.floats(0, 5e6).map(lambda x: round(x, 2)),
        "schedule_impact_days": st.floats(0, 60).map(lambda x: round(x, 1)),
        "status": st.sampled_from(["open", "monitoring", "closed"]),
        "review_date": DATES,
        "private": st.sampled_from(["true", "false", "", True, False]),
    },
}
ESTIMATE = st.floats(0, 30).map(lambda x: round(x, 2))
RESPONSES = {"threat": ["avoid", "mitigate", "transfer", "accept", "escalate"],
             "opportunity": ["exploit", "enhance", "share", "accept"]}


def _task_row(draw, i: int) -> dict:
    """Columns of task row ``i`` whose sensible values depend on each other or on earlier rows."""
    start, end = sorted(draw(st.lists(DATES, min_size=2, max_size=2)))
    low, likely, high = sorted(draw(st.lists(ESTIMATE, min_size=3, max_size=3)))
    earlier = st.lists(st.integers(1, i - 1), unique=True, max_size=2) if i > 1 else st.just([])
    link = st.tuples(st.sampled_from(["", "FS", "SS", "FF", "SF"]), st.sampled_from(["", "+1", "-2", "+0.5"]))
    return {"id": st.just(i), "parent": st.sampled_from([None, None, *range(1, i)]),
            "predecessors": st.tuples(earlier, st.lists(link, min_size=2, max_size=2)).map(
                lambda t: ";".join(f"{p}{k}{lag}" for p, (k, lag) in zip(t[0], t[1], strict=False))),
            **{c: st.just(v) for c, v in (("start_date", start), ("end_date", end), ("optimistic_days", low),
                                           ("likely_days", likely), ("pessimistic_days", high))}}


def _person_row(draw, _i: int) -> dict:
    start, end = sorted(draw(st.lists(DATES, min_size=2, max_size=2)))
    return {"start_date": st.sampled_from([start, None]), "end_date": st.sampled_from([end, None])}


def _risk_row(draw, _i: int) -> dict:
    kind = draw(st.sampled_from(["threat", "threat", "opportunity"]))
    return {"kind": st.just(kind), "response": st.sampled_from(RESPONSES[kind])}


ROWS = {"tasks": _task_row, "people": _person_row, "risks": _risk_row}


@st.composite
def generated_sheet(draw, name: str) -> tuple[list[str], list[list]]:
    """A header and rows of sheet ``name``. Half the sheets are what a careful user writes (ordered dates and
    estimates, a response that fits the risk's kind, links to earlier rows and known names); the other half mix
    in hostile cells, missing and unknown columns, duplicate ids, unknown names and loops."""
    spec = SHEETS[name]
    hostile = draw(st.booleans())
    optional = [c for c in spec.columns if c not in spec.required]
    header = list(spec.required) + draw(st.lists(st.sampled_from(optional), unique=True))
    if hostile and draw(st.integers(0, 4)) == 0:
        header.remove(draw(st.sampled_from(list(spec.required))))
    if hostile and draw(st.integers(0, 4)) == 0:
        header.append(draw(st.sampled_from(["colour", "ID", " name", spec.required[-1]])))
    header = draw(st.permutations(header))
    rows = []
    for i in range(1, draw(st.integers(0 if hostile else 1, 8)) + 1):
        fixed = ROWS[name](draw, i)
        row = []
        for column in header:
            valid = fixed[column] if column in fixed else VALID[name].get(column, st.none())
            row.append(draw(st.one_of(valid, valid, valid, HOSTILE) if hostile else valid))
        rows.append(row)
    return header, rows


def task_sheet() -> st.SearchStrategy:
    return generated_sheet("tasks")


def _csv_bytes(header, rows, encoding: str, delimiter: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows([["" if c is None else c for c in row] for row in rows])
    return out.getvalue().encode(encoding, errors="replace")


def _xlsx_bytes(sheets: dict[str, tuple[list, list]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.utils.exceptions import IllegalCharacterError

    book = Workbook()
    book.remove(book.active)
    try:
        for name, (header, rows) in sheets.items():
            ws = book.create_sheet(name)
            ws.append(header)
            for row in rows:
                ws.append(row)
    except (IllegalCharacterError, ValueError):
        assume(False)  # a cell Excel itself cannot hold; not a file anyone could upload
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def scope(factory, workspace_id):
    """Ada and two tasks (Train, Ship) already in the workspace, for the files' links to name."""
    with factory.begin() as s:
        repo.create(session=s, model=Person, values={"workspace_id": workspace_id, "name": "Ada"})
        project = repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": "Core"})
        for name in ("Train", "Ship"):
            repo.create(session=s, model=Task, values={"project_id": project.id, "name": name})
    return workspace_id


# Rows an import may add besides its sheets' own: links it makes and projects/milestones it names.
COUNTED = (Task, TaskDependency, Person, Risk, RiskTaskLink)


def _counts(factory, workspace_id) -> dict[str, int]:
    with factory() as s:
        return {m.__tablename__: len(repo.list_rows(session=s, model=m, workspace_id=workspace_id))
                for m in COUNTED}


def _check_import(factory, workspace_id, data: bytes, fmt: str, tally: Counter, sheet: str = "tasks") -> None:
    before, counts = table_dump(factory), _counts(factory, workspace_id)
    try:
        with factory.begin() as s:
            result = tabular.import_file(session=s, workspace_id=workspace_id, data=data, fmt=fmt, sheet=sheet)
    except ValidationError as exc:
        assert exc.errors
        for error in exc.errors:
            assert error.field and (error.row is not None or error.field in FILE_LEVEL), error
            assert f"'{error.field}'" in str(exc)
        assert table_dump(factory) == before
        tally["refused naming row and column, database unchanged"] += 1
        return
    after = _counts(factory, workspace_id)
    for name, spec in SHEETS.items():
        if spec.model in COUNTED:
            table = spec.model.__tablename__
            assert after[table] == counts[table] + result.counts.get(name, 0), (name, result.counts)
    assert after["task_dependency"] == counts["task_dependency"] + result.dependencies
    for name, rows in result.counts.items():
        assert rows > 0 and name in SHEETS
    tally["imported whole"] += 1


def _run(name: str, strategy, check) -> None:
    tally: Counter = Counter()

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[
        HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(strategy)
    def run(case):
        check(case, tally)

    run()
    print(f"\n{name}: {sum(tally.values())} cases: {dict(tally)}; 0 crashed")
    assert sum(tally.values()) >= EXAMPLES
    # Both outcomes (accepted whole, refused cleanly) must be reached, or the generator tests only one side
    # of the property.
    assert len(tally) == 2 and all(tally.values()), dict(tally)


@pytest.mark.parametrize("sheet", ["tasks", "people", "risks"])
def test_generated_csv_files_are_imported_whole_or_refused_cleanly(factory, scope, sheet):
    cases = st.tuples(generated_sheet(sheet), st.sampled_from(["utf-8"] * 5 + ["utf-8-sig", "latin-1", "utf-16"]),
                      st.sampled_from([",", ",", ";"]), st.one_of(st.none(), st.none(), st.none(), st.floats(0, 1)))

    def check(case, tally):
        (header, rows), encoding, delimiter, cut = case
        data = _csv_bytes(header, rows, encoding, delimiter)
        _check_import(factory, scope, data[: int(len(data) * cut)] if cut is not None else data, "csv", tally,
                      sheet=sheet)

    _run(f"CSV imports of {sheet}", cases, check)


def test_generated_excel_files_are_imported_whole_or_refused_cleanly(factory, scope):
    """Workbooks of a tasks sheet, and often a people and a risks sheet with it (links across sheets)."""
    cases = st.fixed_dictionaries({"tasks": task_sheet()}, optional={"people": generated_sheet("people"),
                                                                     "risks": generated_sheet("risks")})

    def check(case, tally):
        _check_import(factory, scope, _xlsx_bytes(case), "xlsx", tally)

    _run("Excel imports", cases, check)


@pytest.fixture
def backup_bytes(factory, workspace_id) -> bytes:
    """A small real workspace's backup: the seed every generated backup is mutated from."""
    with factory.begin() as s:
        person = repo.create(session=s, model=Person, values={"workspace_id": workspace_id, "name": "Ada"})
        project = repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": "P"})
        tasks = [repo.create(session=s, model=Task, values={"project_id": project.id, "name": f"T{i}",
                                                            "assignee_id": person.id, "likely_days": i})
                 for i in range(3)]
        for a, b in pairwise(tasks):
            repo.create(session=s, model=TaskDependency, values={"predecessor_id": a.id, "successor_id": b.id})
        risk = repo.create(session=s, model=Risk, values={"workspace_id": workspace_id, "category": "technical",
                                                          "title": "GPU shortage", "owner_id": person.id})
        repo.create(session=s, model=RiskTaskLink, values={"risk_id": risk.id, "task_id": tasks[1].id})
    with factory() as s:
        return backup.write_backup(session=s, workspace_id=workspace_id)


@st.composite
def damaged_backup(draw, seed: bytes) -> bytes:
    """The seed backup, its bytes damaged, or its JSON changed (and usually re-signed, to reach the checks
    behind the checksum)."""
    how = draw(st.sampled_from(["truncate", "flip", "edit", "edit", "edit", "edit", "intact"]))
    if how == "truncate":
        return seed[: draw(st.integers(0, len(seed) - 1))]
    if how == "flip":
        at = draw(st.integers(0, len(seed) - 1))
        return seed[:at] + bytes([seed[at] ^ draw(st.integers(1, 255))]) + seed[at + 1:]
    document = json.loads(seed)
    if how == "edit":
        for _ in range(draw(st.integers(1, 3))):
            table = document["tables"][draw(st.sampled_from(sorted(document["tables"])))]
            if not table["rows"]:
                continue
            row = draw(st.sampled_from(table["rows"]))
            action = draw(st.sampled_from(["value", "value", "drop row", "copy row", "short row"]))
            if action == "value":
                row[draw(st.integers(0, len(row) - 1))] = draw(st.one_of(
                    st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(), HOSTILE, st.just([1]),
                    st.just({"a": 1})))
            elif action == "drop row":
                table["rows"].remove(row)
            elif action == "copy row":
                table["rows"].append(list(row))
            else:
                row.pop()
        if draw(st.integers(0, 9)) > 0:
            document["checksum"] = backup.checksum(document)
    return json.dumps(document).encode()


def test_generated_backups_are_restored_whole_or_refused_cleanly(factory, backup_bytes):
    def check(data, tally):
        before = table_dump(factory)
        try:
            with factory.begin() as s:
                workspace_id = backup.restore_backup(session=s, data=data).id
        except ValidationError as exc:
            assert exc.errors and all(e.field for e in exc.errors)
            assert table_dump(factory) == before
            tally["refused naming the table and field, database unchanged"] += 1
            return
        document = json.loads(data)
        with factory() as s:
            for model in (Task, TaskDependency, Person, Risk, RiskTaskLink):
                stored = repo.list_rows(session=s, model=model, workspace_id=workspace_id, include_deleted=True)
                assert len(stored) == len(document["tables"][model.__tablename__]["rows"])
            assert repo.get(session=s, model=Workspace, row_id=workspace_id)
        tally["restored whole into a new workspace"] += 1

    _run("JSON backups", damaged_backup(backup_bytes), check)
