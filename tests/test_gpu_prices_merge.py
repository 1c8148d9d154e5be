"""A workspace's own GPU prices over the bundled table: what replaces what, by hand-built frames."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.compute_report import CostRequest, build_report
from analytics.gpu_catalogue import api_price_table, merge_prices, merged_gpus, price_range, price_table

COLUMNS = ["provider", "gpu", "kind", "usd_per_gpu_hour", "source", "as_of"]
BUNDLED = pd.DataFrame([
    ["lambda", "h100-sxm", "on_demand", 3.0, "lambda page", "2026-01"],
    ["aws", "h100-sxm", "on_demand", 5.0, "aws page", "2026-02"],
    ["lambda", "h100-sxm", "reserved", 2.5, "lambda page", "2026-01"],
    ["aws", "h100-sxm", "reserved", 3.5, "aws page", "2026-02"],
    ["gcp", "l4", "on_demand", 0.8, "gcp page", "2026-03"],
], columns=COLUMNS)


def _own(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=COLUMNS)


def _gpu_rows(**prices) -> pd.DataFrame:
    return pd.DataFrame({"usd_per_gpu_hour": list(prices.values()), "source": "our probe", "as_of": "2026-11"},
                        index=pd.Index(list(prices), name="gpu"))


def test_no_workspace_prices_leaves_the_bundled_rows_marked_catalogue():
    merged = merge_prices(BUNDLED, _own())
    assert merged[COLUMNS].equals(BUNDLED) and set(merged["origin"]) == {"catalogue"}


def test_a_workspace_row_replaces_the_bundled_rows_of_its_gpu_and_kind_only():
    merged = merge_prices(BUNDLED, _own(["coreweave", "h100-sxm", "reserved", 1.9, "our 1-year contract", "2026-11"]))
    reserved = price_range("h100-sxm", merged, "reserved")
    # The negotiated price is the price: not blended into a median with the 2.5 and 3.5 bundled rows.
    assert (reserved.low, reserved.base, reserved.high) == (1.9, 1.9, 1.9)
    assert reserved.source == "coreweave $1.90 (2026-11; workspace: our 1-year contract)"
    on_demand = price_range("h100-sxm", merged, "on_demand")  # other kinds keep the catalogue's rows
    assert (on_demand.low, on_demand.base, on_demand.high) == (3.0, 4.0, 5.0)
    assert price_range("l4", merged, "on_demand").base == 0.8
    assert len(merged) == len(BUNDLED) - 2 + 1


def test_several_workspace_rows_of_one_kind_give_their_own_range():
    merged = merge_prices(BUNDLED, _own(["a", "h100-sxm", "on_demand", 2.0, "quote A", "2026-11"],
                                        ["b", "h100-sxm", "on_demand", 2.4, "quote B", "2026-11"]))
    found = price_range("h100-sxm", merged, "on_demand")
    assert (found.low, found.base, found.high) == (2.0, pytest.approx(2.2), 2.4)


def test_a_workspace_row_of_a_kind_the_catalogue_lacks_adds_that_kind():
    assert price_range("l4", BUNDLED, "spot") is None
    merged = merge_prices(BUNDLED, _own(["vast", "l4", "spot", 0.35, "marketplace today", "2026-11-30"]))
    assert price_range("l4", merged, "spot").base == 0.35
    assert price_range("l4", merged, "on_demand").base == 0.8


def test_a_gpu_rows_single_price_covers_every_kind_a_price_row_leaves_open():
    merged = merge_prices(BUNDLED, _own(["coreweave", "h100-sxm", "reserved", 1.9, "contract", "2026-11"]),
                          _gpu_rows(**{"h100-sxm": 4.2}))
    assert price_range("h100-sxm", merged, "reserved").base == 1.9  # the price row of the kind wins
    on_demand = price_range("h100-sxm", merged, "on_demand")  # the GPU row's one price replaces the bundled ones
    assert (on_demand.low, on_demand.high) == (4.2, 4.2) and "one price, used for every kind" in on_demand.source
    assert price_range("h100-sxm", merged, "spot").base == 4.2  # and it stands for a kind the catalogue lacks
    assert price_range("l4", merged, "on_demand").base == 0.8


def test_a_gpu_row_without_a_price_changes_no_price():
    merged = merge_prices(BUNDLED, None, _gpu_rows(**{"h100-sxm": None}))
    assert merged[COLUMNS].equals(BUNDLED)


def test_the_estimate_and_the_cost_by_gpu_chart_read_the_merged_table():
    own = _own(["coreweave", "h100-sxm", "reserved", 1.5, "our 1-year contract", "2026-11"])
    merged = merge_prices(price_table(), own)
    request = CostRequest(price_kind="reserved")
    bundled = build_report(request, merged_gpus(), price_table(), api_price_table())
    mine = build_report(request, merged_gpus(), merged, api_price_table())
    assert bundled.price.base != 1.5 and mine.price.base == 1.5
    assert mine.training.cost_base_usd < bundled.training.cost_base_usd
    bar = mine.cost_vs_gpu.set_index("gpu").loc["h100-sxm"]
    assert bar["price"] == 1.5
    price_row = mine.assumptions[mine.assumptions["assumption"] == "price source"].iloc[0]
    assert "our 1-year contract" in price_row["source"] and "reserved" in price_row["value"]


def test_a_merged_table_is_not_overridden_again_by_the_gpu_rows_price():
    gpus = merged_gpus().join(_gpu_rows(**{"h100-sxm": 9.0})[["usd_per_gpu_hour"]], how="left")  # as the page has it
    own = _own(["coreweave", "h100-sxm", "reserved", 1.5, "contract", "2026-11"])
    merged = merge_prices(price_table(), own, _gpu_rows(**{"h100-sxm": 9.0}))
    report = build_report(CostRequest(price_kind="reserved"), gpus, merged, api_price_table())
    assert report.price.base == 1.5
    # A bare bundled table still takes the GPU row's price, as before.
    legacy = build_report(CostRequest(price_kind="reserved"), gpus, price_table(), api_price_table())
    assert legacy.price.base == 9.0
