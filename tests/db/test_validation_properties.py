"""Property: any form values are either stored whole or refused naming a field, and a refusal writes nothing."""

from __future__ import annotations

import math
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db import repo
from db.models import Person, Project, Risk, Task
from db.validation import SYSTEM_FIELDS, ValidationError
from tests.helpers import table_counts

pytestmark = pytest.mark.db

ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-10**6, max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)),
    st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)).map(date.isoformat),
    st.sampled_from(["todo", "done", "task", "milestone", "technical", "market", "", "  ", "NaN", "1e3"]),
)


def _fields(model) -> list[str]:
    return [c.key for c in model.__table__.columns if c.key not in SYSTEM_FIELDS | {"workspace_id", "project_id"}]


def _property(factory, scope: dict, model, values: dict) -> None:
    before = table_counts(factory)
    try:
        with factory.begin() as s:
            row_id = repo.create(session=s, model=model, values={**scope, **values}).id
    except ValidationError as exc:
        assert exc.errors and all(e.field for e in exc.errors)
        assert all(f"'{e.field}'" in str(exc) for e in exc.errors)
        assert table_counts(factory) == before
        return
    with factory() as s:
        obj = repo.get(session=s, model=model, row_id=row_id)
        for column in model.__table__.columns:
            value = getattr(obj, column.key)
            if isinstance(value, float):
                assert math.isfinite(value)
            if "choices" in column.info and value is not None:
                assert value in column.info["choices"]
            if value is not None and "min" in column.info:
                assert value >= column.info["min"]


@pytest.mark.parametrize("model", [Task, Risk, Person, Project])
def test_random_values_are_stored_whole_or_refused_cleanly(factory, workspace_id, model):
    with factory.begin() as s:
        project_id = repo.create(session=s, model=Project, values={"workspace_id": workspace_id, "name": "P"}).id
    scope = {"project_id": project_id} if model is Task else {"workspace_id": workspace_id}

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.dictionaries(st.sampled_from(_fields(model)), ANY_VALUE, max_size=6))
    def check(values):
        _property(factory, scope, model, values)

    check()
