"""The Compute cost page's "Your prices" grid: a saved reserved price prices the reserved estimate."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from analytics.compute_report import CostRequest, build_report
from analytics.gpu_catalogue import api_price_table, merge_prices, merged_gpus, price_range, price_table
from db.gpu_prices import price_frame
from pages._components import usd
from tests.helpers import open_page

pytestmark = pytest.mark.usefixtures("navigation_only")
PAGE = "pages/compute_cost.py"
DEAL = {"gpu": "h100-sxm", "provider": "coreweave", "kind": "reserved", "usd_per_gpu_hour": 1.5,
        "source": "our 1-year contract", "as_of": "2026-11-20"}


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _save(at: AppTest, changes: dict) -> AppTest:
    # AppTest cannot type into a data editor; it takes the editor's change set through the session state.
    key = f"price_grid_{at.session_state['price_grid_nonce']}"
    at.session_state[key] = {"edited_rows": {}, "added_rows": [], "deleted_rows": [], **changes}
    at.run()
    return at.button(key="price_grid_save").click().run()


def _own_prices(app_db):
    with app_db["factory"]() as s:
        return price_frame(session=s, workspace_id=app_db["empty"])


def _estimate(at: AppTest, kind: str) -> AppTest:
    at.selectbox(key="cc_price_kind").set_value(kind)
    return at.button(key="FormSubmitter:compute_form-Estimate").click().run()


def test_a_saved_reserved_price_becomes_the_reserved_estimates_base_price(app_db):
    at = open_page(PAGE, app_db["empty"])
    bundled = price_range("h100-sxm", price_table(), "reserved")
    assert bundled is not None and bundled.base != 1.5
    _save(at, {"added_rows": [DEAL]})
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Saved prices: 0 changed, 1 added, 0 deleted" in at.toast[0].value.replace("\\", "")
    _estimate(at, "reserved")
    assert not at.exception and not at.error, [e.value for e in at.error]
    mine = merge_prices(price_table(), _own_prices(app_db))
    expected = build_report(CostRequest(price_kind="reserved"), merged_gpus(), mine, api_price_table())
    assert expected.price.base == 1.5
    assert _metric(at, "Cost (base)") == usd(expected.training.cost_base_usd)
    assert _metric(at, "Cost (base)") != usd(build_report(CostRequest(price_kind="reserved"), merged_gpus(),
                                                          price_table(), api_price_table()).training.cost_base_usd)
    assumptions = next(d.value for d in at.dataframe if "assumption" in d.value.columns)
    price_row = assumptions[assumptions["assumption"] == "price source"].iloc[0]
    assert price_row["value"] == "$1.50/GPU-hour (reserved)" and "our 1-year contract" in price_row["source"]
    # The on-demand estimate keeps the catalogue's rows.
    _estimate(at, "on_demand")
    assumptions = next(d.value for d in at.dataframe if "assumption" in d.value.columns)
    on_demand = assumptions[assumptions["assumption"] == "price source"].iloc[0]
    assert on_demand["value"] == f"${price_range('h100-sxm', price_table(), 'on_demand').base:.2f}/GPU-hour " \
                                 "(on-demand)"
    # The grid shows the saved row, and the page's price table marks it as the workspace's.
    grid = next(d for d in at.dataframe if d.key == "price_grid_1").value
    assert grid.to_dict("records") == [DEAL]
    table = next(d.value for d in at.dataframe if "origin" in d.value.columns and "provider" in d.value.columns)
    assert table[(table["gpu"] == "h100-sxm") & (table["kind"] == "reserved")]["origin"].tolist() == ["workspace"]


def test_a_bad_price_row_names_row_and_field_and_nothing_is_saved(app_db):
    at = open_page(PAGE, app_db["empty"])
    _save(at, {"added_rows": [DEAL, {**DEAL, "provider": "lambda", "usd_per_gpu_hour": 0.0, "source": ""}]})
    message = at.error[0].value.replace("\\", "")
    assert "GPU price row 2: 'usd_per_gpu_hour' must be greater than 0" in message
    assert "GPU price row 2: 'source'" in message
    assert _own_prices(app_db).empty  # the good first row was not saved either


def test_deleting_a_price_row_in_the_grid_brings_the_catalogue_price_back(app_db):
    at = open_page(PAGE, app_db["empty"])
    _save(at, {"added_rows": [DEAL]})
    _save(at, {"deleted_rows": [0]})
    assert not at.error, [e.value for e in at.error]
    assert _own_prices(app_db).empty
    _estimate(at, "reserved")
    expected = build_report(CostRequest(price_kind="reserved"), merged_gpus(), price_table(), api_price_table())
    assert _metric(at, "Cost (base)") == usd(expected.training.cost_base_usd)
