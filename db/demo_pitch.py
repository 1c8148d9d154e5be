"""The Lexora AI demo's pitch narrative. Illustrative: written for the demo, not taken from any real company."""

from __future__ import annotations

from sqlalchemy.orm import Session

from db.pitch import save_pitch

DEMO_PITCH = {
    "problem": "Legal teams spend most of their drafting time on routine contracts and research memos, and "
               "general-purpose models get the jurisdiction-specific details wrong (illustrative).",
    "solution": "A legal-domain LLM served through an API (MaaS) and a SaaS drafting app built on it, trained on "
                "licensed legal corpora and evaluated against lawyer-graded tasks (illustrative).",
    "why_now": "Serving cost per million tokens has fallen far enough that a domain model can be priced below "
               "general APIs while keeping a gross margin (illustrative).",
    "ask_usd": 12_000_000.0,
    "use_of_funds": {"rd": 0.55, "marketing": 0.25, "operations": 0.20},
    "milestones_money_buys": "Production launch of the drafting app, the API's enterprise tier and the first "
                             "custom deployments (illustrative).",
}


def add_demo_pitch(*, session: Session, workspace_id: int) -> None:
    """Store the demo's narrative (through the repository, so it is checked and versioned like any edit)."""
    save_pitch(session=session, workspace_id=workspace_id, content=DEMO_PITCH)
