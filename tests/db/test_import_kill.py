"""The app process killed (SIGKILL) during an import leaves all of the rows or none, and the database usable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import text

from db import repo
from db.io import tabular
from db.models import Task, TaskDependency
from db.transaction import transaction
from tests.conftest import ROOT

pytestmark = pytest.mark.db
TASKS = 1_500
WORKER = ROOT / "tests" / "db" / "import_kill_worker.py"


def _plan_csv(path) -> None:
    """A chain of TASKS tasks, each depending on the one before (so the import also writes TASKS-1 links)."""
    lines = ["id,project,name,likely_days,predecessors"]
    lines += [f"{i},Big plan,Task {i},{i % 7 + 1},{i - 1 if i > 1 else ''}" for i in range(1, TASKS + 1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _counts(factory, workspace_id) -> tuple[int, int]:
    with factory() as s:
        return (len(repo.list_rows(session=s, model=Task, workspace_id=workspace_id)),
                len(repo.list_rows(session=s, model=TaskDependency, workspace_id=workspace_id)))


# Each task and each link is one flush: 100 is early among the tasks, 2000 among the links.
@pytest.mark.parametrize("kill_at", ["flush 100", "flush 2000", "committed"])
def test_an_import_killed_at_any_point_leaves_all_or_none_of_the_rows(db_url, factory, workspace_id, tmp_path,
                                                                      kill_at):
    file = tmp_path / "plan.csv"
    _plan_csv(file)
    worker = subprocess.Popen([sys.executable, str(WORKER), db_url, str(workspace_id), str(file)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    try:
        deadline = time.monotonic() + 300
        for line in worker.stdout:  # type: ignore[union-attr]
            seen.append(line.strip())
            if line.startswith(kill_at) or time.monotonic() > deadline:
                break
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL, (seen[-3:], worker.stderr.read())  # type: ignore[union-attr]
    assert seen and seen[-1].startswith(kill_at), seen[-3:]

    expected = (TASKS, TASKS - 1) if kill_at == "committed" else (0, 0)
    assert _counts(factory, workspace_id) == expected
    with factory() as s:
        if db_url.startswith("sqlite"):
            assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        history = len(repo.history(session=s, workspace_id=workspace_id, table_name="task", limit=10**6))
    assert history == expected[0]  # the history went with the rows: all or nothing

    if kill_at == "flush 100":  # the database takes the same import afterwards, whole
        with transaction(factory, actor="retry") as s:
            tabular.import_file(session=s, workspace_id=workspace_id, data=file.read_bytes(), fmt="csv",
                                sheet="tasks")
        assert _counts(factory, workspace_id) == (TASKS, TASKS - 1)
