"""Microsoft Project XML (MSPDI) export and import of one project's tasks and dependencies.

Export writes what MS Project and ProjectLibre open: tasks in outline order (the parent chain
becomes OutlineLevel), Start/Finish, Duration as ISO-8601 work time (``PT40H0M0S`` = 5 days of
8 hours), the PERT optimistic/pessimistic estimates in Duration1/Duration3 (MS Project's own PERT
fields), the FounderDeck status in Text1, assignments, and predecessor links with their type
(0 FF, 1 FS, 2 SF, 3 SS) and lag in tenths of a minute. Import parses with defusedxml (no DTDs,
no entity expansion), turns the file into a tasks sheet and goes through the same checks and
repositories as a CSV, so problems are named by MS Project's task ID and element.
"""

from __future__ import annotations

import re
from typing import Any, BinaryIO
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from sqlalchemy import select
from sqlalchemy.orm import Session

from db import repo
from db.io.limits import read_limited, refuse
from db.io.loader import ImportPlan, RawSheet, plan_import
from db.io.writer import ImportResult, apply_plan
from db.models import Person, Project, Task, TaskDependency
from db.validation import FieldError

NS = "http://schemas.microsoft.com/project"
MINUTES_PER_DAY = 480  # MS Project's default working day: 8 hours
LINK_TYPES = {"FF": 0, "FS": 1, "SF": 2, "SS": 3}
LAG_DAYS_FORMAT = 7  # LagFormat 7 = "d" (working days)
_PERCENT_LAG_FORMATS = {19, 20, 51, 52}  # "%", "e%" (and their estimated variants): no day equivalent
# MS Project's PERT fields: Duration1 optimistic, Duration3 pessimistic; Text1 carries our status.
FIELD_OPTIMISTIC, FIELD_PESSIMISTIC, FIELD_STATUS = "188743783", "188743785", "188743731"
_DURATION = re.compile(r"^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
# Problems are named in MS Project's own terms: the task ID it shows, the element.
ELEMENT_OF = {"id": "UID", "name": "Name", "start_date": "Start", "end_date": "Finish", "likely_days": "Duration",
              "optimistic_days": "Duration1", "pessimistic_days": "Duration3", "percent_done": "PercentComplete",
              "status": "Text1", "notes": "Notes", "kind": "Milestone", "predecessors": "PredecessorLink",
              "parent": "OutlineLevel", "assignee": "Assignment", "project": "Name"}


def format_duration(days: float, minutes_per_day: int = MINUTES_PER_DAY) -> str:
    """Working days → ISO-8601 work time: 5 → ``PT40H0M0S``; 0.75 → ``PT6H0M0S``."""
    seconds = round(days * minutes_per_day * 60)
    return f"PT{seconds // 3600}H{seconds % 3600 // 60}M{seconds % 60}S"


def parse_duration(text: str, minutes_per_day: int = MINUTES_PER_DAY) -> float:
    """ISO-8601 work time → working days (a ``D`` part counts as one working day); ValueError if malformed."""
    match = _DURATION.match(text.strip())
    if not match or text.strip() in ("P", "PT"):
        raise ValueError(f"{text!r} is not an ISO-8601 duration like PT40H0M0S")
    d, h, m, s = (float(x or 0) for x in match.groups())
    return round(d + (h * 60 + m + s / 60) / minutes_per_day, 6)


def _outline_order(tasks: list[Task]) -> list[tuple[Task, int]]:
    """Tasks depth-first (children right after their parent), with their outline level from 1."""
    children: dict[int | None, list[Task]] = {}
    ids = {t.id for t in tasks}
    for task in tasks:
        children.setdefault(task.parent_id if task.parent_id in ids else None, []).append(task)
    out: list[tuple[Task, int]] = []
    stack = [(t, 1) for t in reversed(children.get(None, []))]
    while stack:
        task, level = stack.pop()
        out.append((task, level))
        stack.extend((c, level + 1) for c in reversed(children.get(task.id, [])))
    return out


def _add(parent: Element, tag: str, value: Any) -> None:
    if value is not None:
        SubElement(parent, tag).text = str(value)


def export_mspdi(*, session: Session, project_id: int) -> bytes:
    """One project's live tasks, links, PERT estimates and assignments as MSPDI XML (UTF-8)."""
    project = repo.get(session=session, model=Project, row_id=project_id)
    tasks = list(session.scalars(select(Task).where(Task.project_id == project_id, Task.deleted_at.is_(None))
                                 .order_by(Task.id)))
    ordered = _outline_order(tasks)
    uid = {task.id: n for n, (task, _level) in enumerate(ordered, start=1)}
    # Links from tasks of other projects cannot be expressed in a one-project file: left out.
    links = session.scalars(select(TaskDependency).where(TaskDependency.successor_id.in_(uid),
                                                         TaskDependency.predecessor_id.in_(uid),
                                                         TaskDependency.deleted_at.is_(None))
                            .order_by(TaskDependency.id)).all()
    root = Element("Project", xmlns=NS)
    _add(root, "Name", project.name)
    _add(root, "Title", project.name)
    _add(root, "MinutesPerDay", MINUTES_PER_DAY)
    definitions = SubElement(root, "ExtendedAttributes")
    for field_id, name, alias in ((FIELD_OPTIMISTIC, "Duration1", "Optimistic"),
                                  (FIELD_PESSIMISTIC, "Duration3", "Pessimistic"),
                                  (FIELD_STATUS, "Text1", "FounderDeck status")):
        definition = SubElement(definitions, "ExtendedAttribute")
        _add(definition, "FieldID", field_id)
        _add(definition, "FieldName", name)
        _add(definition, "Alias", alias)
    xml_tasks = SubElement(root, "Tasks")
    numbers: list[int] = []
    for task, level in ordered:
        numbers = [*numbers[: level - 1], (numbers[level - 1] + 1) if len(numbers) >= level else 1]
        element = SubElement(xml_tasks, "Task")
        for tag, value in (("UID", uid[task.id]), ("ID", uid[task.id]), ("Name", task.name),
                           ("OutlineNumber", ".".join(map(str, numbers))), ("OutlineLevel", level),
                           ("Milestone", int(task.kind == "milestone")), ("Summary", int(task.kind == "summary")),
                           ("Start", task.start_date and f"{task.start_date}T08:00:00"),
                           ("Finish", task.end_date and f"{task.end_date}T17:00:00"),
                           ("Duration", None if task.likely_days is None else format_duration(task.likely_days)),
                           ("DurationFormat", LAG_DAYS_FORMAT), ("PercentComplete", round(task.percent_done)),
                           ("Notes", task.notes or None)):
            _add(element, tag, value)
        for link in (link for link in links if link.successor_id == task.id):
            xml_link = SubElement(element, "PredecessorLink")
            _add(xml_link, "PredecessorUID", uid[link.predecessor_id])
            _add(xml_link, "Type", LINK_TYPES[link.kind])
            _add(xml_link, "LinkLag", round(link.lag_days * MINUTES_PER_DAY * 10))
            _add(xml_link, "LagFormat", LAG_DAYS_FORMAT)
        for field_id, value in ((FIELD_OPTIMISTIC, task.optimistic_days), (FIELD_PESSIMISTIC, task.pessimistic_days)):
            if value is not None:
                attribute = SubElement(element, "ExtendedAttribute")
                _add(attribute, "FieldID", field_id)
                _add(attribute, "Value", format_duration(value))
        attribute = SubElement(element, "ExtendedAttribute")
        _add(attribute, "FieldID", FIELD_STATUS)
        _add(attribute, "Value", task.status)
    _export_assignments(session, root, tasks, uid)
    declaration = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    return (declaration + tostring(root, encoding="unicode")).encode("utf-8")


def _export_assignments(session: Session, root: Element, tasks: list[Task], uid: dict[int, int]) -> None:
    people = {p.id: p for p in session.scalars(select(Person).where(
        Person.id.in_({t.assignee_id for t in tasks if t.assignee_id})))}
    resource_uid = {pid: n for n, pid in enumerate(sorted(people), start=1)}
    resources = SubElement(root, "Resources")
    for pid, n in resource_uid.items():
        resource = SubElement(resources, "Resource")
        _add(resource, "UID", n)
        _add(resource, "ID", n)
        _add(resource, "Name", people[pid].name)
    assignments = SubElement(root, "Assignments")
    for n, task in enumerate((t for t in tasks if t.assignee_id in resource_uid), start=1):
        assignment = SubElement(assignments, "Assignment")
        _add(assignment, "UID", n)
        _add(assignment, "TaskUID", uid[task.id])
        _add(assignment, "ResourceUID", resource_uid[task.assignee_id])


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, tag: str) -> list[Element]:
    return [c for c in element if _local(c.tag) == tag]


def _text(element: Element, tag: str) -> str | None:
    found = _children(element, tag)
    return found[0].text.strip() if found and found[0].text is not None else None


def _parse_root(raw: bytes) -> Element:
    try:
        root = fromstring(raw, forbid_dtd=True)
    except DefusedXmlException:
        raise refuse("MS Project file", "declares a DTD or entities; refused (they can expand without limit)") \
            from None
    except ParseError as exc:
        line, column = exc.position
        raise refuse("MS Project file", f"is not well-formed XML at line {line}, character {column + 1}",
                     row=line) from None
    if _local(root.tag) != "Project":
        raise refuse("MS Project file", f"is not Microsoft Project XML: the root element is <{_local(root.tag)}>, "
                                        "not <Project>")
    return root


def _links(task: Element, minutes_per_day: int, number: int, problems: list[FieldError]) -> str:
    kinds = {v: k for k, v in LINK_TYPES.items()}
    parts = []
    for link in _children(task, "PredecessorLink"):
        try:
            pred = int(_text(link, "PredecessorUID") or "")
            kind = kinds[int(_text(link, "Type") or "1")]
            lag_format = int(_text(link, "LagFormat") or LAG_DAYS_FORMAT)
            if lag_format in _PERCENT_LAG_FORMATS:
                raise ValueError("a lag in percent of the predecessor's duration has no FounderDeck equivalent; "
                                 "give it in days")
            lag = round(float(_text(link, "LinkLag") or 0) / (10 * minutes_per_day), 6)
        except KeyError:
            problems.append(FieldError("tasks", "PredecessorLink", "has a Type other than 0-3 (FF, FS, SF, SS)",
                                       number))
            continue
        except ValueError as exc:
            message = str(exc) if "percent" in str(exc) else "needs a whole-number PredecessorUID, Type and LinkLag"
            problems.append(FieldError("tasks", "PredecessorLink", message, number))
            continue
        parts.append(f"{pred}{kind}{lag:+}" if lag else f"{pred}{kind}")
    return ";".join(parts)


def read_mspdi(data: bytes | BinaryIO, *, project: str | None = None) -> tuple[RawSheet, list[FieldError]]:
    """The file's tasks as a tasks sheet for ``project`` (default: the file's project name), rows numbered by
    MS Project's task ID; plus problems only the XML can show (malformed durations or links)."""
    root = _parse_root(read_limited(data, source="MS Project file"))
    try:
        minutes_per_day = int(_text(root, "MinutesPerDay") or MINUTES_PER_DAY)
        if minutes_per_day <= 0:
            raise ValueError
    except ValueError:
        raise refuse("MS Project file", "has a MinutesPerDay that is not a positive whole number",
                     column="MinutesPerDay") from None
    project = project or _text(root, "Title") or _text(root, "Name") or "Imported from MS Project"
    resources = {_text(r, "UID"): _text(r, "Name") for c in _children(root, "Resources")
                 for r in _children(c, "Resource")}
    assigned: dict[str | None, list[str | None]] = {}
    for container in _children(root, "Assignments"):
        for a in _children(container, "Assignment"):
            if _text(a, "ResourceUID") in resources and resources[_text(a, "ResourceUID")]:
                assigned.setdefault(_text(a, "TaskUID"), []).append(resources[_text(a, "ResourceUID")])
    header = ["id", "project", "parent", "assignee", "predecessors", "name", "kind", "status", "start_date",
              "end_date", "optimistic_days", "likely_days", "pessimistic_days", "percent_done", "notes"]
    rows: list[tuple[int, list[Any]]] = []
    problems: list[FieldError] = []
    parents: list[str | None] = []
    tasks = [t for c in _children(root, "Tasks") for t in _children(c, "Task")]
    for position, task in enumerate(tasks, start=1):
        uid, level_text = _text(task, "UID"), _text(task, "OutlineLevel") or "1"
        if uid == "0" or level_text == "0" or _text(task, "IsNull") == "1":
            continue  # the project summary row, or a blank row
        number = int(_text(task, "ID")) if (_text(task, "ID") or "").isdigit() else position
        level = int(level_text) if level_text.isdigit() and int(level_text) > 0 else 1
        parents = [*parents[: level - 1], *[None] * max(0, level - 1 - len(parents))]
        parent = parents[level - 2] if level > 1 else None
        parents.append(uid)
        people = assigned.get(uid, [])
        if len(people) > 1:
            problems.append(FieldError("tasks", "Assignment", f"assigns {len(people)} resources "
                                       f"({', '.join(map(str, people))}); a FounderDeck task has one assignee", number))
        estimates = {a_id: _text(a, "Value") for a in _children(task, "ExtendedAttribute")
                     if (a_id := _text(a, "FieldID"))}
        durations = []
        for element, value in (("Duration1", estimates.get(FIELD_OPTIMISTIC)), ("Duration", _text(task, "Duration")),
                               ("Duration3", estimates.get(FIELD_PESSIMISTIC))):
            try:
                durations.append(None if value is None else parse_duration(value, minutes_per_day))
            except ValueError as exc:
                problems.append(FieldError("tasks", element, str(exc), number))
                durations.append(None)
        kind = "milestone" if _text(task, "Milestone") == "1" else "summary" if _text(task, "Summary") == "1" \
            else "task"
        percent = _text(task, "PercentComplete")
        rows.append((number, [uid, project, parent, people[0] if people else None,
                              _links(task, minutes_per_day, number, problems), _text(task, "Name"), kind,
                              estimates.get(FIELD_STATUS) or _status(percent), _text(task, "Start"),
                              _text(task, "Finish"), *durations, percent, _text(task, "Notes")]))
    return RawSheet(header, rows), problems


def _status(percent: str | None) -> str:
    """A status for a file that carries none (not written by FounderDeck): from % complete."""
    try:
        value = float(percent or 0)
    except ValueError:
        return "todo"
    return "done" if value >= 100 else "in_progress" if value > 0 else "todo"


def preview_mspdi(*, session: Session, workspace_id: int, data: bytes | BinaryIO,
                  project: str | None = None) -> ImportPlan:
    """What importing the file would write (into ``project``, by name: existing or new); writes nothing."""
    sheet, problems = read_mspdi(data, project=project)
    plan = plan_import(session=session, workspace_id=workspace_id, sheets={"tasks": sheet})
    plan.problems = [FieldError("MS Project task", ELEMENT_OF.get(p.field, p.field), p.message, p.row)
                     for p in [*problems, *plan.problems]]
    return plan


def import_mspdi(*, session: Session, workspace_id: int, data: bytes | BinaryIO,
                 project: str | None = None) -> ImportResult:
    """Import the file's tasks and links whole, or raise ValidationError naming each task ID and element."""
    plan = preview_mspdi(session=session, workspace_id=workspace_id, data=data, project=project)
    return apply_plan(session=session, workspace_id=workspace_id, plan=plan)
