"""One of the processes of the concurrency test: a user doing a stream of mixed writes.

Kept in its own module so ``multiprocessing`` (spawn) can import it in a fresh interpreter.
"""

from __future__ import annotations

import random
from collections import Counter

import db.history  # noqa: F401 - registers the change-history listener
from db import repo
from db.engine import make_engine, make_session_factory
from db.models import ComputeResource, Risk, Task
from db.transaction import StorageError, transaction
from db.validation import StaleEditError

# Shared rows are appended to by read-modify-write with the version read: the test then checks
# that every append a worker was told succeeded is in the row (no lost update).
APPEND_FIELD = {Task: "notes", Risk: "mitigation"}


def _append(factory, model, row_id: int, token: str, counts: Counter, retries: int = 50) -> bool:
    for _attempt in range(retries):
        with factory() as s:
            row = repo.get(session=s, model=model, row_id=row_id)
            version, current = row.version, getattr(row, APPEND_FIELD[model])
        try:
            with transaction(factory, actor=token.split(":")[0]) as s:
                repo.update(session=s, model=model, row_id=row_id, expected_version=version,
                            values={APPEND_FIELD[model]: current + token + ";"})
            counts[f"update_{model.__tablename__}"] += 1
            return True
        except StaleEditError:
            counts["stale_refused"] += 1  # someone else won the race: reload and try again
    counts["gave_up"] += 1
    return False


def run_worker(worker: int, url: str, workspace_id: int, project_id: int, shared: dict, ops: int) -> dict:
    """Do ``ops`` random writes; return counters and the appends that were confirmed."""
    factory = make_session_factory(make_engine(url))
    rng = random.Random(worker)
    counts: Counter = Counter()
    appended: list[tuple[str, int, str]] = []
    own_tasks: list[int] = []
    own_gpus: list[int] = []
    for i in range(ops):
        token = f"w{worker}:{i}"
        op = rng.choice(["create_task", "append_task", "delete_task", "create_risk", "append_risk",
                         "create_gpu", "update_gpu"])
        try:
            if op == "create_task":
                with transaction(factory, actor=f"w{worker}") as s:
                    own_tasks.append(repo.create(session=s, model=Task, values={
                        "project_id": project_id, "name": token, "likely_days": rng.randint(1, 20)}).id)
                counts["create_task"] += 1
            elif op == "delete_task" and own_tasks:
                with transaction(factory, actor=f"w{worker}") as s:
                    repo.soft_delete(session=s, model=Task, row_id=own_tasks.pop())
                counts["delete_task"] += 1
            elif op == "create_risk":
                with transaction(factory, actor=f"w{worker}") as s:
                    repo.create(session=s, model=Risk, values={"workspace_id": workspace_id, "category": "technical",
                                                               "title": token, "probability_pct": rng.randint(1, 99)})
                counts["create_risk"] += 1
            elif op == "create_gpu" or (op == "update_gpu" and not own_gpus):
                with transaction(factory, actor=f"w{worker}") as s:
                    own_gpus.append(repo.create(session=s, model=ComputeResource, values={
                        "workspace_id": workspace_id, "name": token, "gpu_type": "H100 SXM", "count": 8}).id)
                counts["create_compute_resource"] += 1
            elif op == "update_gpu":
                with transaction(factory, actor=f"w{worker}") as s:
                    gpu = repo.get(session=s, model=ComputeResource, row_id=rng.choice(own_gpus))
                    # Always a real change: an update that changes nothing leaves no history.
                    repo.update(session=s, model=ComputeResource, row_id=gpu.id, values={"count": gpu.count % 64 + 1})
                counts["update_compute_resource"] += 1
            else:
                model = Task if op in ("append_task", "delete_task") else Risk
                row_id = rng.choice(shared[model.__tablename__])
                if _append(factory, model, row_id, token, counts):
                    appended.append((model.__tablename__, row_id, token))
        except StorageError as exc:
            counts["storage_error"] += 1
            counts[f"storage_error: {exc}"] += 1
    return {"counts": dict(counts), "appended": appended}
