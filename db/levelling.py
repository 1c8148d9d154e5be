"""Apply a levelling preview: write the suggested task dates in the caller's transaction, or nothing.

The preview (:func:`db.views_resources.levelling_preview`) records the version of every task it moves. If
any of them changed since — someone edited the task, or the plan was levelled in another tab — the apply is
refused with :class:`~db.validation.StaleEditError` and the caller's transaction writes nothing, because a
levelling computed from old dates could undo someone's work.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from db import repo
from db.models import Task
from db.validation import FieldError, ValidationError


def apply_levelling(*, session: Session, workspace_id: int, new_dates: dict[int, tuple[date, date]],
                    versions: dict[int, int]) -> int:
    """Move each task in ``new_dates`` (task id → (start, end)) through :func:`db.repo.update`.

    ``versions``: task id → the version the preview saw. Returns the number of tasks moved. Raises
    StaleEditError (a task changed since the preview), ValidationError (a task of another workspace, or
    no version recorded) or NotFoundError (a task deleted since); the caller's transaction then rolls back.
    """
    errors = [FieldError("task", "version", "no version recorded by the preview; compute it again", task_id)
              for task_id in new_dates if task_id not in versions]
    if errors:
        raise ValidationError(errors)
    moved = 0
    for task_id in sorted(new_dates):
        start, end = new_dates[task_id]
        task = repo.get(session=session, model=Task, row_id=task_id)
        if task.workspace_id != workspace_id:
            raise ValidationError([FieldError("task", "id", f"task {task_id} is in another workspace")])
        repo.update(session=session, model=Task, row_id=task_id, values={"start_date": start, "end_date": end},
                    expected_version=versions[task_id])
        moved += 1
    return moved
