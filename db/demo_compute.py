"""The demo workspace's cost scenario: Lexora AI's legal-domain model, trained and served on H100s.

Sizes and load are illustrative (the workspace says so on every page); every figure is computed by the
cost engine from the dated catalogue, never typed in.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from analytics.compute_report import CostRequest, build_report, scenario_values
from analytics.gpu_catalogue import api_price_table, merged_gpus, price_table
from db.cost_scenarios import save_scenario
from db.gpu_prices import add_price

# Illustrative: an 8B model trained on 200B tokens over 64 H100s, serving 500M tokens a day.
DEMO_REQUEST = CostRequest(gpu="h100-sxm", params=8e9, tokens=200e9, n_gpus=64, tokens_per_day=500e6,
                           prompt_tokens=2_000, output_tokens=400)


# Illustrative: a one-year reserved H100 quote, so the demo shows a workspace price row replacing the catalogue's
# reserved rows (the demo's scenario itself is priced on demand from the dated catalogue).
DEMO_PRICE = {"gpu": "h100-sxm", "provider": "Example cloud (illustrative quote)", "kind": "reserved",
              "usd_per_gpu_hour": 1.95, "as_of": "2026-11",
              "source": "Illustrative demo quote, not a real offer: replace it with your provider's"}


DEMO_SCENARIO_NAME = "Lexora 8B: train + serve (illustrative)"


def add_demo_cost_scenario(*, session: Session, workspace_id: int) -> None:
    """Save the demo's base cost scenario (computed, flagged illustrative in its notes) and its quoted price."""
    add_price(session=session, workspace_id=workspace_id, values=dict(DEMO_PRICE))
    report = build_report(DEMO_REQUEST, merged_gpus(), price_table(), api_price_table())
    values = scenario_values(report, name=DEMO_SCENARIO_NAME,
                             notes="Demo scenario: sizes and load are illustrative; figures from the catalogue.")
    save_scenario(session=session, workspace_id=workspace_id, values=values)
