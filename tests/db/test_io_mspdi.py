"""Microsoft Project XML: export → import gives the same tasks and links; bad files are refused by task ID."""

from __future__ import annotations

from datetime import date

import pytest

from db import repo
from db.demo import create_demo_workspace
from db.io import mspdi
from db.models import Project, Task, TaskDependency
from db.transaction import transaction
from db.validation import ValidationError
from tests.helpers import table_dump

pytestmark = pytest.mark.db


def _tasks(session, project_id: int) -> list[tuple]:
    """Every field of a project's tasks, links by name instead of id."""
    tasks = repo.list_rows(session=session, model=Task, workspace_id=repo.get(
        session=session, model=Project, row_id=project_id).workspace_id, project_id=project_id)
    names = {t.id: t.name for t in tasks}
    deps = [d for d in repo.list_rows(session=session, model=TaskDependency, workspace_id=tasks[0].workspace_id)
            if d.successor_id in names and d.predecessor_id in names]  # a one-project file holds only these
    return sorted(
        (t.name, t.kind, t.status, t.start_date, t.end_date, t.optimistic_days, t.likely_days, t.pessimistic_days,
         t.percent_done, t.notes, t.assignee_id, names.get(t.parent_id),
         sorted((names[d.predecessor_id], d.kind, d.lag_days) for d in deps if d.successor_id == t.id))
        for t in tasks)


def _import(factory, ws, data, project=None):
    with transaction(factory, actor="import") as s:
        return mspdi.import_mspdi(session=s, workspace_id=ws, data=data, project=project)


def test_export_then_import_gives_the_same_tasks_links_estimates_and_assignees(factory):
    with factory.begin() as s:
        ws = create_demo_workspace(session=s, today=date(2026, 11, 25), name="Demo").id
        project = repo.list_rows(session=s, model=Project, workspace_id=ws)[4]
        tasks = repo.list_rows(session=s, model=Task, workspace_id=ws, project_id=project.id)
        repo.update(session=s, model=Task, row_id=tasks[2].id, values={"parent_id": tasks[1].id, "status": "blocked",
                                                                       "notes": "Wait for <GPU> & data"})
        repo.create(session=s, model=TaskDependency, values={"predecessor_id": tasks[0].id,
                                                             "successor_id": tasks[3].id, "kind": "SS",
                                                             "lag_days": 2.5})
        repo.create(session=s, model=TaskDependency, values={"predecessor_id": tasks[1].id,
                                                             "successor_id": tasks[4].id, "kind": "FF",
                                                             "lag_days": -1})
    with factory() as s:
        data = mspdi.export_mspdi(session=s, project_id=project.id)
    assert b"<Duration>PT40H0M0S</Duration>" in data and b"<OutlineLevel>2</OutlineLevel>" in data
    result = _import(factory, ws, data, project="Copy of training")
    assert result.new_projects == 1 and result.dependencies >= 2
    with factory() as s:
        projects = repo.list_rows(session=s, model=Project, workspace_id=ws)
        copy = next(p for p in projects if p.name == "Copy of training")
        assert _tasks(s, copy.id) == _tasks(s, project.id)


FOREIGN = """<?xml version="1.0" encoding="UTF-8"?>
<Project><Title>From MS Project</Title><MinutesPerDay>480</MinutesPerDay><Tasks>
 <Task><UID>0</UID><ID>0</ID><Name>Project summary</Name><OutlineLevel>0</OutlineLevel></Task>
 <Task><UID>10</UID><ID>1</ID><Name>A</Name><Duration>PT16H0M0S</Duration><PercentComplete>100</PercentComplete>
  <Start>2027-01-04T08:00:00</Start><Finish>2027-01-05T17:00:00</Finish></Task>
 {tasks}
</Tasks></Project>"""
LINKED = "".join(
    f"<Task><UID>{uid}</UID><ID>{uid - 9}</ID><Name>{name}</Name><Duration>PT8H0M0S</Duration>"
    f"<PercentComplete>{pct}</PercentComplete><PredecessorLink><PredecessorUID>10</PredecessorUID><Type>{kind}</Type>"
    f"<LinkLag>{lag}</LinkLag><LagFormat>7</LagFormat></PredecessorLink></Task>"
    for uid, name, kind, lag, pct in ((11, "B", 0, 4800, 50), (12, "C", 1, 0, 0), (13, "D", 2, 2400, 0),
                                      (14, "E", 3, -4800, 0)))


def test_a_file_from_ms_project_maps_link_types_lag_durations_and_status(factory, workspace_id):
    result = _import(factory, workspace_id, FOREIGN.format(tasks=LINKED).encode())
    assert result.counts == {"tasks": 5} and result.dependencies == 4
    with factory() as s:
        tasks = {t.id: t for t in repo.list_rows(session=s, model=Task, workspace_id=workspace_id)}
        project = repo.list_rows(session=s, model=Project, workspace_id=workspace_id)[0]
        links = sorted((tasks[d.successor_id].name, d.kind, d.lag_days)
                       for d in repo.list_rows(session=s, model=TaskDependency, workspace_id=workspace_id))
    assert project.name == "From MS Project"
    assert links == [("B", "FF", 1.0), ("C", "FS", 0.0), ("D", "SF", 0.5), ("E", "SS", -1.0)]
    by_name = {t.name: t for t in tasks.values()}
    assert (by_name["A"].likely_days, by_name["A"].status, by_name["A"].start_date) == (2.0, "done", date(2027, 1, 4))
    assert (by_name["B"].status, by_name["C"].status) == ("in_progress", "todo")


@pytest.mark.parametrize(("days", "text"), [(5, "PT40H0M0S"), (0.75, "PT6H0M0S"), (0, "PT0H0M0S"),
                                             (1 / 3, "PT2H40M0S")])
def test_durations_are_iso_8601_work_time_of_8_hour_days(days, text):
    assert mspdi.format_duration(days) == text
    assert mspdi.parse_duration(text) == pytest.approx(days, abs=1e-6)


BAD = {
    "not XML": (b"<Project><Tasks><Task>", "not well-formed XML at line 1"),
    "entity bomb": (b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
                    b"<Project><Name>&b;</Name></Project>", "DTD or entities"),
    "not a project": (b"<html><body/></html>", "root element is <html>"),
    "bad duration": (FOREIGN.format(tasks="<Task><UID>11</UID><ID>2</ID><Name>B</Name><Duration>forty hours"
                                          "</Duration></Task>").encode(), "row 2: 'Duration' 'forty hours'"),
    "unknown predecessor": (FOREIGN.format(tasks="<Task><UID>11</UID><ID>2</ID><Name>B</Name><PredecessorLink>"
                                                 "<PredecessorUID>99</PredecessorUID><Type>1</Type></PredecessorLink>"
                                                 "</Task>").encode(),
                            "row 2: 'PredecessorLink' unknown predecessor 99"),
    "percent lag": (FOREIGN.format(tasks="<Task><UID>11</UID><ID>2</ID><Name>B</Name><PredecessorLink>"
                                         "<PredecessorUID>10</PredecessorUID><Type>1</Type><LinkLag>500</LinkLag>"
                                         "<LagFormat>19</LagFormat></PredecessorLink></Task>").encode(), "percent"),
    "link type 7": (FOREIGN.format(tasks="<Task><UID>11</UID><ID>2</ID><Name>B</Name><PredecessorLink>"
                                         "<PredecessorUID>10</PredecessorUID><Type>7</Type></PredecessorLink>"
                                         "</Task>").encode(), "Type other than 0-3"),
    "cycle": (FOREIGN.replace("<PercentComplete>100", "<PredecessorLink><PredecessorUID>11</PredecessorUID>"
                              "</PredecessorLink><PercentComplete>100").format(
        tasks="<Task><UID>11</UID><ID>2</ID><Name>B</Name><PredecessorLink><PredecessorUID>10</PredecessorUID>"
              "</PredecessorLink></Task>").encode(), "dependency cycle"),
    "unknown resource": (FOREIGN.format(tasks="").replace(
        "</Project>", "<Resources><Resource><UID>1</UID><Name>Zed</Name></Resource></Resources><Assignments>"
        "<Assignment><TaskUID>10</TaskUID><ResourceUID>1</ResourceUID></Assignment></Assignments></Project>")
        .encode(), "row 1: 'Assignment' no person is called 'Zed'"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_ms_project_file_is_refused_by_task_id_and_element_and_writes_nothing(factory, workspace_id, case):
    data, message = BAD[case]
    before = table_dump(factory)
    with pytest.raises(ValidationError) as refused:
        _import(factory, workspace_id, data)
    assert message in str(refused.value), str(refused.value)
    assert table_dump(factory) == before
