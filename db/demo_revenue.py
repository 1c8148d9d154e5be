"""The demo workspace's revenue scenarios: Lexora AI's legal API (MaaS), drafting app (SaaS), solo plan
(subscription) and custom deployments (services). Every figure is illustrative and labelled so; the serving
and training costs come from the demo's cost scenario and the opex and rounds from its tracker.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from analytics.revenue.editing import what_if
from db.demo_compute import DEMO_SCENARIO_NAME

ILLUSTRATIVE = "Illustrative demo assumptions, not market data: replace them with your own."

DEMO_BASE: dict[str, Any] = {
    "version": 1, "name": "Base case (illustrative)", "months": 36, "use_tracker": True,
    "discount_rate_annual": 0.15, "notes": ILLUSTRATIVE,
    "opex": [{"name": "Customer success tooling", "category": "operations", "monthly_usd": [1500],
              "growth_monthly": 0.02}],
    "training": [
        {"name": "Lexora 8B: first training run", "cost_scenario": DEMO_SCENARIO_NAME, "cost_usd": 0, "month": 2,
         "amortise_months": 12},
        {"name": "Lexora 8B: yearly retrain", "cost_scenario": DEMO_SCENARIO_NAME, "cost_usd": 0, "month": 14,
         "amortise_months": 12},
    ],
    "streams": [
        {"kind": "maas", "name": "Legal API", "price_per_m_input": 0.60, "price_per_m_output": 2.40,
         "cached_input_share": 0.3, "cached_price_factor": 0.1, "batch_share": 0.1, "batch_discount": 0.5,
         "tier_mode": "graduated",
         "tiers": [{"up_to_m_tokens": 100, "discount": 0.0}, {"up_to_m_tokens": 1000, "discount": 0.1},
                   {"up_to_m_tokens": None, "discount": 0.2}],
         "commit_share": 0.2, "commit_usd_per_month": 3000, "commit_discount": 0.15,
         "customers_start": 4, "new_customers_per_month": {"low": 1.5, "base": 3, "high": 4.5},
         "new_customers_growth": 0.04, "churn_monthly": {"low": 0.02, "base": 0.03, "high": 0.06},
         "reactivation_monthly": 0.01,
         "usage_median_m_tokens": {"low": 20, "base": 40, "high": 60, "dist": "lognormal"},
         "usage_sigma": 1.3, "output_share": 0.25, "usage_growth_monthly": 0.03,
         "cost_scenario": DEMO_SCENARIO_NAME, "serving_usd_per_m_input": 0, "serving_usd_per_m_output": 0,
         "hosting_usd_per_month": 1500, "support_share": 0.03, "cac_usd": {"low": 2500, "base": 4000, "high": 6000}},
        {"kind": "saas", "name": "Drafting app",
         "tiers": [{"name": "Team", "price_per_seat": 49, "accounts_start": 10, "new_accounts_per_month": 6,
                    "seats_per_account": 4},
                   {"name": "Enterprise", "price_per_seat": 89, "accounts_start": 1, "new_accounts_per_month": 0.5,
                    "seats_per_account": 25}],
         "new_accounts_growth": {"low": 0.01, "base": 0.03, "high": 0.05}, "logo_churn_monthly": 0.025,
         "seat_expansion_monthly": 0.02, "seat_contraction_monthly": 0.005, "annual_share": 0.4,
         "annual_discount": 0.15, "active_seat_share": 0.6, "m_tokens_per_active_seat": 1.5,
         "cost_scenario": DEMO_SCENARIO_NAME, "serving_usd_per_m_tokens": 0, "hosting_usd_per_seat": 2,
         "support_share": 0.04, "cac_usd": 1800},
        {"kind": "subscription", "name": "Solo counsel plan",
         "plans": [{"name": "Basic", "price_monthly": 19, "mix": 0.7},
                   {"name": "Pro", "price_monthly": 49, "mix": 0.3}],
         "channels": [{"name": "Organic", "signups_per_month": 60, "growth_monthly": 0.05, "cac_usd": 0},
                      {"name": "Paid search", "signups_per_month": 90, "growth_monthly": 0.03,
                       "cac_usd": {"low": 50, "base": 70, "high": 110}}],
         "churn_model": "sbg", "sbg_alpha": 1.2, "sbg_beta": 14, "reactivation_monthly": 0.01,
         "usage_median_m_tokens": 0.3, "usage_sigma": 1.5, "cost_scenario": DEMO_SCENARIO_NAME,
         "serving_usd_per_m_tokens": 0, "payment_fee_share": 0.03, "support_share": 0.02},
        {"kind": "units", "name": "Custom deployments", "category": "services", "units_per_month": 0.25,
         "growth_monthly": 0.02, "start_month": 6, "price_usd": 60000, "unit_cost_usd": 38000},
    ],
}


def demo_scenarios() -> list[dict[str, Any]]:
    """Base, upside and downside (REFERENCE.md B4.2: "investors don't believe your base case")."""
    return [DEMO_BASE,
            {**what_if(DEMO_BASE, demand=1.3, churn=0.8), "name": "Upside (illustrative)"},
            {**what_if(DEMO_BASE, demand=0.6, churn=1.5, price=0.85), "name": "Downside (illustrative)"}]


def add_demo_revenue_scenarios(*, session: Session, workspace_id: int) -> None:
    """Save the three demo scenarios (checked like any user's)."""
    from db.revenue import save_revenue_scenario

    for doc in demo_scenarios():
        save_revenue_scenario(session=session, workspace_id=workspace_id, name=doc["name"], spec=doc,
                              notes=ILLUSTRATIVE)


EXAMPLE_TODAY = date(2027, 1, 1)  # examples/demo-scenario.json is the demo as created on this day


def demo_scenario_file(today: date = EXAMPLE_TODAY) -> dict[str, Any]:
    """The demo's base scenario resolved against a demo workspace created on ``today``: what the Revenue page's
    "Scenario file" download holds, and what ships as ``examples/demo-scenario.json``."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    from db.demo import create_demo_workspace
    from db.models import Base
    from db.revenue import resolve, revenue_scenarios

    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with sessionmaker(engine)() as session:
        ws = create_demo_workspace(session=session, today=today)
        base = next(r for r in revenue_scenarios(session=session, workspace_id=ws.id) if r.name == DEMO_BASE["name"])
        return resolve(session=session, workspace_id=ws.id, spec=base.spec, today=today).doc


if __name__ == "__main__":  # python -m db.demo_revenue examples/demo-scenario.json
    import json
    import sys

    Path(sys.argv[1]).write_text(json.dumps(demo_scenario_file(), indent=2) + "\n", encoding="utf-8")
