"""Import time and database size for a 5,000-task workspace, against a bulk insert without validation.

Run: ``python -m bench.bench_import``. Writes a CSV of 5,000 tasks in 50 projects (each a chain,
so 4,950 finish-to-start links, with assignees among 200 people), then in the same run:

* ours: ``db.io.tabular.import_file`` — parse, check every cell, resolve names, refuse cycles, and write
  through the repositories (validated, with a history row per row) in one transaction;
* reference: parse the same CSV with :mod:`csv` and bulk-insert the rows with SQLAlchemy Core
  ``insert()`` executemany — no validation, no history, no cycle check.

Both must end with the same task and link counts. It also times a JSON backup and a restore of the
imported workspace, and prints each database's size.
"""

from __future__ import annotations

import csv
import io
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

import db.history  # noqa: E402,F401 - registers the change-history listener
from bench._report import Result, emit  # noqa: E402
from db import repo  # noqa: E402
from db.engine import make_engine, make_session_factory  # noqa: E402
from db.io import backup, tabular  # noqa: E402
from db.models import Base, Person, Project, Task, TaskDependency, utcnow  # noqa: E402
from db.transaction import transaction  # noqa: E402

PROJECTS, TASKS_PER_PROJECT, PEOPLE = 50, 100, 200


def plan_csv() -> bytes:
    """The 5,000-task plan as the tasks sheet of a CSV export."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "project", "assignee", "predecessors", "name", "start_date", "end_date",
                     "optimistic_days", "likely_days", "pessimistic_days", "percent_done"])
    start, n = date(2026, 1, 5), 0
    for p in range(PROJECTS):
        for t in range(TASKS_PER_PROJECT):
            n += 1
            begin = start + timedelta(days=t)
            writer.writerow([n, f"Project {p}", f"Person {n % PEOPLE}", n - 1 if t else "", f"Task {p}.{t}", begin,
                             begin + timedelta(days=3), 2, 3, 6, (0, 50, 100)[n % 3]])
    return out.getvalue().encode()


def _database(path: Path):
    engine = make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    with transaction(factory, actor="bench") as s:
        ws = repo.create_workspace(session=s, name="Imported Co").id
        for i in range(PEOPLE):
            repo.create(session=s, model=Person, values={"workspace_id": ws, "name": f"Person {i}"})
    return engine, factory, ws


def reference_import(engine, workspace_id: int, data: bytes) -> None:
    """Parse with csv and bulk-insert: what an import costs with no checks and no history."""
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    now = utcnow()
    with engine.begin() as conn:
        people = dict(conn.execute(select(Person.name, Person.id).where(Person.workspace_id == workspace_id)).all())
        projects: dict[str, int] = {}
        for name in dict.fromkeys(r["project"] for r in rows):
            projects[name] = conn.execute(insert(Project).values(workspace_id=workspace_id, name=name, created_at=now,
                                                                 updated_at=now, version=1)).inserted_primary_key[0]
        first = conn.execute(select(Task.id).order_by(Task.id.desc()).limit(1)).scalar() or 0
        conn.execute(insert(Task), [{
            "id": first + i, "workspace_id": workspace_id, "project_id": projects[r["project"]],
            "assignee_id": people[r["assignee"]], "name": r["name"],
            "start_date": date.fromisoformat(r["start_date"]), "end_date": date.fromisoformat(r["end_date"]),
            "optimistic_days": float(r["optimistic_days"]), "likely_days": float(r["likely_days"]),
            "pessimistic_days": float(r["pessimistic_days"]), "percent_done": float(r["percent_done"]),
            "kind": "task", "status": "todo", "notes": "", "created_at": now, "updated_at": now, "version": 1}
            for i, r in enumerate(rows, start=1)])
        conn.execute(insert(TaskDependency), [{
            "workspace_id": workspace_id, "predecessor_id": first + int(r["predecessors"]),
            "successor_id": first + int(r["id"]), "kind": "FS", "lag_days": 0.0, "created_at": now,
            "updated_at": now, "version": 1} for r in rows if r["predecessors"]])


def _counts(factory, workspace_id: int) -> tuple[int, int]:
    with factory() as s:
        return (len(repo.list_rows(session=s, model=Task, workspace_id=workspace_id)),
                len(repo.list_rows(session=s, model=TaskDependency, workspace_id=workspace_id)))


def main() -> None:
    data = plan_csv()
    with tempfile.TemporaryDirectory() as tmp:
        ours_engine, ours, ours_ws = _database(Path(tmp) / "ours.db")
        ref_engine, ref, ref_ws = _database(Path(tmp) / "reference.db")

        began = time.perf_counter()
        reference_import(ref_engine, ref_ws, data)
        reference_s = time.perf_counter() - began
        began = time.perf_counter()
        with transaction(ours, actor="bench") as s:
            result = tabular.import_file(session=s, workspace_id=ours_ws, data=data, fmt="csv", sheet="tasks")
        ours_s = time.perf_counter() - began
        assert _counts(ours, ours_ws) == _counts(ref, ref_ws) == (PROJECTS * TASKS_PER_PROJECT,
                                                                  PROJECTS * (TASKS_PER_PROJECT - 1))
        rows = result.counts["tasks"] + result.dependencies + result.new_projects
        for engine in (ours_engine, ref_engine):
            with engine.begin() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        sizes = {name: (Path(tmp) / f"{name}.db").stat().st_size / 1e6 for name in ("ours", "reference")}

        began = time.perf_counter()
        with ours() as s:
            document = backup.write_backup(session=s, workspace_id=ours_ws)
        backup_s = time.perf_counter() - began
        began = time.perf_counter()
        with transaction(ours, actor="bench") as s:
            restored = backup.restore_backup(session=s, data=document).id
        restore_s = time.perf_counter() - began
        assert _counts(ours, restored) == _counts(ours, ours_ws)

    print(f"CSV of {len(data) / 1e6:.2f} MB: {result.describe()} ({rows:,} rows)")
    print(f"import (checked, through the repositories, with history): {ours_s:.1f} s, {rows / ours_s:,.0f} rows/s; "
          f"database {sizes['ours']:.1f} MB (history included)")
    print(f"reference (csv + bulk insert, no checks, no history):      {reference_s:.2f} s; "
          f"database {sizes['reference']:.1f} MB — the checked import is {ours_s / reference_s:.0f}x slower")
    print(f"JSON backup of the imported workspace: {len(document) / 1e6:.1f} MB in {backup_s:.2f} s; "
          f"restore into a new workspace {restore_s:.1f} s")
    emit(Result("import", "5,000-task CSV import, checked, with history", ours_s, reference_s,
                reference="csv + bulk insert without validation or history"))
    emit(Result("import", "restore a 5,000-task workspace backup", restore_s, None))


if __name__ == "__main__":
    main()
