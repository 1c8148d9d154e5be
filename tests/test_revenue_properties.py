"""Properties of the revenue engine, and of scenario files under hostile edits.

- More churn never raises LTV; a higher serving cost never raises gross margin; more customers never lower revenue.
- Any scenario file that is the demo's with one hostile change is either accepted whole (and runs, with finite
  cash) or refused with a ``SpecError`` naming a field path that the change touched; never another exception.
FOUNDERDECK_PROPERTY_EXAMPLES sets the count of generated scenario files (150 here, 1,000 under `make reliability`).
"""

from __future__ import annotations

import copy
import json
import math
import os
from collections import Counter

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from analytics.revenue.metrics import metrics_at
from analytics.revenue.model import deterministic
from analytics.revenue.spec import SpecError, parse
from tests.conftest import ROOT

EXAMPLES = int(os.environ.get("FOUNDERDECK_PROPERTY_EXAMPLES", "150"))
DEMO = json.loads((ROOT / "examples" / "demo-scenario.json").read_text(encoding="utf-8"))


def _ltv(churn: float, price: float) -> float:
    doc = {"start_month": "2027-01", "months": 36, "streams": [{
        "kind": "subscription", "name": "p", "plans": [{"name": "a", "price_monthly": price, "mix": 1}],
        "channels": [{"name": "c", "signups_per_month": 100}], "churn_monthly": churn,
        "usage_median_m_tokens": 0.2, "serving_usd_per_m_tokens": 2.0}]}
    return next(m.value for m in metrics_at(deterministic(parse(doc)), 24) if m.name == "LTV")


@settings(max_examples=60, deadline=None)
@given(st.floats(0.005, 0.6), st.floats(0.005, 0.6), st.floats(1, 500))
def test_more_churn_never_raises_ltv(c1, c2, price):
    low, high = sorted((c1, c2))
    assert _ltv(high, price) <= _ltv(low, price) * (1 + 1e-9)


def _with_serving(factor: float) -> dict:
    doc = copy.deepcopy(DEMO)
    for s in doc["streams"]:
        for key in ("serving_usd_per_m_input", "serving_usd_per_m_output", "serving_usd_per_m_tokens"):
            if key in s:
                s[key] = s[key] * factor
    return doc


@settings(max_examples=40, deadline=None)
@given(st.floats(0, 20), st.floats(0, 20))
def test_a_higher_serving_cost_never_raises_gross_margin(k1, k2):
    low, high = sorted((k1, k2))
    a, b = deterministic(parse(_with_serving(low))), deterministic(parse(_with_serving(high)))
    assert np.all(b.gross_profit <= a.gross_profit + 1e-6)


# --- hostile scenario files -------------------------------------------------------------------------------------

def _paths(node, prefix=""):
    """Every (path, value) of the document, dicts and lists included."""
    if isinstance(node, dict):
        for k, v in node.items():
            p = f"{prefix}.{k}" if prefix else k
            yield p, v
            yield from _paths(v, p)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            p = f"{prefix}[{i}]"
            yield p, v
            yield from _paths(v, p)


PATHS = [p for p, _ in _paths(DEMO) if "monthly_usd[" not in p]
HOSTILE = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                    st.text(max_size=8), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=4),
                                                                                            st.integers(), max_size=2),
                    st.sampled_from([-1, 0, 1.5, 1e12, "2027-13", {"low": 2, "high": 1}, {"low": 0, "high": 1}]))


def _set(doc, path, value):
    import re

    node, parts = doc, re.findall(r"([^.\[\]]+)|\[(\d+)\]", path)
    keys = [k if k else int(i) for k, i in parts]
    for k in keys[:-1]:
        node = node[k]
    node[keys[-1]] = value


tally: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def _print_counts():
    yield
    if tally:
        print(f"\nrevenue scenario files: {sum(tally.values())} cases: {dict(tally)}; 0 crashed")


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.sampled_from(PATHS), HOSTILE, st.booleans())
@example("streams[3].kind", [0], False)  # found by a 1,000-case run: a list as a kind was a TypeError
def test_a_hostile_scenario_file_is_accepted_whole_or_refused_naming_the_field(path, value, add_key):
    doc = copy.deepcopy(DEMO)
    if add_key:  # an extra key beside the field instead of a changed value
        parent = path.rsplit(".", 1)[0] if "." in path else ""
        target = doc if not parent else None
        if target is None:
            try:
                _set(doc, parent + ".zz_unknown", value)
            except (TypeError, KeyError, IndexError):
                doc["zz_unknown"] = value
                path = "zz_unknown"
            else:
                path = parent + ".zz_unknown"
        else:
            doc["zz_unknown"] = value
            path = "zz_unknown"
    else:
        _set(doc, path, value)
    try:
        parsed = parse(doc)
    except SpecError as exc:
        # The named field is the changed one, inside it, or the list/object that holds it.
        assert exc.path, str(exc)
        touched = path.split(".zz_unknown")[0]
        assert exc.path.startswith(touched) or touched.startswith(exc.path) or exc.path == "", (path, str(exc))
        tally["refused"] += 1
        return
    run = deterministic(parsed)
    assert np.all(np.isfinite(run.cash)), path
    tally["accepted"] += 1
    assert not math.isnan(float(run.revenue.sum()))
