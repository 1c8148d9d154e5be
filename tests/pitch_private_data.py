"""The demo workspace with every kind of internal-only data the pitch must leave out, for the pitch tests.

The demo itself carries salaries and two private risks; it has no private cost or revenue scenario, so these
are added here (through the repositories), with figures no public row of the demo has, plus a public cost
scenario that the pitch narrative marks private for the pitch. Not a test module (no ``test_`` prefix).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import repo
from db.cost_scenarios import save_scenario
from db.demo_pitch import DEMO_PITCH
from db.models import Person, RevenueScenario, Risk
from db.pitch import load_pitch, save_pitch
from db.revenue import save_revenue_scenario

PRIVATE_COST = {"name": "Internal H200 bulk quote (private)", "kind": "both", "gpu": "h200",
                "serving_usd_per_m_input": 0.43, "serving_usd_per_m_output": 1.73, "training_cost_usd": 1_234_567.0,
                "private": True, "notes": "Negotiated rate: internal only"}
PITCH_HIDDEN_COST = {"name": "Spot fleet experiment (hidden from the pitch)", "kind": "both", "gpu": "h100-sxm",
                     "serving_usd_per_m_input": 0.37, "serving_usd_per_m_output": 0.93,
                     "training_cost_usd": 987_654.0, "private": False}
PRIVATE_REVENUE_NAME = "Base 0 board-only case (private)"
PRIVATE_PRICES = (3.97, 17.43)  # the private scenario's MaaS input / output prices


@dataclass(frozen=True)
class PrivateValues:
    salaries: list[float]  # each person's monthly_cost_usd, made distinctive (see add_private_data)
    texts: list[str]  # names and titles that must not appear
    # Figures of the private rows that must not appear, at the two decimals the deck would print them with.
    numbers: list[float]


def add_private_data(session: Session, workspace_id: int) -> PrivateValues:
    """Add the private rows and hide ``PITCH_HIDDEN_COST`` in the demo's narrative; return what must not leak."""
    save_scenario(session=session, workspace_id=workspace_id, values=dict(PRIVATE_COST))
    save_scenario(session=session, workspace_id=workspace_id, values=dict(PITCH_HIDDEN_COST))
    stored = load_pitch(session=session, workspace_id=workspace_id)
    save_pitch(session=session, workspace_id=workspace_id, expected_version=stored.version,
               content={**DEMO_PITCH, "private_cost_scenarios": [PITCH_HIDDEN_COST["name"]]})
    base = session.scalars(select(RevenueScenario).where(RevenueScenario.workspace_id == workspace_id)
                           .order_by(RevenueScenario.name)).first()
    spec = copy.deepcopy(base.spec)
    for stream in spec["streams"]:
        if stream["kind"] == "maas":
            stream["price_per_m_input"], stream["price_per_m_output"] = PRIVATE_PRICES
            stream["name"] = "Board-only API tier"
    # Named so that it would sort first and be chosen for the financials if privacy were ignored.
    save_revenue_scenario(session=session, workspace_id=workspace_id, name=PRIVATE_REVENUE_NAME, spec=spec,
                          private=True, notes="Board pack only")
    # The demo's salaries are round ($14,000 a month is also its market's $14.0k a year per buyer), so a search
    # for them would find public figures that merely look alike: each gets odd cents, and is searched with them.
    salaries = []
    people = session.scalars(select(Person).where(Person.workspace_id == workspace_id, Person.deleted_at.is_(None)))
    for i, person in enumerate(list(people)):
        cost = round(person.monthly_cost_usd + 13.57 + 101.11 * i, 2)
        repo.update(session=session, model=Person, row_id=person.id, values={"monthly_cost_usd": cost},
                    expected_version=person.version)
        salaries.append(cost)
    private_risks = session.execute(select(Risk.title, Risk.mitigation).where(
        Risk.workspace_id == workspace_id, Risk.private.is_(True), Risk.deleted_at.is_(None))).all()
    assert len(private_risks) >= 2 and salaries, "the demo carries salaries and private risks"
    texts = [PRIVATE_COST["name"], PRIVATE_COST["notes"], PITCH_HIDDEN_COST["name"], PRIVATE_REVENUE_NAME,
             "Board-only API tier", "Board pack only", *[t for t, _m in private_risks]]
    numbers = [PRIVATE_COST["serving_usd_per_m_input"], PRIVATE_COST["serving_usd_per_m_output"],
               PRIVATE_COST["training_cost_usd"], PITCH_HIDDEN_COST["serving_usd_per_m_input"],
               PITCH_HIDDEN_COST["serving_usd_per_m_output"], PITCH_HIDDEN_COST["training_cost_usd"], *PRIVATE_PRICES]
    return PrivateValues(salaries, texts, numbers)


def salary_forms(usd: float) -> list[str]:
    """A salary as a page or a file could write it: 12,013.57 · 12013.57 · 12,014 · 12014 · 12013.6."""
    return [f"{usd:,.2f}", f"{usd:.2f}", f"{usd:,.0f}", f"{usd:.0f}", f"{usd:.1f}"]
