"""Risk repositories: catalogue adds are idempotent, response/kind pairing is enforced, links follow their rows."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db import repo
from db.catalogues import risk_catalogue
from db.models import ChangeLog, Project, Risk, RiskTaskLink, Task
from db.risks import (
    add_from_catalogue,
    linked_task_ids,
    missing_from_catalogue,
    set_linked_tasks,
    unlink_task,
)
from db.validation import ValidationError
from tests.helpers import table_counts

pytestmark = pytest.mark.db


def _risks(factory, workspace_id):
    with factory() as s:
        return repo.list_rows(session=s, model=Risk, workspace_id=workspace_id)


def test_adding_the_whole_catalogue_twice_adds_it_once(factory, workspace_id):
    with factory.begin() as s:
        first = add_from_catalogue(session=s, workspace_id=workspace_id)
    with factory.begin() as s:
        second = add_from_catalogue(session=s, workspace_id=workspace_id)
    assert len(first) == len(risk_catalogue()) and second == []
    risks = _risks(factory, workspace_id)
    assert sorted(r.code for r in risks) == sorted(item["code"] for item in risk_catalogue())


def test_catalogue_risks_bring_their_statement_mitigations_and_sources(factory, workspace_id):
    item = next(i for i in risk_catalogue() if i["code"] == "compute-cost")
    with factory.begin() as s:
        add_from_catalogue(session=s, workspace_id=workspace_id, codes=["compute-cost"])
    (risk,) = _risks(factory, workspace_id)
    assert (risk.title, risk.cause, risk.event, risk.effect) == (item["title"], item["cause"], item["event"],
                                                                 item["effect"])
    assert risk.mitigation.splitlines() == [f"• {m}" for m in item["mitigations"]]
    assert risk.sources == ", ".join(item["sources"])


def test_chosen_codes_skip_those_present_and_the_rest_stay_on_offer(factory, workspace_id):
    with factory.begin() as s:
        add_from_catalogue(session=s, workspace_id=workspace_id, codes=["funding"])
    with factory.begin() as s:
        added = add_from_catalogue(session=s, workspace_id=workspace_id, codes=["funding", "regulation", "funding"])
    assert [r.code for r in added] == ["regulation"]
    with factory() as s:
        offered = [i["code"] for i in missing_from_catalogue(session=s, workspace_id=workspace_id)]
    assert "funding" not in offered and "regulation" not in offered
    assert len(offered) == len(risk_catalogue()) - 2


def test_a_deleted_catalogue_risk_can_be_added_again(factory, workspace_id):
    with factory.begin() as s:
        (risk,) = add_from_catalogue(session=s, workspace_id=workspace_id, codes=["funding"])
        repo.soft_delete(session=s, model=Risk, row_id=risk.id)
    with factory.begin() as s:
        assert [r.code for r in add_from_catalogue(session=s, workspace_id=workspace_id, codes=["funding"])] == [
            "funding"]


def test_an_unknown_catalogue_code_is_refused_by_name_and_nothing_is_added(factory, workspace_id):
    before = table_counts(factory)
    with pytest.raises(ValidationError, match="'no-such-risk' is not in the catalogue"), factory.begin() as s:
        add_from_catalogue(session=s, workspace_id=workspace_id, codes=["funding", "no-such-risk"])
    assert table_counts(factory) == before


@pytest.mark.parametrize(("kind", "response"), [("threat", "exploit"), ("threat", "enhance"),
                                                ("opportunity", "mitigate"), ("opportunity", "avoid")])
def test_a_response_that_does_not_fit_the_kind_is_refused_naming_the_field(factory, workspace_id, kind, response):
    before = table_counts(factory)
    with pytest.raises(ValidationError) as caught, factory.begin() as s:
        repo.create(session=s, model=Risk, values={"workspace_id": workspace_id, "category": "market",
                                                   "title": "X", "kind": kind, "response": response})
    assert [e.field for e in caught.value.errors] == ["response"]
    assert f"not a response to a {kind}" in str(caught.value)
    assert table_counts(factory) == before


def test_an_opportunity_with_an_opportunity_response_is_stored(factory, workspace_id):
    with factory.begin() as s:
        risk = repo.create(session=s, model=Risk, values={"workspace_id": workspace_id, "category": "market",
                                                          "title": "Grant", "kind": "opportunity",
                                                          "response": "exploit"})
    assert (risk.kind, risk.response) == ("opportunity", "exploit")


def test_changing_only_the_kind_is_checked_against_the_stored_response(factory, workspace_id):
    with factory.begin() as s:
        risk_id = repo.create(session=s, model=Risk, values={"workspace_id": workspace_id, "category": "market",
                                                             "title": "X"}).id  # threat, mitigate
    with pytest.raises(ValidationError, match="'response'"), factory.begin() as s:
        repo.update(session=s, model=Risk, row_id=risk_id, values={"kind": "opportunity"}, row=3)
    with factory.begin() as s:
        repo.update(session=s, model=Risk, row_id=risk_id, values={"kind": "opportunity", "response": "enhance"})
        assert repo.get(session=s, model=Risk, row_id=risk_id).kind == "opportunity"


@pytest.fixture
def plan(factory, workspace_id):
    """A risk and two tasks of the workspace."""
    with factory.begin() as s:
        project = repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": "P"}).id
        tasks = [repo.create(session=s, model=Task, values={"project_id": project, "name": n}).id
                 for n in ("Train", "Launch")]
        risk = repo.create(session=s, model=Risk, values={"workspace_id": workspace_id, "category": "technical",
                                                          "title": "GPU shortage", "schedule_impact_days": 10}).id
    return {"risk": risk, "tasks": tasks, "project": project}


def test_set_linked_tasks_adds_and_removes_links(factory, plan):
    train, launch = plan["tasks"]
    with factory.begin() as s:
        assert set_linked_tasks(session=s, risk_id=plan["risk"], task_ids=[train, launch]) == (2, 0)
    with factory.begin() as s:
        assert set_linked_tasks(session=s, risk_id=plan["risk"], task_ids=[launch]) == (0, 1)
    with factory() as s:
        assert linked_task_ids(session=s, risk_id=plan["risk"]) == [launch]


def test_unlinking_and_linking_again_brings_back_the_same_link_row(factory, plan):
    train = plan["tasks"][0]
    with factory.begin() as s:
        set_linked_tasks(session=s, risk_id=plan["risk"], task_ids=[train])
    with factory.begin() as s:
        assert unlink_task(session=s, risk_id=plan["risk"], task_id=train)
        assert not unlink_task(session=s, risk_id=plan["risk"], task_id=train)
    with factory.begin() as s:
        set_linked_tasks(session=s, risk_id=plan["risk"], task_ids=[train])
    with factory() as s:
        rows = s.scalars(select(RiskTaskLink)).all()
        actions = s.scalars(select(ChangeLog.action).where(ChangeLog.table_name == "risk_task")).all()
    assert len(rows) == 1 and rows[0].deleted_at is None
    assert actions == ["create", "delete", "restore"]


def test_deleting_a_risk_or_a_task_takes_its_links_and_restoring_brings_them_back(factory, plan):
    train, launch = plan["tasks"]
    with factory.begin() as s:
        set_linked_tasks(session=s, risk_id=plan["risk"], task_ids=[train, launch])
    with factory.begin() as s:
        repo.soft_delete(session=s, model=Risk, row_id=plan["risk"])
    with factory() as s:
        assert linked_task_ids(session=s, risk_id=plan["risk"]) == []
    with factory.begin() as s:
        repo.restore(session=s, model=Risk, row_id=plan["risk"])
        repo.soft_delete(session=s, model=Task, row_id=train)
    with factory() as s:
        assert linked_task_ids(session=s, risk_id=plan["risk"]) == [launch]


def test_a_link_to_a_task_of_another_workspace_is_refused(factory, plan):
    with factory.begin() as s:
        other = repo.create_workspace(session=s, name="Other Co").id
        project = repo.create(session=s, model=Project, values={"workspace_id": other, "name": "Q"}).id
        foreign = repo.create(session=s, model=Task, values={"project_id": project, "name": "Theirs"}).id
    before = table_counts(factory)
    with pytest.raises(ValidationError, match="another workspace"), factory.begin() as s:
        set_linked_tasks(session=s, risk_id=plan["risk"], task_ids=[foreign])
    assert table_counts(factory) == before


def test_the_demo_links_risks_to_the_tasks_they_would_delay(factory):
    from db.demo import create_demo_workspace
    from db.demo_risks import DEMO_RISK_LINKS

    with factory.begin() as s:
        demo = create_demo_workspace(session=s).id
    with factory() as s:
        risks = {r.code: r for r in repo.list_rows(session=s, model=Risk, workspace_id=demo)}
        names = {t.id: t.name for t in repo.list_rows(session=s, model=Task, workspace_id=demo)}
        for code, (days, tasks) in DEMO_RISK_LINKS.items():
            assert risks[code].schedule_impact_days == days
            assert [names[t] for t in linked_task_ids(session=s, risk_id=risks[code].id)] == list(tasks)
