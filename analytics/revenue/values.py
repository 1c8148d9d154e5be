"""Inputs that are a point or a range, and drawing them for the deterministic model and for Monte Carlo.

Any number in a scenario may be written as a range ``{"low": a, "base": b, "high": c, "dist": "triangular"}``
(Causal's convention: every input can be uncertain). The deterministic model uses ``base``; a Monte Carlo
path draws one value per input for the whole horizon (a path is one possible world, not month-to-month
noise). Draws are arrays of shape (paths, 1) so they broadcast against (paths, months) arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DISTRIBUTIONS = ("triangular", "uniform", "normal", "lognormal")


@dataclass(frozen=True)
class Value:
    """One input: ``base`` and, for a range, ``low`` ≤ ``base`` ≤ ``high`` and a distribution."""

    base: float
    low: float | None = None
    high: float | None = None
    dist: str = "triangular"
    limits: tuple[float, float] | None = None  # the field's allowed interval, for screening ranges

    @property
    def is_range(self) -> bool:
        return self.low is not None and self.high is not None and self.high > self.low

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws; a point (or zero-width range) gives ``base`` exactly, so Monte Carlo reduces to the model."""
        if not self.is_range:
            return np.full(n, self.base, dtype=float)
        lo, hi, mode = float(self.low), float(self.high), float(self.base)  # type: ignore[arg-type]
        if self.dist == "uniform":
            return rng.uniform(lo, hi, n)
        if self.dist == "normal":
            # low/high read as the P5/P95 band (±1.645 σ), clipped to the band's hard edges of ±3 σ.
            sigma = (hi - lo) / (2 * 1.645)
            return np.clip(rng.normal(mode, sigma, n), mode - 3 * sigma, mode + 3 * sigma)
        if self.dist == "lognormal":
            # Positive inputs with a long right tail: low/high read as P5/P95 of log(x) around log(base).
            if lo <= 0:
                return rng.triangular(lo, mode, hi, n)
            sigma = (np.log(hi) - np.log(lo)) / (2 * 1.645)
            return np.exp(rng.normal(np.log(mode), sigma, n))
        return rng.triangular(lo, mode, hi, n)


def draw_all(values: dict[str, Value], paths: int, seed: int) -> dict[str, np.ndarray]:
    """Every input drawn ``paths`` times as a (paths, 1) column; inputs are drawn in sorted-path order with one
    generator, so a seed gives the same paths whatever order the scenario lists its fields in."""
    rng = np.random.default_rng(seed)
    return {key: values[key].draw(rng, paths)[:, None] for key in sorted(values)}


def base_all(values: dict[str, Value]) -> dict[str, np.ndarray]:
    """The deterministic model's inputs: every ``base`` as a (1, 1) array."""
    return {key: np.array([[v.base]], dtype=float) for key, v in values.items()}


def one_at_a_time(values: dict[str, Value], keys: list[str]) -> tuple[dict[str, np.ndarray], list[tuple[str, str]]]:
    """Inputs for a tornado in ONE vectorised run: path 0 is the base case, then each key at its low and high
    with every other input at base. Returns the (2·len(keys) + 1, 1) columns and what each path varies."""
    n = 2 * len(keys) + 1
    out = {key: np.full((n, 1), v.base, dtype=float) for key, v in values.items()}
    labels: list[tuple[str, str]] = [("", "base")]
    for i, key in enumerate(keys):
        v = values[key]
        out[key][1 + 2 * i, 0] = v.low if v.low is not None else v.base
        out[key][2 + 2 * i, 0] = v.high if v.high is not None else v.base
        labels += [(key, "low"), (key, "high")]
    return out, labels
