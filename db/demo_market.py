"""The demo workspace's market document: Lexora AI, a legal-domain LLM sold through an API and a SaaS app.

Every number in it (market totals, buyer counts, shares, seat prices, quality scores, pillar scores) is
illustrative, made up to show the Market page working, and labelled so. The per-token prices of the
general-purpose competitors are not typed here: they name public API models whose dated list prices the page
reads from ``analytics/data/api_prices.csv``. The two seat-priced competitors are fictional.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy.orm import Session

ILLUSTRATIVE = "Illustrative demo figure, not market data: replace it with your own."

DEMO_MARKET: dict[str, Any] = {
    "version": 1,
    "notes": "Every number in this market model is illustrative (demo workspace); the documents give none.",
    "quality_metric": "legal-task accuracy on an internal eval, 0–100 (illustrative)",
    "output_share": 0.25,  # the demo API stream's output share
    "sizing": {
        "horizon_months": 36,
        "top_down": {
            "total_market_usd": 25e9, "source": f"Legal technology spend, worldwide. {ILLUSTRATIVE}",
            "as_of": "illustrative",
            "filters": [{"name": "AI drafting and research (illustrative)", "share": 0.2},
                        {"name": "English-language markets (illustrative)", "share": 0.55}],
            "som_share": 0.01,
        },
        "bottom_up": {
            "buyer": "law firms and legal departments", "buyers": 180_000,
            "annual_revenue_per_buyer_usd": 14_000, "source": ILLUSTRATIVE,
            "filters": [{"name": "English-language jurisdictions (illustrative)", "share": 0.45},
                        {"name": "10+ lawyers: can buy an API or team plan (illustrative)", "share": 0.3}],
            "som_share": 0.02, "reps": 4, "deals_per_rep_per_year": 30,
        },
    },
    "own": {"name": "Lexora AI", "quality": 68},
    "competitors": [
        {"name": "Frontier general-purpose API", "offering": "General chat and completion API, no legal tuning",
         "pricing": "per_token", "api_model": "gpt-4o", "quality": 62,
         "strengths": "Broad capability, ecosystem, brand", "weaknesses": "No legal citations or grounding",
         "source": "", "as_of": ""},
        {"name": "Budget general-purpose API", "offering": "Small general model", "pricing": "per_token",
         "api_model": "gpt-4o-mini", "quality": 47, "strengths": "Very cheap per token",
         "weaknesses": "Weak on long contracts and case law", "source": "", "as_of": ""},
        {"name": "Hosted open-weights 70B", "offering": "Open model served by an inference host",
         "pricing": "per_token", "api_model": "llama-3.1-70b-instruct-turbo", "quality": 53,
         "strengths": "Open weights, can be self-hosted", "weaknesses": "Needs fine-tuning and retrieval to compete",
         "source": "", "as_of": ""},
        {"name": "Incumbent legal research suite (fictional)", "offering": "Research database with an AI assistant",
         "pricing": "per_seat", "price_per_seat_month": 250, "quality": 71,
         "strengths": "Proprietary case-law corpus, trusted brand", "weaknesses": "Expensive seats, slow to ship",
         "source": ILLUSTRATIVE, "as_of": "illustrative"},
        {"name": "Legal AI start-up (fictional)", "offering": "Contract review SaaS", "pricing": "per_seat",
         "price_per_seat_month": 120, "quality": 64, "strengths": "Fast contract review workflow",
         "weaknesses": "Contracts only; no API", "source": ILLUSTRATIVE, "as_of": "illustrative"},
    ],
    "business_model": {
        "type": "service",
        "rationale": "The API (model as a service), the drafting app (SaaS) and the solo plan (subscription) are "
                     "services in 002's sense; custom deployments are a services line.",
    },
    "canvas": {
        "customer_segments": ["Mid-size law firms (10–200 lawyers)", "In-house legal departments",
                              "Legal-tech developers building on an API"],
        "value_propositions": ["Drafts and reviews with cited sources", "Jurisdiction-aware answers",
                               "Cheaper per token than a frontier model at comparable legal quality (illustrative)"],
        "channels": ["Developer docs and a free API tier", "Legal-tech conferences", "Bar-association partners"],
        "customer_relationships": ["Self-serve for developers", "Customer success for team plans", "User community"],
        "revenue_streams": ["Per-token API (MaaS)", "Per-seat drafting app (SaaS)", "Solo subscription",
                            "Custom deployments"],
        "key_resources": ["Legal-domain 8B model", "Licensed case-law and contract corpus", "Evaluation suite"],
        "key_activities": ["Data licensing and cleaning", "Training and evaluation", "Serving and monitoring"],
        "key_partnerships": ["Data licensors", "A GPU cloud (reserved capacity)", "Practice-management vendors"],
        "cost_structure": ["GPU serving (COGS)", "Training runs", "People", "Data licences"],
    },
    "pillars": {
        "technology": {"rd_strength": 4, "patents": 2, "tech_ecosystem": 2},
        "data": {"data_scale": 3, "data_quality": 5, "data_diversity": 3},
        "resources": {"talent": 4, "funding": 3, "partners": 3},
        "ecosystem": {"platform_services": 3, "scenarios": 2, "community": 1},
    },
    "swot": {
        "items": {"cross_industry": {"applies": False, "note": "Legal only for now"},
                  "data_quality": {"applies": True, "note": "Licensed corpus; annotation budget in the plan"},
                  "privacy_security": {"applies": True, "note": "Client confidentiality: no training on client data"}},
        "strengths": ["Lawyers on the founding team (illustrative)"],
        "weaknesses": ["One jurisdiction's case law so far (illustrative)"],
        "opportunities": ["Courts publishing rulings as open data (illustrative)"],
        "threats": ["Frontier labs adding legal modes (illustrative)"],
    },
}


def demo_market() -> dict[str, Any]:
    """A fresh copy of the demo document (callers may change it)."""
    return copy.deepcopy(DEMO_MARKET)


def add_demo_market(*, session: Session, workspace_id: int) -> None:
    """Store the demo's market document (checked like any user's)."""
    from db.market import save_market

    save_market(session=session, workspace_id=workspace_id, content=demo_market())
