"""Checklist repository: ticks and notes persist per workspace with their history; an unknown checklist or item
is refused by name and nothing is written; a stale tick is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from analytics.library import load_library
from db import repo
from db.checklists import checklist_state, set_item, tick, untick
from db.models import ChangeLog
from db.transaction import transaction
from db.validation import StaleEditError, ValidationError
from db.views_library import library_view
from tests.helpers import table_counts

pytestmark = pytest.mark.db


def _history(factory, workspace_id):
    with factory() as s:
        stmt = select(ChangeLog).where(ChangeLog.table_name == "checklist_item",
                                       ChangeLog.workspace_id == workspace_id).order_by(ChangeLog.id)
        return [(c.action, c.actor, (c.before or {}).get("done"), (c.after or {}).get("done"),
                 (c.after or {}).get("note")) for c in s.scalars(stmt)]


def test_a_tick_persists_and_an_untick_is_recorded_in_the_history(factory, workspace_id):
    with transaction(factory, actor="founder") as s:
        tick(session=s, workspace_id=workspace_id, checklist="privacy", item="encrypt")
    with factory() as s:
        state = checklist_state(session=s, workspace_id=workspace_id)
    assert state[("privacy", "encrypt")].done is True and list(state) == [("privacy", "encrypt")]
    with transaction(factory, actor="founder") as s:
        untick(session=s, workspace_id=workspace_id, checklist="privacy", item="encrypt")
    with factory() as s:
        assert checklist_state(session=s, workspace_id=workspace_id)[("privacy", "encrypt")].done is False
    assert _history(factory, workspace_id) == [("create", "founder", None, True, ""),
                                               ("update", "founder", True, False, "")]


def test_a_note_is_kept_without_changing_the_tick(factory, workspace_id):
    with factory.begin() as s:
        tick(session=s, workspace_id=workspace_id, checklist="ip", item="patent_search")
    with factory.begin() as s:
        set_item(session=s, workspace_id=workspace_id, checklist="ip", item="patent_search",
                 note="Searched CNIPA and USPTO, 2026-11")
    with factory() as s:
        state = checklist_state(session=s, workspace_id=workspace_id)[("ip", "patent_search")]
    assert (state.done, state.note, state.version) == (True, "Searched CNIPA and USPTO, 2026-11", 2)


@pytest.mark.parametrize(("checklist", "item", "field", "named"), [
    ("privacy-ish", "encrypt", "checklist", "'privacy-ish' is not a Library checklist"),
    ("privacy", "shred", "item", "'shred' is not an item of checklist 'privacy'"),
    ("ip", "encrypt", "item", "'encrypt' is not an item of checklist 'ip'"),  # an item of another checklist
])
def test_an_unknown_checklist_or_item_is_refused_by_name_and_nothing_is_written(
        factory, workspace_id, checklist, item, field, named):
    before = table_counts(factory)
    with pytest.raises(ValidationError, match=named) as refused, factory.begin() as s:
        tick(session=s, workspace_id=workspace_id, checklist=checklist, item=item)
    assert refused.value.errors[0].field == field
    assert table_counts(factory) == before


def test_ticks_belong_to_their_workspace(factory, workspace_id):
    with factory.begin() as s:
        other = repo.create_workspace(session=s, name="Other Co").id
        tick(session=s, workspace_id=workspace_id, checklist="team", item="equity")
    with factory() as s:
        assert checklist_state(session=s, workspace_id=other) == {}
        view = library_view(session=s, workspace_id=workspace_id)
        other_view = library_view(session=s, workspace_id=other)
    team = next(p for p in view.checklists if p.checklist.id == "team")
    assert team.done == 1 and team.total == len(load_library().checklist("team").items)
    assert team.state["equity"].done and not team.state["pay"].done
    assert next(p for p in other_view.checklists if p.checklist.id == "team").done == 0


def test_a_tick_from_a_stale_page_is_refused(factory, workspace_id):
    with factory.begin() as s:
        first = tick(session=s, workspace_id=workspace_id, checklist="legal", item="bias")
        seen = first.version
    with factory.begin() as s:  # someone else unticks it meanwhile
        untick(session=s, workspace_id=workspace_id, checklist="legal", item="bias")
    with pytest.raises(StaleEditError), factory.begin() as s:
        set_item(session=s, workspace_id=workspace_id, checklist="legal", item="bias", note="checked",
                 expected_version=seen)
    with factory() as s:
        assert checklist_state(session=s, workspace_id=workspace_id)[("legal", "bias")].note == ""


def test_the_view_counts_progress_over_the_whole_checklist_while_searching(factory, workspace_id):
    with factory.begin() as s:
        for item in ("encrypt", "audit"):
            tick(session=s, workspace_id=workspace_id, checklist="privacy", item=item)
    with factory() as s:
        view = library_view(session=s, workspace_id=workspace_id, query="审计")
    (privacy,) = view.checklists
    assert [i.id for i in privacy.checklist.items] == ["audit"] and privacy.done == 2
