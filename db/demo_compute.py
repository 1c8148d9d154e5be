"""The demo workspace's cost scenario: Lexora AI's legal-domain model, trained and served on H100s.

Sizes and load are illustrative (the workspace says so on every page); every figure is computed by the
cost engine from the dated catalogue, never typed in.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from analytics.compute_report import CostRequest, build_report, scenario_values
from analytics.gpu_catalogue import api_price_table, merged_gpus, price_table
from db.cost_scenarios import save_scenario

# Illustrative: an 8B model trained on 200B tokens over 64 H100s, serving 500M tokens a day.
DEMO_REQUEST = CostRequest(gpu="h100-sxm", params=8e9, tokens=200e9, n_gpus=64, tokens_per_day=500e6,
                           prompt_tokens=2_000, output_tokens=400)


def add_demo_cost_scenario(*, session: Session, workspace_id: int) -> None:
    """Save the demo's base cost scenario (computed, flagged illustrative in its notes)."""
    report = build_report(DEMO_REQUEST, merged_gpus(), price_table(), api_price_table())
    values = scenario_values(report, name="Lexora 8B: train + serve (illustrative)",
                             notes="Demo scenario: sizes and load are illustrative; figures from the catalogue.")
    save_scenario(session=session, workspace_id=workspace_id, values=values)
