"""The revenue engines: MaaS (tokens), SaaS (seats), subscription (plans) and unit lines, vectorised over paths.

Every engine takes the drawn inputs (``path → (paths, 1)`` arrays, see ``analytics.revenue.values``), the
stream's normalised document and its path prefix, and returns a ``StreamResult`` of (paths, months) arrays.
Customers are expected values; usage per customer is lognormal and tiers and commitments are priced by their
exact expectation over it, so heavy and light users are each priced at their own volume, not at an average
user's (REFERENCE B3.4: "model usage per subscriber as a distribution, not an average").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from analytics.revenue.cohorts import constant_survival, convolve_cohorts, expected_charges, sbg_survival

Inputs = dict[str, np.ndarray]
MOVEMENTS = ("new", "expansion", "contraction", "churn", "reactivation")
COGS_PARTS = ("inference", "hosting", "support", "delivery")


@dataclass
class StreamResult:
    """One stream's months. ``recurring`` is the part counted in MRR; ``usage`` is metered revenue (not MRR)."""

    name: str
    kind: str
    revenue: np.ndarray
    recurring: np.ndarray
    billings: np.ndarray  # cash collected (annual plans are paid up front)
    cogs: dict[str, np.ndarray]
    customers: np.ndarray
    new_customers: np.ndarray
    churned_customers: np.ndarray
    acquisition_usd: np.ndarray
    movements: dict[str, np.ndarray]  # of the recurring (MRR) part
    survival: np.ndarray  # share of a cohort's revenue-bearing units left at each age (per path)
    arpa: np.ndarray  # revenue per customer in each month (0 where there are none)
    tokens_m: np.ndarray  # M tokens served a month
    usage_movements: dict[str, np.ndarray] | None = None  # of the metered part (MaaS), same five categories

    @property
    def usage(self) -> np.ndarray:
        return self.revenue - self.recurring

    @property
    def cogs_total(self) -> np.ndarray:
        return sum(self.cogs.values(), np.zeros_like(self.revenue))


def _growth(rate: np.ndarray, months: int, start: int = 0) -> np.ndarray:
    """(1 + g)^(t − start) from ``start`` on and 0 before it, as (paths, months)."""
    t = np.arange(months)[None, :] - start
    return np.where(t >= 0, (1.0 + rate) ** np.clip(t, 0, None), 0.0)


def movements(revenue: np.ndarray, customers: np.ndarray, new: np.ndarray, churned: np.ndarray,
              reactivated: np.ndarray, arpa_new: np.ndarray) -> dict[str, np.ndarray]:
    """ChartMogul's five MRR movements of a revenue series, so that ``end = start + Σ movements`` exactly.

    New and reactivated customers bring the month's revenue per new customer; churned customers take last
    month's average; what remains of the change is expansion (if positive) or contraction of those who stayed.
    """
    prev_rev = np.concatenate([np.zeros_like(revenue[:, :1]), revenue[:, :-1]], axis=1)
    prev_cust = np.concatenate([np.zeros_like(customers[:, :1]), customers[:, :-1]], axis=1)
    prev_arpa = np.divide(prev_rev, prev_cust, out=np.zeros_like(prev_rev), where=prev_cust > 0)
    out = {"new": new * arpa_new, "reactivation": reactivated * arpa_new, "churn": churned * prev_arpa}
    out["new"][:, 0] = revenue[:, 0] if revenue.shape[1] else 0  # month 0: the starting book counts as new
    out["reactivation"][:, 0] = 0.0
    out["churn"][:, 0] = 0.0
    residual = revenue - prev_rev - out["new"] - out["reactivation"] + out["churn"]
    out["expansion"] = np.clip(residual, 0.0, None)
    out["contraction"] = np.clip(-residual, 0.0, None)
    return out


def _churn_with_reactivation(start: np.ndarray, inflow: np.ndarray, survival: np.ndarray,
                             reactivation: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Active, churned and reactivated customers month by month, for any survival curve.

    Churned customers join a pool; ``reactivation`` of the pool returns each month as a new cohort (ChartMogul:
    a returning customer is reactivation, not new business). O(paths · months²) in whole-array steps.
    """
    paths, months = inflow.shape
    cohorts = np.zeros((paths, months))  # inflow of each month, including reactivations
    active = np.zeros((paths, months))
    churned = np.zeros((paths, months))
    reactivated = np.zeros((paths, months))
    pool = np.zeros(paths)
    for t in range(months):
        if t:
            reactivated[:, t] = reactivation[:, 0] * pool
            pool = pool - reactivated[:, t]
        cohorts[:, t] = inflow[:, t] + reactivated[:, t] + (start[:, 0] if t == 0 else 0.0)
        ages = t - np.arange(t + 1)
        active[:, t] = (cohorts[:, : t + 1] * survival[:, ages]).sum(axis=1)
        if t:
            churned[:, t] = active[:, t - 1] - (active[:, t] - cohorts[:, t])
            pool = pool + churned[:, t]
    return active, churned, reactivated


def maas(x: Callable[[str], np.ndarray], doc: dict[str, Any], months: int) -> StreamResult:
    """Model as a service: per-token prices, cached input, batch discount, tiers, commitments, skewed usage."""
    new = x("new_customers_per_month") * _growth(x("new_customers_growth"), months)
    survival = constant_survival(x("churn_monthly"), months)
    customers, churned, reactivated = _churn_with_reactivation(x("customers_start"), new, survival,
                                                              x("reactivation_monthly"))
    # Usage per customer is lognormal; its median grows with calendar time, so μ moves and σ stays.
    median = x("usage_median_m_tokens") * _growth(x("usage_growth_monthly"), months)
    mean_usage = median * np.exp(x("usage_sigma") ** 2 / 2)
    out_share, cached = x("output_share"), x("cached_input_share")
    # List price per 1M tokens of the customer's mix (input, cached input, output), after the batch discount.
    blended = ((1 - out_share) * x("price_per_m_input") * (1 - cached + cached * x("cached_price_factor"))
               + out_share * x("price_per_m_output")) * (1 - x("batch_share") * x("batch_discount"))
    if doc["tiers"]:
        # Tier edges are points (a range of edges would reorder tiers between paths); the last is open-ended.
        bounds = [float(t["up_to_m_tokens"]) for t in doc["tiers"]]
        bounds[-1] = np.inf
        factors = np.stack([1 - x(f"tiers[{i}].discount") for i in range(len(bounds))], axis=-1)
    else:
        bounds, factors = [np.inf], np.ones((1, 1, 1))
    commit = x("commit_usd_per_month")
    pay_as_you_go, committed = expected_charges(median, x("usage_sigma"), bounds, factors, doc["tier_mode"],
                                                [(blended, 0.0), (blended * (1 - x("commit_discount")), commit)])
    share = x("commit_share")
    per_customer = (1 - share) * pay_as_you_go + share * committed
    revenue = customers * per_customer
    recurring = customers * share * commit
    serve_in = x("serving_usd_per_m_input")
    cost_per_customer = mean_usage * ((1 - out_share) * serve_in * (1 - cached + cached * x("cached_cost_factor"))
                                      + out_share * x("serving_usd_per_m_output"))
    cogs = {"inference": customers * cost_per_customer,
            "hosting": np.broadcast_to(x("hosting_usd_per_month"), revenue.shape).copy(),
            "support": revenue * x("support_share"), "delivery": np.zeros_like(revenue)}
    return StreamResult(
        name=doc["name"], kind="maas", revenue=revenue, recurring=recurring, billings=revenue, cogs=cogs,
        customers=customers, new_customers=new, churned_customers=churned, acquisition_usd=new * x("cac_usd"),
        movements=movements(recurring, customers * share, new * share, churned * share, reactivated * share,
                            np.broadcast_to(commit, revenue.shape)),
        usage_movements=movements(revenue - recurring, customers, new, churned, reactivated,
                                  per_customer - share * commit),
        survival=survival, arpa=per_customer, tokens_m=customers * mean_usage)


def saas(x: Callable[[str], np.ndarray], doc: dict[str, Any], months: int) -> StreamResult:
    """Seats in tiers: logo churn, seat expansion/contraction with age, annual plans paid up front, AI cost per seat."""
    growth = _growth(x("new_accounts_growth"), months)
    keep, expand, shrink = 1 - x("logo_churn_monthly"), x("seat_expansion_monthly"), x("seat_contraction_monthly")
    annual, discount = x("annual_share"), x("annual_discount")
    price_factor = 1 - annual * discount  # annual seats are billed at the discounted price
    shape = (keep.shape[0], months)
    revenue, seats_all, accounts_all, new_all, churned_all, billings = (np.zeros(shape) for _ in range(6))
    moves = {m: np.zeros(shape) for m in MOVEMENTS}
    seat_kernel = constant_survival(1 - keep * (1 + expand - shrink), months)  # seats of one account by age
    for i, _tier in enumerate(doc["tiers"]):
        y = lambda k, i=i: x(f"tiers[{i}].{k}")  # noqa: E731 - a tier's own inputs
        price, per_account = y("price_per_seat") * price_factor, y("seats_per_account")
        new = y("new_accounts_per_month") * growth
        accounts = np.zeros(shape)
        seats = np.zeros(shape)
        churned = np.zeros(shape)
        for t in range(months):
            prev_accounts = accounts[:, t - 1] if t else y("accounts_start")[:, 0]
            prev_seats = seats[:, t - 1] if t else (y("accounts_start") * per_account)[:, 0]
            kept = prev_seats * keep[:, 0]
            churned[:, t] = prev_accounts * (1 - keep[:, 0]) if t else 0.0
            accounts[:, t] = (prev_accounts * keep[:, 0] if t else prev_accounts) + new[:, t]
            grown = kept * (1 + expand[:, 0] - shrink[:, 0]) if t else prev_seats
            seats[:, t] = grown + new[:, t] * per_account[:, 0]
            if t:
                moves["churn"][:, t] += (prev_seats - kept) * price[:, 0]
                moves["expansion"][:, t] += kept * expand[:, 0] * price[:, 0]
                moves["contraction"][:, t] += kept * shrink[:, 0] * price[:, 0]
                moves["new"][:, t] += new[:, t] * per_account[:, 0] * price[:, 0]
            else:
                moves["new"][:, 0] += seats[:, 0] * price[:, 0]
        revenue += seats * price
        seats_all += seats
        accounts_all += accounts
        new_all += new
        churned_all += churned
        # Cash: monthly plans pay each month; annual plans pay 12 months at signup and at each renewal.
        inflow = new.copy()
        inflow[:, 0] += y("accounts_start")[:, 0]
        renewals = np.where(np.arange(months)[None, :] % 12 == 0, seat_kernel, 0.0) * per_account
        annual_cash = 12 * y("price_per_seat") * (1 - discount) * annual * convolve_cohorts(inflow, renewals)
        billings += seats * y("price_per_seat") * (1 - annual) + annual_cash
    active_seats = seats_all * x("active_seat_share")
    cogs = {"inference": active_seats * x("m_tokens_per_active_seat") * x("serving_usd_per_m_tokens"),
            "hosting": seats_all * x("hosting_usd_per_seat"), "support": revenue * x("support_share"),
            "delivery": np.zeros_like(revenue)}
    arpa = np.divide(revenue, accounts_all, out=np.zeros_like(revenue), where=accounts_all > 0)
    acquisition = new_all * x("cac_usd")
    return StreamResult(
        name=doc["name"], kind="saas", revenue=revenue, recurring=revenue, billings=billings, cogs=cogs,
        customers=accounts_all, new_customers=new_all, churned_customers=churned_all, acquisition_usd=acquisition,
        movements=moves, survival=seat_kernel, arpa=arpa,
        tokens_m=active_seats * x("m_tokens_per_active_seat"))


def subscription(x: Callable[[str], np.ndarray], doc: dict[str, Any], months: int) -> StreamResult:
    """Consumer plans: sign-ups by channel with their CAC, constant or shifted-beta-geometric churn, usage."""
    signups = np.zeros((x("subscribers_start").shape[0], months))
    acquisition = np.zeros_like(signups)
    for i in range(len(doc["channels"])):
        channel = x(f"channels[{i}].signups_per_month") * _growth(x(f"channels[{i}].growth_monthly"), months)
        signups += channel
        acquisition += channel * x(f"channels[{i}].cac_usd")
    if doc["churn_model"] == "sbg":
        survival = sbg_survival(x("sbg_alpha"), x("sbg_beta"), months)
    else:
        survival = constant_survival(x("churn_monthly"), months)
    active, churned, reactivated = _churn_with_reactivation(x("subscribers_start"), signups, survival,
                                                           x("reactivation_monthly"))
    arpu = sum((x(f"plans[{i}].price_monthly") * x(f"plans[{i}].mix") for i in range(len(doc["plans"]))),
               np.zeros_like(x("subscribers_start")))
    revenue = active * arpu
    usage_mean = x("usage_median_m_tokens") * np.exp(x("usage_sigma") ** 2 / 2)  # lognormal mean
    cogs = {"inference": active * usage_mean * x("serving_usd_per_m_tokens"), "hosting": np.zeros_like(revenue),
            "support": revenue * x("support_share"), "delivery": revenue * x("payment_fee_share")}
    arpa = np.broadcast_to(arpu, revenue.shape).copy()
    return StreamResult(
        name=doc["name"], kind="subscription", revenue=revenue, recurring=revenue, billings=revenue, cogs=cogs,
        customers=active, new_customers=signups, churned_customers=churned, acquisition_usd=acquisition,
        movements=movements(revenue, active, signups, churned, reactivated, arpa),
        survival=survival, arpa=arpa, tokens_m=active * usage_mean)


def units(x: Callable[[str], np.ndarray], doc: dict[str, Any], months: int) -> StreamResult:
    """Licences, custom solutions, devices, advertising: units × price with their own cost per unit."""
    sold = x("units_per_month") * _growth(x("growth_monthly"), months, int(doc["start_month"]))
    revenue = sold * x("price_usd")
    zeros = np.zeros_like(revenue)
    cogs = {"inference": zeros, "hosting": zeros.copy(), "support": zeros.copy(), "delivery": sold * x("unit_cost_usd")}
    recurring = revenue if doc["recurring"] else zeros.copy()
    return StreamResult(
        name=doc["name"], kind="units", revenue=revenue, recurring=recurring, billings=revenue, cogs=cogs,
        customers=zeros.copy(), new_customers=zeros.copy(), churned_customers=zeros.copy(),
        acquisition_usd=zeros.copy(),
        movements=movements(recurring, zeros, zeros, zeros, zeros, zeros),
        survival=np.ones_like(revenue), arpa=np.broadcast_to(x("price_usd"), revenue.shape).copy(),
        tokens_m=zeros.copy())


ENGINES: dict[str, Callable[[Callable[[str], np.ndarray], dict[str, Any], int], StreamResult]] = {
    "maas": maas, "saas": saas, "subscription": subscription, "units": units,
}


def run_stream(inputs: Inputs, doc: dict[str, Any], prefix: str, months: int) -> StreamResult:
    """Run one stream's engine on the inputs under ``prefix`` (``streams[0]``)."""
    def x(key: str) -> np.ndarray:
        return inputs[f"{prefix}.{key}"]
    return ENGINES[doc["kind"]](x, doc, months)
