"""Rules a task dependency obeys whenever it is written: created, moved to other tasks or restored.

Two live tasks, one link per pair (the pair is unique in the table, deleted rows included, so a deleted
link is revived rather than duplicated), and no loop — named task by task when refused.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from db.models import Task, TaskDependency
from db.validation import FieldError, ValidationError


def _reach_statement() -> Select[tuple[int]]:
    live = TaskDependency.deleted_at.is_(None)
    reach = select(TaskDependency.successor_id.label("task_id")).where(
        TaskDependency.predecessor_id == bindparam("start"), live).cte("reach", recursive=True)
    reach = reach.union(
        select(TaskDependency.successor_id).join(reach, TaskDependency.predecessor_id == reach.c.task_id).where(live)
    )
    return select(reach.c.task_id).where(reach.c.task_id == bindparam("goal")).limit(1)


# Built once with bound parameters: every dependency write runs it, and building the recursive construct
# per call was about a third of a bulk import's time.
_REACH = _reach_statement()


def reaches(session: Session, start: int, goal: int) -> bool:
    """Whether live links lead from task ``start`` to task ``goal``.

    A recursive query walks only the part of the graph reachable from ``start``, so adding a link
    costs as much as the chain it extends, not the whole workspace's graph.
    """
    return session.scalar(_REACH, {"start": start, "goal": goal}) is not None


def check_new_link(session: Session, values: dict[str, Any], row: int | None) -> TaskDependency | None:
    """Refuse a self-link, a duplicate, a link across workspaces, or one that closes a cycle.

    Returns the soft-deleted link with this pair, if there is one, for the caller to revive: the pair is
    unique in the table, deleted rows included, so one query answers both "duplicate?" and "twin?" (an
    import writes thousands of links, and this was one of three queries per link).
    """
    pred, succ = values["predecessor_id"], values["successor_id"]
    if pred == succ:
        raise ValidationError([FieldError("dependency", "successor_id", "a task cannot depend on itself", row)])
    same_pair = session.scalars(select(TaskDependency).where(
        TaskDependency.predecessor_id == pred, TaskDependency.successor_id == succ)).first()
    if same_pair is not None and same_pair.deleted_at is None:
        message = f"task {succ} already depends on task {pred}"
        raise ValidationError([FieldError("dependency", "successor_id", message, row)])
    if reaches(session, succ, pred):
        raise_cycle(session, values["workspace_id"], pred, succ, row)
    return same_pair


def raise_cycle(session: Session, workspace_id: int, pred: int, succ: int, row: int | None) -> None:
    """Name the tasks on the loop that a link pred → succ closes (rare path: loads the workspace's links once)."""
    edges = session.execute(select(TaskDependency.predecessor_id, TaskDependency.successor_id).where(
        TaskDependency.workspace_id == workspace_id, TaskDependency.deleted_at.is_(None))).all()
    path = nx.shortest_path(nx.DiGraph([e for e in edges if tuple(e) != (pred, succ)]), succ, pred)
    names = {t.id: t.name for t in session.scalars(select(Task).where(Task.id.in_(path)))}
    loop = " → ".join(repr(names.get(i, str(i))) for i in [*path, succ])
    raise ValidationError([FieldError("dependency", "predecessor_id", f"would create a cycle: {loop}", row)])


def dead_endpoint(session: Session, link: TaskDependency) -> str | None:
    """The field of a link whose task is missing or deleted, else None."""
    ids = [link.predecessor_id, link.successor_id]
    live = set(session.scalars(select(Task.id).where(Task.id.in_(ids), Task.deleted_at.is_(None))))
    return next((f for f, i in zip(("predecessor_id", "successor_id"), ids, strict=True) if i not in live), None)


def deleted_twin(session: Session, pred: int, succ: int) -> TaskDependency | None:
    """The soft-deleted link with this pair, if any (the pair is unique in the table, deleted rows included)."""
    stmt = select(TaskDependency).where(TaskDependency.predecessor_id == pred, TaskDependency.successor_id == succ,
                                        TaskDependency.deleted_at.is_not(None))
    return session.scalars(stmt).first()


def check_written_link(session: Session, link: TaskDependency, row: int | None) -> None:
    """A link just written (moved or restored) must join two live tasks, once, without closing a loop."""
    dead = dead_endpoint(session, link)
    if dead is not None:
        message = f"refers to task {getattr(link, dead)}, which does not exist"
        raise ValidationError([FieldError("dependency", dead, message, row)])
    twins = select(TaskDependency.id).where(
        TaskDependency.predecessor_id == link.predecessor_id, TaskDependency.successor_id == link.successor_id,
        TaskDependency.deleted_at.is_(None), TaskDependency.id != link.id)
    if session.scalar(twins.limit(1)) is not None:
        message = f"task {link.successor_id} already depends on task {link.predecessor_id}"
        raise ValidationError([FieldError("dependency", "successor_id", message, row)])
    if reaches(session, link.successor_id, link.predecessor_id):
        raise_cycle(session, link.workspace_id, link.predecessor_id, link.successor_id, row)
