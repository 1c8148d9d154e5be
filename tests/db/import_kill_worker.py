"""The process the kill test shoots: imports a large CSV in one transaction, saying how far it got.

``python tests/db/import_kill_worker.py URL WORKSPACE_ID FILE`` prints ``flush N`` after every
100th flush (each task, link or history batch is one) and ``committed`` once the import is in.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import event
from sqlalchemy.orm import Session

import db.history  # noqa: F401 - registers the change-history listener
from db.engine import make_engine, make_session_factory
from db.io import tabular
from db.transaction import transaction


def main(url: str, workspace_id: int, file: str) -> None:
    flushes = 0

    @event.listens_for(Session, "after_flush")
    def _progress(_session, _ctx) -> None:
        nonlocal flushes
        flushes += 1
        if flushes % 100 == 0:
            print(f"flush {flushes}", flush=True)

    factory = make_session_factory(make_engine(url))
    with transaction(factory, actor="import") as session:
        result = tabular.import_file(session=session, workspace_id=workspace_id, data=Path(file).read_bytes(),
                                     fmt="csv", sheet="tasks")
    print(f"committed {result.counts['tasks']} tasks", flush=True)
    time.sleep(60)  # wait to be killed after the commit, too


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
