"""Risk scoring: probability bands, 5×5 score and expected monetary value."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.risk import probability_level, score_risks


@pytest.mark.parametrize(("pct", "level"), [(0, 1), (10, 1), (10.1, 2), (30, 2), (50, 3), (70, 4), (71, 5), (100, 5)])
def test_probability_bands(pct, level):
    assert probability_level(pct) == level


def test_score_and_emv():
    risks = pd.DataFrame({"probability_pct": [40.0, 80.0], "impact": [4, 2], "impact_usd": [100_000.0, 50_000.0],
                          "kind": ["threat", "opportunity"]})
    scored = score_risks(risks)
    assert scored["score"].tolist() == [12, 10]
    assert scored["emv_usd"].tolist() == [-40_000.0, 40_000.0]
