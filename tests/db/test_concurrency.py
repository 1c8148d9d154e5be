"""Eight processes writing to one database at once: no lost update, no lock error, complete history."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from db import repo
from db.models import ChangeLog, Project, Risk, Task
from db.transaction import transaction
from tests.db.concurrency_worker import APPEND_FIELD, run_worker

pytestmark = [pytest.mark.db, pytest.mark.slow, pytest.mark.timeout(600)]

PROCESSES = 8
OPS = int(os.environ.get("FOUNDERDECK_CONCURRENCY_OPS", "200"))


def test_eight_processes_of_mixed_writes(factory, engine, db_url, workspace_id):
    with transaction(factory, actor="setup") as s:
        project_id = repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": "P"}).id
        shared = {
            "task": [repo.create(session=s, model=Task, values={"project_id": project_id, "name": f"shared {i}"}).id
                     for i in range(3)],
            "risk": [repo.create(session=s, model=Risk, values={"workspace_id": workspace_id, "category": "market",
                                                                "title": f"shared {i}"}).id for i in range(3)],
        }
    engine.dispose()  # no connection crosses the process boundary

    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
        results = pool.starmap(run_worker, [(w, db_url, workspace_id, project_id, shared, OPS)
                                            for w in range(PROCESSES)])
    elapsed = time.perf_counter() - started
    counts = sum((Counter(r["counts"]) for r in results), Counter())
    print(f"\nconcurrency on {db_url.split(':')[0]}: {PROCESSES} processes × {OPS} writes in {elapsed:.1f} s; "
          f"{dict(sorted(counts.items()))}")

    assert counts["storage_error"] == 0, counts  # no "database is locked" reaches a user
    assert counts["gave_up"] == 0, counts

    models = {"task": Task, "risk": Risk}
    with factory() as s:
        # No lost update: every append a worker was told succeeded is in its row, exactly once.
        for table, ids in shared.items():
            for row_id in ids:
                stored = getattr(s.get(models[table], row_id), APPEND_FIELD[models[table]])
                confirmed = sorted(t for r in results for (tb, rid, t) in r["appended"] if (tb, rid) == (table, row_id))
                assert sorted(filter(None, stored.split(";"))) == confirmed
        # Complete history: one change-log row per confirmed write, attributed to its worker.
        logged = Counter()
        for table, action, n in s.execute(
            select(ChangeLog.table_name, ChangeLog.action, func.count()).where(ChangeLog.actor.like("w%"))
            .group_by(ChangeLog.table_name, ChangeLog.action)
        ):
            logged[f"{action}_{table}"] = n
    expected = {k: v for k, v in counts.items() if k.split("_", 1)[0] in {"create", "update", "delete"}}
    assert dict(logged) == expected
