"""Risk scoring on the usual 5×5 probability–impact grid, and expected monetary value."""

from __future__ import annotations

import numpy as np
import pandas as pd

# Upper bounds (%) of probability levels 1–5: the example scale of the PMBOK Guide, 6th edition
# (PMI, 2017), table 11-1 — very low 1–10 %, low 11–30 %, moderate 31–50 %, high 51–70 %, very high >70 %.
PROBABILITY_BANDS = (10.0, 30.0, 50.0, 70.0, 100.0)


def probability_level(probability_pct: pd.Series | float) -> pd.Series | int:
    """Map a probability in % to a 1–5 level."""
    levels = np.searchsorted(PROBABILITY_BANDS, np.asarray(probability_pct, dtype=float), side="left") + 1
    levels = np.clip(levels, 1, 5)
    if isinstance(probability_pct, pd.Series):
        return pd.Series(levels, index=probability_pct.index)
    return int(levels)


def score_risks(risks: pd.DataFrame) -> pd.DataFrame:
    """Add ``level`` (1–5), ``score`` (level × impact, 1–25) and ``emv_usd`` (p × $ impact)."""
    out = risks.copy()
    out["level"] = probability_level(out["probability_pct"].astype(float))
    out["score"] = out["level"] * out["impact"].astype(int)
    # Opportunities carry positive value; threats a cost. EMV keeps the sign convention explicit.
    sign = np.where(out.get("kind", "threat") == "opportunity", 1.0, -1.0)
    out["emv_usd"] = sign * out["probability_pct"].astype(float) / 100.0 * out["impact_usd"].astype(float)
    return out
