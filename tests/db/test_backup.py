"""JSON backup and restore: a restored workspace equals the original apart from ids; bad files change nothing."""

from __future__ import annotations

import json
from datetime import date

import pytest

from db import repo
from db.__main__ import main
from db.demo import create_demo_workspace
from db.io import backup
from db.models import TRACKED_MODELS, Baseline, Project, Task, TaskDependency, Workspace
from db.transaction import transaction
from db.validation import ValidationError
from tests.helpers import table_dump

pytestmark = pytest.mark.db


@pytest.fixture
def demo(factory):
    """The demo plus the awkward cases: a soft-deleted project, a sub-task, a baseline keyed by task ids."""
    with factory.begin() as s:
        ws = create_demo_workspace(session=s, today=date(2026, 11, 25), name="Demo").id
        tasks = repo.list_rows(session=s, model=Task, workspace_id=ws)
        repo.update(session=s, model=Task, row_id=tasks[0].id, values={"parent_id": tasks[5].id})
        repo.create(session=s, model=Baseline, values={"workspace_id": ws, "name": "Plan v1", "snapshot": {
            str(t.id): {"name": t.name, "end": str(t.end_date)} for t in tasks[:3]}})
        doomed = repo.create(session=s, model=Project, values={"workspace_id": ws, "name": "Abandoned"})
        repo.create(session=s, model=Task, values={"project_id": doomed.id, "name": "Old idea"})
        repo.soft_delete(session=s, model=Project, row_id=doomed.id)
    return ws


def canonical(document: dict) -> dict[str, list[tuple]]:
    """Every table's rows with ids replaced by positions (and links by the position they point at)."""
    tables = document["tables"]
    position = {name: {row[t["columns"].index("id")]: i for i, row in enumerate(t["rows"])}
                for name, t in tables.items() if t["rows"]}
    out = {}
    for model in TRACKED_MODELS:
        table = tables[model.__tablename__]
        columns = model.__table__.c
        rows = []
        for row in table["rows"]:
            values = dict(zip(table["columns"], row, strict=True))
            for key, value in values.items():
                if key == "id":
                    values[key] = position[model.__tablename__][value]
                elif columns[key].foreign_keys and value is not None:
                    target = next(iter(columns[key].foreign_keys)).column.table.name
                    values[key] = position[target][value]
            if key == "snapshot" or model is Baseline:
                values["snapshot"] = {position["task"][int(k)]: v for k, v in values["snapshot"].items()}
            if model is Workspace:  # a new workspace: its own name and creation time
                for key in ("name", "created_at", "updated_at"):
                    values.pop(key)
            rows.append(tuple(sorted(values.items(), key=lambda kv: kv[0])))
        out[model.__tablename__] = rows
    return out


def _backup(factory, ws: int) -> bytes:
    with factory() as s:
        return backup.write_backup(session=s, workspace_id=ws)


def _restore(factory, data, name=None) -> Workspace:
    with transaction(factory, actor="restore") as s:
        return backup.restore_backup(session=s, data=data, name=name)


def test_restore_gives_a_new_workspace_with_identical_rows_apart_from_ids(factory, demo):
    data = _backup(factory, demo)
    restored = _restore(factory, data)
    assert restored.id != demo and restored.name == "Demo (restored)"
    again = _backup(factory, restored.id)
    original, copy = canonical(json.loads(data)), canonical(json.loads(again))
    assert original["task"] and original["baseline"] and original["allocation"]
    assert copy == original
    with factory() as s:
        live = [p.name for p in repo.list_rows(session=s, model=Project, workspace_id=restored.id)]
        deleted = [r.name for r in repo.deleted_rows(session=s, workspace_id=restored.id) if hasattr(r, "name")]
    assert "Abandoned" not in live and {"Abandoned", "Old idea"} <= set(deleted)


def test_restored_rows_are_in_the_history_as_created_by_the_restore(factory, demo):
    restored = _restore(factory, _backup(factory, demo))
    with factory() as s:
        log = repo.history(session=s, workspace_id=restored.id, limit=5000)
    # Created in the backup's order; the one sub-task gets its parent once every task is in.
    assert {(e.action, e.actor) for e in log} == {("create", "restore"), ("update", "restore")}
    assert [e.table_name for e in log if e.action == "update"] == ["task"]


def test_restoring_twice_makes_each_name_unique_and_an_explicit_taken_name_is_refused(factory, demo):
    data = _backup(factory, demo)
    assert [_restore(factory, data).name for _ in range(2)] == ["Demo (restored)", "Demo (restored 2)"]
    assert _restore(factory, data, name="Board copy").name == "Board copy"
    before = table_dump(factory)
    with pytest.raises(ValidationError, match="already taken"):
        _restore(factory, data, name="Demo")
    assert table_dump(factory) == before


def _tamper(data: bytes, change) -> bytes:
    document = json.loads(data)
    change(document)
    return json.dumps(document).encode()


def _resign(change):
    def both(document):
        change(document)
        document["checksum"] = backup.checksum(document)
    return both


def _task_table(document):
    return document["tables"]["task"]


BAD_FILES = {
    # Cut at a line end: half the bytes may fall inside a multi-byte character, which is "not UTF-8" instead.
    "truncated": (lambda d: d[: d.rfind(b"\n", 0, len(d) // 2)], "ends early"),
    "not JSON": (lambda d: b"PK\x03\x04 zip, not json", "not valid JSON"),
    "empty": (lambda d: b"", "is empty"),
    "not UTF-8": (lambda d: d.replace(b'"Demo"', '"Démo"'.encode("latin-1")), "not UTF-8"),
    "another JSON file": (lambda d: b'{"name": "x"}', "not a FounderDeck backup"),
    "one value changed": (lambda d: d.replace(b"Mei Chen", b"Mei Chan"), "checksum"),
    "newer format": (lambda d: _tamper(d, _resign(lambda x: x.update(version=99))), "version 99"),
    "unknown table": (lambda d: _tamper(d, _resign(lambda x: x["tables"].update(secrets={}))), "secrets"),
    "unknown column": (lambda d: _tamper(d, _resign(lambda x: _task_table(x)["columns"].__setitem__(1, "colour"))),
                       "'colour' is not a column of task"),
    "short row": (lambda d: _tamper(d, _resign(lambda x: _task_table(x)["rows"][3].pop())),
                  "task row 4: 'row'"),
    "bad value": (lambda d: _tamper(d, _resign(lambda x: _task_table(x)["rows"][2].__setitem__(
        _task_table(x)["columns"].index("likely_days"), "soon"))), "task row 3: 'likely_days' must be a number"),
    "dangling link": (lambda d: _tamper(d, _resign(lambda x: _task_table(x)["rows"][1].__setitem__(
        _task_table(x)["columns"].index("assignee_id"), 99999))), "'assignee_id' refers to person 99999"),
    "dependency cycle": (lambda d: _tamper(d, _resign(_add_back_link)), "cycle"),
    "parent loop": (lambda d: _tamper(d, _resign(_parent_loop)), "own ancestor"),
    # Found by the property test: a workspace id that is not a number crashed the id map.
    "workspace id a list": (lambda d: _tamper(d, _resign(_workspace_id_list)), "'id' must be a row id, got"),
}


def _workspace_id_list(document):
    table = document["tables"]["workspace"]
    row = table["rows"][0]
    row[table["columns"].index("id")] = [1]


def _parent_loop(document):
    table = _task_table(document)
    column, ids = table["columns"].index("parent_id"), table["columns"].index("id")
    table["rows"][0][column], table["rows"][1][column] = table["rows"][1][ids], table["rows"][0][ids]


def _add_back_link(document):
    table = document["tables"]["task_dependency"]
    first = dict(zip(table["columns"], table["rows"][0], strict=True))
    back = {**first, "id": 10**6, "predecessor_id": first["successor_id"], "successor_id": first["predecessor_id"]}
    table["rows"].append([back[c] for c in table["columns"]])


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_corrupt_truncated_or_tampered_backup_is_refused_and_changes_nothing(factory, demo, case):
    damage, message = BAD_FILES[case]
    data = damage(_backup(factory, demo))
    before = table_dump(factory)
    with pytest.raises(ValidationError, match=message):
        _restore(factory, data)
    assert table_dump(factory) == before


def test_backup_and_restore_from_the_command_line(tmp_path, monkeypatch, capsys):
    from db import migrate
    from db.engine import make_engine, make_session_factory

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    migrate.upgrade(url)
    factory = make_session_factory(make_engine(url))
    with factory.begin() as s:
        create_demo_workspace(session=s, today=date(2026, 11, 25), name="Demo")
    file = tmp_path / "demo.json"
    assert main(["backup", "Demo", str(file)]) == 0
    assert main(["restore", str(file), "--name", "From CLI"]) == 0
    assert "restored workspace 'From CLI'" in capsys.readouterr().out
    with factory() as s:
        ws = {w.name: w.id for w in repo.list_workspaces(session=s)}
        counts = [len(repo.list_rows(session=s, model=TaskDependency, workspace_id=ws[n]))
                  for n in ("Demo", "From CLI")]
    assert counts[0] == counts[1] > 0
    file.write_bytes(file.read_bytes()[:-10])
    before = table_dump(factory)
    assert main(["restore", str(file)]) == 2
    assert main(["backup", "No such workspace", str(tmp_path / "x.json")]) == 2
    assert main(["restore", str(tmp_path / "missing.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("error: ") for line in err)
    assert "ends early" in err[0] and not (tmp_path / "x.json").exists()
    assert table_dump(factory) == before


def test_a_backup_that_breaks_a_database_rule_is_refused_in_words(factory, demo):
    def duplicate_link(document):
        table = document["tables"]["task_dependency"]
        copy = list(table["rows"][0])
        copy[table["columns"].index("id")] = 10**6
        table["rows"].append(copy)
        document["checksum"] = backup.checksum(document)

    data = _tamper(_backup(factory, demo), duplicate_link)
    before = table_dump(factory)
    with pytest.raises(ValidationError, match="breaks a database rule"):
        _restore(factory, data)
    assert table_dump(factory) == before


def test_a_backup_cut_anywhere_is_named_truncated_and_a_broken_middle_is_not(factory, demo):
    data = _backup(factory, demo)
    text = data.decode()
    # Cut points at every kind of place: inside a string, after a closing brace, a comma, a number, a newline.
    cuts = sorted({len(text) * k // 97 for k in range(1, 97)} | {text.rfind("}", 0, len(text) // 3) + 1})
    for cut in cuts:
        with pytest.raises(ValidationError, match="ends early"):
            backup.read_backup(text[:cut].encode())
    middle = len(text) // 2
    broken = text[:middle] + "\x01" + text[middle + 1:]  # a control character: invalid JSON, but the file is whole
    with pytest.raises(ValidationError, match="not valid JSON") as refused:
        backup.read_backup(broken.encode())
    assert "ends early" not in str(refused.value)
