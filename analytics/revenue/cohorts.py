"""The arithmetic the revenue streams share: cohort survival, cohort convolution, tiered charges, skewed usage.

Customers are counted as expected values (fractional customers), as a monthly financial model does; the
skew of usage per customer is kept by pricing nonlinear charges (tiers, commitments) at their exact
expectation over a lognormal usage distribution instead of at its mean.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, ndtr
from scipy.stats import norm


def constant_survival(churn: np.ndarray, months: int) -> np.ndarray:
    """S(a) = (1 − c)^a for ages a = 0..months−1; ``churn`` is (paths, 1), the result (paths, months)."""
    ages = np.arange(months)[None, :]
    return (1.0 - churn) ** ages


def sbg_survival(alpha: np.ndarray, beta: np.ndarray, months: int) -> np.ndarray:
    """Shifted-beta-geometric survival (Fader & Hardie 2007): S(a) = B(α, β + a) / B(α, β).

    Each customer churns at a constant rate drawn from Beta(α, β), so the cohort's churn falls with age
    (the heavy churners leave first): churn at age a is α / (α + β + a − 1).
    """
    ages = np.arange(months)[None, :]
    return np.exp(betaln(alpha, beta + ages) - betaln(alpha, beta))


def convolve_cohorts(inflow: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """out[t] = Σ_a inflow[t − a] · kernel[a]: what the cohorts that joined in each month contribute at t.

    Both are (paths, months). A loop over ages (≤ 60) of whole-array operations: O(paths · months²) work
    but no (paths, months, months) array, so 10,000 paths stay a few MB.
    """
    paths, months = np.broadcast_shapes(inflow.shape, kernel.shape)
    inflow = np.broadcast_to(inflow, (paths, months))
    kernel = np.broadcast_to(kernel, (paths, months))
    out = np.zeros((paths, months))
    for age in range(months):
        out[:, age:] += inflow[:, : months - age] * kernel[:, age : age + 1]
    return out


def cohort_matrix(inflow: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """The (cohort, month) matrix of one path: row c is cohort c's value in each month (0 before it joined)."""
    months = inflow.shape[-1]
    c = np.arange(months)[:, None]
    t = np.arange(months)[None, :]
    age = t - c
    return np.where(age >= 0, inflow.reshape(-1)[:, None] * kernel.reshape(-1)[np.clip(age, 0, None)], 0.0)


def tiered_charge(quantity: np.ndarray, bounds: list[float], prices: np.ndarray, mode: str) -> np.ndarray:
    """Charge for ``quantity`` units under tiers (Stripe's two ``tiers_mode`` values).

    ``bounds`` are the tiers' upper edges (the last is ``inf``); ``prices`` the unit price of each tier, with
    shape (tiers,) or broadcastable (…, tiers). Graduated: Σ_i p_i · clamp(q − L_i, 0, U_i − L_i).
    Volume: every unit at the price of the tier that q reaches.
    """
    q = np.asarray(quantity, dtype=float)[..., None]
    upper = np.asarray(bounds, dtype=float)
    lower = np.concatenate([[0.0], upper[:-1]])
    if mode == "graduated":
        in_tier = np.clip(q - lower, 0.0, upper - lower)
        return (in_tier * prices).sum(axis=-1)
    tier = np.minimum((q[..., 0][..., None] > upper).sum(axis=-1), len(upper) - 1)
    price = np.take_along_axis(np.broadcast_to(prices, (*q.shape[:-1], len(upper))), tier[..., None], axis=-1)
    return q[..., 0] * price[..., 0]


def expected_charges(median: np.ndarray, sigma: np.ndarray, bounds: list[float], factors: np.ndarray, mode: str,
                     plans: list[tuple[np.ndarray, np.ndarray | float]]) -> list[np.ndarray]:
    """E[max(floor, scale · F(U))] for each (scale, floor) in ``plans``, for usage U ~ lognormal(median, σ) and F
    the tiered charge per unit of scale.

    Exact, in closed form, so heavy users are priced as heavy users without sampling customers. On tier i,
    (L_i, U_i], F is linear: F(u) = α_i + β_i·u (volume: α = 0, β = f_i; graduated: β = f_i and α makes F
    continuous). With the lognormal's tail probability P(K) = Φ((μ − ln K)/σ) and partial expectation
    PE(K) = E[U·1{U > K}] = e^(μ + σ²/2)·Φ((μ + σ² − ln K)/σ), each tier contributes
    floor·(P(L) − P(a)) + scale·α·(P(a) − P(U)) + scale·β·(PE(a) − PE(U)), where a is where the charge passes
    the floor (a committed customer pays the floor below it; with no floor a = L). The tier edges' P and PE are
    computed once for all plans. With no tiers pass ``bounds=[inf]`` and ``factors=[1]``.
    """
    upper = np.asarray(bounds, dtype=float)
    lower = np.concatenate([[0.0], upper[:-1]])
    f = np.asarray(factors, dtype=float)
    if mode == "graduated":
        widths = np.where(np.isinf(upper), 0.0, upper - lower)
        at_lower = np.concatenate([np.zeros((*f.shape[:-1], 1)), np.cumsum(f * widths, axis=-1)[..., :-1]], axis=-1)
        alpha, beta = at_lower - f * lower, f
    else:
        alpha, beta = np.zeros_like(f), f
    mu = np.log(median)[..., None]
    sig = np.maximum(np.asarray(sigma, dtype=float), 1e-9)[..., None]
    mean = np.exp(mu + sig**2 / 2)

    def tail(k: np.ndarray) -> np.ndarray:  # P(U > k)
        with np.errstate(divide="ignore"):
            return ndtr((mu - np.log(np.maximum(k, 0.0))) / sig)

    def partial(k: np.ndarray) -> np.ndarray:  # E[U · 1{U > k}]
        with np.errstate(divide="ignore"):
            return mean * ndtr((mu + sig**2 - np.log(np.maximum(k, 0.0))) / sig)

    # Edges 0, U_1, …, U_{n−1}, ∞: only the inner ones need Φ.
    inner = upper[:-1]
    ones = np.ones((*np.broadcast_shapes(mu.shape[:-1], np.shape(sigma)), 1))
    p_edges = np.concatenate([ones, tail(inner), 0 * ones], axis=-1)
    pe_edges = np.concatenate([mean * ones, partial(inner), 0 * ones], axis=-1)
    p_lower, p_upper, pe_lower, pe_upper = p_edges[..., :-1], p_edges[..., 1:], pe_edges[..., :-1], pe_edges[..., 1:]
    out = []
    for scale, floor in plans:
        scale_ = np.asarray(scale, dtype=float)[..., None]
        floor_ = np.asarray(floor, dtype=float)
        floor_ = floor_[..., None] if floor_.ndim else floor_
        if not np.any(floor_):
            out.append((scale_ * alpha * (p_lower - p_upper) + scale_ * beta * (pe_lower - pe_upper)).sum(axis=-1))
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            per_scale = floor_ / np.where(scale_ > 0, scale_, 1.0)
            cross = np.where(beta > 0, (per_scale - alpha) / np.where(beta > 0, beta, 1.0),
                             np.where(scale_ * alpha >= floor_, -np.inf, np.inf))
        a = np.clip(cross, lower, upper)
        p_a, pe_a = tail(a), partial(a)
        out.append((floor_ * (p_lower - p_a) + scale_ * alpha * (p_a - p_upper) + scale_ * beta * (pe_a - pe_upper))
                   .sum(axis=-1))
    return out


def top_share(sigma: float, top: float = 0.05) -> float:
    """Share of all usage consumed by the heaviest ``top`` fraction of a lognormal(σ) population.

    For a lognormal the top-p share is 1 − Φ(Φ⁻¹(1 − p) − σ), independent of the median.
    """
    return float(1.0 - norm.cdf(norm.ppf(1.0 - top) - sigma))


def share_above(threshold: float, median: float, sigma: float) -> float:
    """Share of a lognormal(median, σ) population above ``threshold`` (e.g. subscribers who cost more than they pay)."""
    if threshold <= 0:
        return 1.0
    if sigma <= 0:
        return float(median > threshold)
    return float(1.0 - norm.cdf((np.log(threshold) - np.log(median)) / sigma))
