"""Editing a scenario as tables: every number listed once, written back exactly, a bad cell refused by its path,
the per-stream tables partitioning the grid, and the what-if multipliers."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from analytics.revenue.editing import COMPANY_WIDE, apply_assumptions, assumption_groups, assumption_table, what_if
from analytics.revenue.spec import SpecError


def test_writing_the_unedited_table_back_changes_nothing(demo_doc):
    table = assumption_table(demo_doc)
    assert table["path"].is_unique and len(table) > 50
    assert apply_assumptions(demo_doc, table) == demo_doc


def test_a_row_given_low_and_high_becomes_a_range_and_the_source_document_is_untouched(demo_doc):
    before = copy.deepcopy(demo_doc)
    table = assumption_table(demo_doc)
    row = table.index[table["path"] == "streams[0].churn_monthly"][0]
    table.loc[row, ["low", "high"]] = [0.02, 0.08]
    out = apply_assumptions(demo_doc, table)
    assert out["streams"][0]["churn_monthly"] == {"low": 0.02, "base": table.loc[row, "base"], "high": 0.08,
                                                  "dist": "triangular"}
    assert demo_doc == before


def test_a_bad_cell_is_refused_naming_its_path(demo_doc):
    table = assumption_table(demo_doc)
    table.loc[table["path"] == "streams[0].churn_monthly", "base"] = 1.5
    with pytest.raises(SpecError) as exc:
        apply_assumptions(demo_doc, table)
    assert exc.value.path.startswith("streams[0].churn_monthly")  # the range's base: streams[0].churn_monthly.base


def test_the_per_stream_tables_hold_every_row_once_company_wide_first(demo_doc):
    table = assumption_table(demo_doc)
    groups = assumption_groups(table)
    assert groups[0][0] == COMPANY_WIDE and not groups[0][1]["path"].str.startswith("streams[").any()
    assert [name for name, _ in groups[1:]] == [s["name"] for s in demo_doc["streams"]]
    together = pd.concat([part for _, part in groups], ignore_index=True)
    assert sorted(together["path"]) == sorted(table["path"])
    assert apply_assumptions(demo_doc, together) == demo_doc


def test_two_streams_with_one_name_stay_two_tables(demo_doc):
    doc = copy.deepcopy(demo_doc)
    doc["streams"][1]["name"] = doc["streams"][0]["name"]
    groups = assumption_groups(assumption_table(doc))
    assert len(groups) == 1 + len(doc["streams"])


def test_linked_paths_are_left_out_of_the_table(demo_doc):
    table = assumption_table(demo_doc, linked={"streams[0].price_per_m_input"})
    assert "streams[0].price_per_m_input" not in set(table["path"])
    assert len(table) == len(assumption_table(demo_doc)) - 1


def test_what_if_scales_demand_and_prices_and_caps_churn_at_one(demo_doc):
    out = what_if(demo_doc, demand=2.0, churn=100.0, price=0.5)
    s0, d0 = out["streams"][0], demo_doc["streams"][0]
    assert s0["price_per_m_input"] == pytest.approx(d0["price_per_m_input"] * 0.5)
    new = d0["new_customers_per_month"]
    assert s0["new_customers_per_month"] == ({k: v * 2 if k != "dist" else v for k, v in new.items()}
                                             if isinstance(new, dict) else pytest.approx(new * 2))
    churn = s0["churn_monthly"]
    assert max(churn.values() if isinstance(churn, dict) else [churn], key=lambda v: v if isinstance(v, float)
               else 0) <= 1.0
