"""Repositories: small functions over a caller-owned session, keyword arguments only.

The caller owns the transaction (``with transaction(factory, actor=…) as session:``). Every function
validates before it adds or changes anything, so a refused call leaves the session clean and
the database unchanged once the caller's transaction ends.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session

from db.dependency_rules import check_new_link, check_written_link, dead_endpoint, deleted_twin
from db.models import (
    TRACKED_MODELS,
    Allocation,
    ChangeLog,
    Milestone,
    Project,
    Risk,
    RiskTaskLink,
    Task,
    TaskDependency,
    Tracked,
    Workspace,
    utcnow,
)
from db.validation import FieldError, StaleEditError, ValidationError, check_references, clean_values

T = TypeVar("T", bound=Tracked)

# Tables whose workspace is the parent row's (field naming the parent, parent model), so a
# caller can never file a task under a project of another workspace.
_INHERITS_WORKSPACE: dict[type[Tracked], tuple[str, type[Tracked]]] = {
    Milestone: ("project_id", Project),
    Task: ("project_id", Project),
    TaskDependency: ("predecessor_id", Task),
    Allocation: ("task_id", Task),
    RiskTaskLink: ("risk_id", Risk),
}


class NotFoundError(LookupError):
    """The row does not exist (or is deleted, where live rows were asked for)."""


def get(*, session: Session, model: type[T], row_id: int, include_deleted: bool = False) -> T:
    """The row ``row_id`` of ``model``; raises :class:`NotFoundError` naming table and id."""
    obj = session.get(model, row_id)
    if obj is None or (obj.deleted_at is not None and not include_deleted):
        raise NotFoundError(f"{model.__label__} {row_id} does not exist")
    return obj


def list_rows(
    *, session: Session, model: type[T], workspace_id: int, include_deleted: bool = False, **filters: Any
) -> list[T]:
    """Rows of ``model`` in a workspace, oldest first, optionally filtered by column equality."""
    stmt = select(model).where(model.workspace_id == workspace_id)  # type: ignore[attr-defined]
    if not include_deleted:
        stmt = stmt.where(model.deleted_at.is_(None))
    for field, value in filters.items():
        stmt = stmt.where(getattr(model, field) == value)
    return list(session.scalars(stmt.order_by(model.id)))


def _workspace_for_create(session: Session, model: type[Tracked], values: dict[str, Any], row: int | None) -> int:
    if model in _INHERITS_WORKSPACE:
        field, parent = _INHERITS_WORKSPACE[model]
        parent_id = values.get(field)
        if parent_id is None:
            raise ValidationError([FieldError(model.__label__, field, "is required", row)])
        check_references(session, model, {field: parent_id}, workspace_id=None, row=row)
        return session.get(parent, parent_id).workspace_id  # type: ignore[union-attr]
    workspace_id = values.get("workspace_id")
    if workspace_id is None:
        raise ValidationError([FieldError(model.__label__, "workspace_id", "is required", row)])
    return workspace_id


def _check_task_links(session: Session, task_values: dict[str, Any], task_id: int | None, row: int | None) -> None:
    """A task's milestone and parent must be in its own project; a task cannot contain itself."""
    project_id = task_values.get("project_id")
    errors: list[FieldError] = []
    milestone_id = task_values.get("milestone_id")
    if milestone_id is not None:
        milestone = session.get(Milestone, milestone_id)
        if milestone is not None and milestone.project_id != project_id:
            errors.append(FieldError("task", "milestone_id", f"milestone {milestone_id} is in another project", row))
    parent_id = task_values.get("parent_id")
    seen: set[int] = set()
    while parent_id is not None and not errors:
        if parent_id == task_id or parent_id in seen:
            errors.append(FieldError("task", "parent_id", "would make the task its own ancestor", row))
            break
        seen.add(parent_id)
        parent = session.get(Task, parent_id)
        if parent is None:
            break
        if parent.project_id != project_id:
            errors.append(FieldError("task", "parent_id", f"task {parent_id} is in another project", row))
        parent_id = parent.parent_id
    if errors:
        raise ValidationError(errors)


def _check_risk_response(values: dict[str, Any], existing: Any, row: int | None) -> None:
    """A threat's response must be a threat response, an opportunity's an opportunity response."""
    # Imported here: db.risks builds on this module, so a top-level import would be circular.
    from db.risks import check_response_pairing

    check_response_pairing(values, existing=existing, row=row)


def create(*, session: Session, model: type[T], values: dict[str, Any], row: int | None = None) -> T:
    """Validate ``values`` and add a new ``model`` row; returns it flushed (with an id)."""
    values = dict(values)
    if model is not Workspace:
        workspace_id = _workspace_for_create(session, model, values, row)
        if model in _INHERITS_WORKSPACE:
            values.pop("workspace_id", None)
        cleaned = clean_values(model, {**values, "workspace_id": workspace_id}, row=row)
        check_references(session, model, cleaned, workspace_id=workspace_id, row=row)
    else:
        cleaned = clean_values(model, values, row=row)
        _check_unique_workspace_name(session, cleaned.get("name"), None)
    if model is Task:
        _check_task_links(session, cleaned, None, row)
    if model is Risk:
        _check_risk_response(cleaned, None, row)
    if model is TaskDependency:
        twin = check_new_link(session, cleaned, row)
        if twin is not None:  # the pair is unique in the table: re-adding a deleted link brings it back
            for field, value in cleaned.items():
                setattr(twin, field, value)
            twin.deleted_at = None
            session.flush()
            return twin  # type: ignore[return-value]
    obj = model(**cleaned)
    session.add(obj)
    session.flush()
    return obj


def update(
    *,
    session: Session,
    model: type[T],
    row_id: int,
    values: dict[str, Any],
    expected_version: int | None = None,
    row: int | None = None,
) -> T:
    """Change some fields of a live row. ``expected_version`` refuses a stale edit."""
    obj = get(session=session, model=model, row_id=row_id)
    if expected_version is not None and obj.version != expected_version:
        raise StaleEditError(
            f"{model.__label__} {row_id} was changed by someone else since you loaded it "
            f"(now version {obj.version}, yours {expected_version}); reload and edit again"
        )
    if "workspace_id" in values and values["workspace_id"] != getattr(obj, "workspace_id", None):
        raise ValidationError([FieldError(model.__label__, "workspace_id", "cannot be changed", row)])
    if "project_id" in values and model is not Project and values["project_id"] != getattr(obj, "project_id", None):
        message = "cannot be changed; delete the row and create it in the other project"
        raise ValidationError([FieldError(model.__label__, "project_id", message, row)])
    cleaned = clean_values(model, values, existing=obj, row=row)
    workspace_id = obj.id if model is Workspace else getattr(obj, "workspace_id", None)
    check_references(session, model, cleaned, workspace_id=workspace_id, row=row)
    if model is Workspace and "name" in cleaned:
        _check_unique_workspace_name(session, cleaned["name"], obj.id)
    if model is Task:
        merged = {"project_id": obj.project_id, "milestone_id": obj.milestone_id, "parent_id": obj.parent_id}
        merged.update({k: v for k, v in cleaned.items() if k in merged})
        _check_task_links(session, merged, obj.id, row)
    if model is Risk:
        _check_risk_response(cleaned, obj, row)
    relinked = model is TaskDependency and any(
        field in cleaned and cleaned[field] != getattr(obj, field) for field in ("predecessor_id", "successor_id"))
    if not relinked:
        for field, value in cleaned.items():
            setattr(obj, field, value)
        session.flush()
        return obj
    pair = cleaned.get("predecessor_id", obj.predecessor_id), cleaned.get("successor_id", obj.successor_id)  # type: ignore[attr-defined]
    live_twin = select(TaskDependency.id).where(TaskDependency.predecessor_id == pair[0],
                                                TaskDependency.successor_id == pair[1], TaskDependency.id != row_id)
    if session.scalar(live_twin.where(TaskDependency.deleted_at.is_(None)).limit(1)) is not None:
        message = f"task {pair[1]} already depends on task {pair[0]}"
        raise ValidationError([FieldError("dependency", "successor_id", message, row)])
    if deleted_twin(session, *pair) is not None:
        message = f"a deleted link from task {pair[0]} to task {pair[1]} exists; restore it instead"
        raise ValidationError([FieldError("dependency", "successor_id", message, row)])
    # A link moved to other tasks: check it like a new link, inside a savepoint so a refusal leaves
    # the row as it was (the old link must not count as a path while the new one is checked).
    with session.begin_nested() as savepoint:
        for field, value in cleaned.items():
            setattr(obj, field, value)
        session.flush()
        try:
            check_written_link(session, obj, row)  # type: ignore[arg-type]
        except ValidationError:
            savepoint.rollback()
            raise
    return obj


def _children(session: Session, obj: Tracked) -> list[Tracked]:
    """Rows that go (and come back) with ``obj``: a project's milestones and tasks, a task's links."""
    if isinstance(obj, Project):
        rows: list[Tracked] = list(session.scalars(select(Milestone).where(Milestone.project_id == obj.id)))
        tasks = list(session.scalars(select(Task).where(Task.project_id == obj.id)))
        for task in tasks:
            rows.extend(_children(session, task))
        return rows + tasks
    if isinstance(obj, Task):
        links: list[Tracked] = list(
            session.scalars(
                select(TaskDependency).where(
                    (TaskDependency.predecessor_id == obj.id) | (TaskDependency.successor_id == obj.id)
                )
            )
        )
        links.extend(session.scalars(select(Allocation).where(Allocation.task_id == obj.id)))
        links.extend(session.scalars(select(RiskTaskLink).where(RiskTaskLink.task_id == obj.id)))
        return links
    if isinstance(obj, Risk):
        return list(session.scalars(select(RiskTaskLink).where(RiskTaskLink.risk_id == obj.id)))
    return []


def soft_delete(
    *, session: Session, model: type[T], row_id: int, expected_version: int | None = None
) -> list[Tracked]:
    """Mark a row and its dependants deleted at one instant; returns every row it hid."""
    obj = get(session=session, model=model, row_id=row_id)
    if expected_version is not None and obj.version != expected_version:
        raise StaleEditError(f"{model.__label__} {row_id} was changed by someone else; reload and try again")
    stamp = utcnow()
    hidden: list[Tracked] = [obj]
    obj.deleted_at = stamp
    for child in _children(session, obj):
        if child.deleted_at is None:
            child.deleted_at = stamp
            hidden.append(child)
    session.flush()
    return hidden


def restore(*, session: Session, model: type[T], row_id: int) -> list[Tracked]:
    """Undo a soft delete: the row and the dependants deleted with it come back."""
    obj = get(session=session, model=model, row_id=row_id, include_deleted=True)
    if obj.deleted_at is None:
        return []
    stamp = obj.deleted_at
    _check_unique_live(session, obj)
    # In a savepoint: rows restored together are checked together, and a refusal restores none.
    with session.begin_nested() as savepoint:
        restored: list[Tracked] = [obj]
        obj.deleted_at = None
        for child in _children(session, obj):
            if child.deleted_at == stamp:
                child.deleted_at = None
                restored.append(child)
        # A link whose other task is still deleted stays in the restore list until that task is back.
        for link in [r for r in restored if isinstance(r, TaskDependency) and r is not obj]:
            if dead_endpoint(session, link) is not None:
                link.deleted_at = stamp
                restored.remove(link)
        session.flush()
        try:
            for row in restored:
                if isinstance(row, TaskDependency):
                    check_written_link(session, row, None)
        except ValidationError:
            savepoint.rollback()
            raise
    return restored


def _check_unique_live(session: Session, obj: Tracked) -> None:
    """Refuse to bring back a row whose unique fields a live row has taken since it was deleted."""
    model = type(obj)
    for fields in model.__unique_live__:
        stmt = select(model.id).where(model.deleted_at.is_(None), model.id != obj.id)
        for field in fields:
            stmt = stmt.where(getattr(model, field) == getattr(obj, field))
        if session.scalar(stmt.limit(1)) is not None:
            shown = fields[-1]
            message = f"{getattr(obj, shown)!r} is now used by another {model.__label__}; rename that one first"
            raise ValidationError([FieldError(model.__label__, shown, message)])


def _deleted_keys(workspace_id: int, table_name: str | None) -> Any:
    """(table_name, row_id, deleted_at) of every soft-deleted row of a workspace, as one SQL subquery."""
    models = [m for m in TRACKED_MODELS if m is not Workspace and table_name in (None, m.__tablename__)]
    if not models:
        raise ValueError(f"{table_name!r} is not a table whose rows can be deleted")
    parts = [select(literal(m.__tablename__).label("table_name"), m.id.label("row_id"),
                    m.deleted_at.label("deleted_at"))
             .where(m.workspace_id == workspace_id, m.deleted_at.is_not(None))  # type: ignore[attr-defined]
             for m in models]
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()


def deleted_rows(
    *, session: Session, workspace_id: int, limit: int = 50, offset: int = 0, table_name: str | None = None
) -> list[Tracked]:
    """One page of a workspace's soft-deleted rows, newest first, for the undo list.

    ``table_name`` keeps one table's rows. The database sorts and pages (``offset``, ``limit``) across
    every tracked table, so a long bin is never loaded whole; rows deleted at one instant (a project with
    its tasks) follow each other by table and id.
    """
    keys = _deleted_keys(workspace_id, table_name)
    page = session.execute(select(keys.c.table_name, keys.c.row_id)
                           .order_by(keys.c.deleted_at.desc(), keys.c.table_name, keys.c.row_id.desc())
                           .limit(limit).offset(offset)).all()
    wanted: dict[str, list[int]] = {}
    for table, row_id in page:
        wanted.setdefault(table, []).append(row_id)
    loaded: dict[tuple[str, int], Tracked] = {}
    for model in TRACKED_MODELS:
        if model.__tablename__ in wanted:
            for obj in session.scalars(select(model).where(model.id.in_(wanted[model.__tablename__]))):
                loaded[(model.__tablename__, obj.id)] = obj
    return [loaded[(table, row_id)] for table, row_id in page]


def deleted_counts(*, session: Session, workspace_id: int) -> dict[str, int]:
    """How many soft-deleted rows each table of a workspace holds (tables with none left out)."""
    keys = _deleted_keys(workspace_id, None)
    stmt = select(keys.c.table_name, func.count()).group_by(keys.c.table_name).order_by(keys.c.table_name)
    return {table: int(n) for table, n in session.execute(stmt)}


def history(
    *, session: Session, workspace_id: int, table_name: str | None = None, row_id: int | None = None, limit: int = 200
) -> list[ChangeLog]:
    """The change log of a workspace (or one row in it), newest first."""
    stmt = select(ChangeLog).where(ChangeLog.workspace_id == workspace_id)
    if table_name is not None:
        stmt = stmt.where(ChangeLog.table_name == table_name)
    if row_id is not None:
        stmt = stmt.where(ChangeLog.row_id == row_id)
    return list(session.scalars(stmt.order_by(ChangeLog.id.desc()).limit(limit)))


def _check_unique_workspace_name(session: Session, name: str | None, own_id: int | None) -> None:
    if name is None:
        return
    stmt = select(Workspace.id).where(Workspace.name == name, Workspace.deleted_at.is_(None))
    clash = session.scalars(stmt).first()
    if clash is not None and clash != own_id:
        raise ValidationError([FieldError("workspace", "name", f"{name!r} is already taken by another workspace")])


def create_workspace(*, session: Session, name: str, description: str = "", illustrative: bool = False) -> Workspace:
    """A new, empty workspace (a startup plan) with a unique name."""
    return create(
        session=session,
        model=Workspace,
        values={"name": name, "description": description, "illustrative": illustrative},
    )


def rename_workspace(*, session: Session, workspace_id: int, name: str) -> Workspace:
    """Give a workspace a new unique name."""
    return update(session=session, model=Workspace, row_id=workspace_id, values={"name": name})


def list_workspaces(*, session: Session) -> list[Workspace]:
    """Live workspaces in creation order."""
    stmt = select(Workspace).where(Workspace.deleted_at.is_(None)).order_by(Workspace.id)
    return list(session.scalars(stmt))
