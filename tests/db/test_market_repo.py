"""Market document repository: save and load through the transaction and the repository (with the change history),
a stale version refused, a save that believes there is no document refused once one exists, a bad document
refused naming the field with nothing stored, a section saved alone, a damaged stored document read section by
section, and the demo's document stored in one workspace only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from analytics.market import parse_market
from db import repo
from db.demo_market import add_demo_market, demo_market
from db.market import load_market, save_market, save_market_section, save_market_sections
from db.models import ChangeLog, WorkspaceDocument
from db.transaction import transaction
from db.validation import StaleEditError, ValidationError
from tests.helpers import table_dump

pytestmark = pytest.mark.db


def _load(factory, workspace_id):
    with factory() as s:
        return load_market(session=s, workspace_id=workspace_id)


def test_a_saved_document_loads_back_and_each_save_is_in_the_history(factory, workspace_id):
    assert _load(factory, workspace_id).row_id is None
    with transaction(factory, actor="founder") as s:
        save_market(session=s, workspace_id=workspace_id, content=demo_market())
    first = _load(factory, workspace_id)
    assert first.version == 1 and first.problems == ()
    assert first.content["sizing"]["bottom_up"]["buyers"] == 180_000
    assert first.content["competitors"][0]["api_model"] == "gpt-4o"
    with transaction(factory, actor="founder") as s:
        save_market_section(session=s, workspace_id=workspace_id, section="notes", value="second",
                            expected_version=first.version)
    second = _load(factory, workspace_id)
    assert second.version == 2 and second.content == {**first.content, "notes": "second"}
    with factory() as s:
        actions = [c.action for c in s.scalars(select(ChangeLog).where(
            ChangeLog.table_name == "workspace_document", ChangeLog.workspace_id == workspace_id)
            .order_by(ChangeLog.id))]
    assert actions == ["create", "update"]


def test_a_stale_version_is_refused_and_the_document_is_unchanged(factory, workspace_id):
    with transaction(factory) as s:
        save_market(session=s, workspace_id=workspace_id, content=demo_market())
    with transaction(factory) as s:
        save_market_section(session=s, workspace_id=workspace_id, section="notes", value="theirs", expected_version=1)
    before = table_dump(factory)
    with pytest.raises(StaleEditError, match="changed by someone else"), transaction(factory) as s:
        save_market_section(session=s, workspace_id=workspace_id, section="notes", value="mine", expected_version=1)
    assert table_dump(factory) == before and _load(factory, workspace_id).content["notes"] == "theirs"


def test_a_save_without_a_version_does_not_overwrite_an_existing_document(factory, workspace_id):
    with transaction(factory) as s:
        save_market(session=s, workspace_id=workspace_id, content=demo_market())
    before = table_dump(factory)
    with pytest.raises(StaleEditError, match="already exists"), transaction(factory) as s:
        save_market(session=s, workspace_id=workspace_id, content={})
    assert table_dump(factory) == before


@pytest.mark.parametrize(("sections", "field"), [
    ({"sizing": {"bottom_up": {"filters": [{"name": "fit", "share": 1.5}]}}},
     "content.sizing.bottom_up.filters[0].share"),
    ({"sizing": {"top_down": {"total_market_usd": -1}}}, "content.sizing.top_down.total_market_usd"),
    ({"competitors": [{"name": "X", "pricing": "per_token", "api_model": "no-such-model"}]},
     "content.competitors[0].api_model"),
    ({"pillars": {"nope": {}}}, "content.pillars.nope"),
    ({"colour": "red"}, "content"),  # not a section: refused before the document is checked
])
def test_a_bad_document_is_refused_naming_the_field_and_nothing_is_stored(factory, workspace_id, sections, field):
    before = table_dump(factory)
    with pytest.raises(ValidationError) as err, transaction(factory) as s:
        save_market_sections(session=s, workspace_id=workspace_id, sections=sections)
    assert [e.field for e in err.value.errors] == [field]
    assert str(err.value).startswith(f"workspace document: '{field}'")
    assert table_dump(factory) == before


def test_a_damaged_stored_document_keeps_its_good_sections_and_names_the_bad(factory, workspace_id):
    good = demo_market()
    with transaction(factory) as s:  # written past the repository, as an older version or a hand edit might
        s.add(WorkspaceDocument(workspace_id=workspace_id, kind="market",
                                content={**good, "own": {"name": "Us", "quality": 250}, "legacy": 1}))
    stored = _load(factory, workspace_id)
    assert stored.content["competitors"] == parse_market(good)["competitors"]
    assert stored.content["own"]["quality"] is None
    assert any(p.startswith("own.quality: must be between 0 and 100") for p in stored.problems)
    assert any(p.startswith("legacy: unknown key") for p in stored.problems)
    with transaction(factory) as s:  # saving the good sections over it repairs it
        save_market_section(session=s, workspace_id=workspace_id, section="own", value={"name": "Us", "quality": 70},
                            expected_version=stored.version)
    assert _load(factory, workspace_id).problems == ()


def test_the_demo_document_is_stored_in_its_workspace_only(factory, workspace_id):
    with transaction(factory) as s:
        other = repo.create_workspace(session=s, name="Other Co").id
        add_demo_market(session=s, workspace_id=workspace_id)
    assert _load(factory, workspace_id).content["own"]["name"] == "Lexora AI"
    assert _load(factory, other).row_id is None
    with pytest.raises(StaleEditError), transaction(factory) as s:  # adding it twice does not overwrite
        add_demo_market(session=s, workspace_id=workspace_id)


def test_the_market_document_travels_in_a_workspace_backup(factory, workspace_id):
    from db.io.backup import restore_backup, write_backup

    with transaction(factory) as s:
        add_demo_market(session=s, workspace_id=workspace_id)
    with factory() as s:
        data = write_backup(session=s, workspace_id=workspace_id)
    with transaction(factory) as s:
        restored = restore_backup(session=s, data=data, name="Restored Co").id
    assert _load(factory, restored).content == _load(factory, workspace_id).content
