"""Property: any form values are either stored whole or refused naming a field, and a refusal writes nothing."""

from __future__ import annotations

import math
import os
from collections import Counter
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db import repo
from db.models import Person, Project, Risk, Task
from db.validation import SYSTEM_FIELDS, ValidationError
from tests.helpers import table_counts

pytestmark = pytest.mark.db
# `make reliability` raises this to 1,000 cases per model and prints the counts.
EXAMPLES = int(os.environ.get("FOUNDERDECK_PROPERTY_EXAMPLES", "150"))

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


SCOPE_FIELDS = {"workspace_id", "project_id"}


def _valid(column) -> st.SearchStrategy:
    """Values a careful user would type for ``column``."""
    info, kind = column.info, column.type.python_type
    if column.foreign_keys:
        return st.none() if column.nullable else st.just(1)
    if "choices" in info:
        return st.sampled_from(info["choices"])
    if kind is bool:
        return st.booleans()
    if kind is int:
        return st.integers(info.get("min", -1000), info.get("max", 1000))
    if kind is float:
        return st.floats(info.get("min", -1e6), info.get("max", 1e6), allow_nan=False)
    if kind is date:
        return st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 1, 1))
    length = getattr(column.type, "length", None) or 80
    return st.text(min_size=1, max_size=length).filter(str.strip)


def _form(model) -> st.SearchStrategy:
    """A form: required fields usually present, every value usually sensible and sometimes anything."""
    columns = [c for c in model.__table__.columns if c.key not in SYSTEM_FIELDS | SCOPE_FIELDS]
    value = {c.key: st.one_of(_valid(c), _valid(c), _valid(c), ANY_VALUE) for c in columns}
    required = [c.key for c in columns if not c.nullable and c.default is None]
    optional = [c.key for c in columns if c.key not in required]
    return st.tuples(
        st.fixed_dictionaries({k: value[k] for k in required}),
        st.dictionaries(st.sampled_from(optional), st.none(), max_size=len(optional)).flatmap(
            lambda keys: st.fixed_dictionaries({k: value[k] for k in keys})),
        st.sets(st.sampled_from(required)) if required else st.just(set()),
    ).map(lambda parts: {k: v for k, v in {**parts[0], **parts[1]}.items() if k not in parts[2]})


def _property(factory, scope: dict, model, values: dict, tally: Counter) -> None:
    before = table_counts(factory)
    try:
        with factory.begin() as s:
            row_id = repo.create(session=s, model=model, values={**scope, **values}).id
    except ValidationError as exc:
        assert exc.errors and all(e.field for e in exc.errors)
        assert all(f"'{e.field}'" in str(exc) for e in exc.errors)
        assert table_counts(factory) == before
        tally["refused naming the field, database unchanged"] += 1
        return
    tally["stored whole"] += 1
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

    tally: Counter = Counter()

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(_form(model))
    def check(values):
        _property(factory, scope, model, values, tally)

    check()
    # Hypothesis replays and shrinks, so the tally can exceed EXAMPLES; it never crashes a case.
    print(f"\nform values ({model.__label__}): {sum(tally.values())} cases: {dict(tally)}; 0 crashed")
    assert sum(tally.values()) >= EXAMPLES
