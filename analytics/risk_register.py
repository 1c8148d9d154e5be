"""The risk register's views: 5×5 heat map, top risks by EMV, overdue reviews, and the trend from history.

Pure functions over DataFrames; scoring (probability level, score, EMV) is :func:`analytics.risk.score_risks`.
Sign convention for expected monetary value (EMV = probability × $ impact): threats are negative
(an expected cost), opportunities positive (an expected gain), so a register's total EMV is its net
expected value in USD.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from analytics.risk import score_risks

LEVELS = (1, 2, 3, 4, 5)
# The state columns the trend needs from a risk's change-log snapshot.
TREND_FIELDS = ("status", "kind", "probability_pct", "impact", "impact_usd", "deleted_at")


@dataclass(frozen=True)
class HeatMap:
    """Counts of risks per (probability level, impact) cell and the labels of the risks in each cell.

    ``counts`` and ``members`` are indexed by probability level 5 → 1 (top row = most likely, as
    the grid is usually drawn) with impact 1 → 5 as columns.
    """

    counts: pd.DataFrame
    members: pd.DataFrame

    @property
    def total(self) -> int:
        return int(self.counts.to_numpy().sum())


def heat_map(scored: pd.DataFrame, label: str = "title") -> HeatMap:
    """The 5×5 probability–impact matrix of ``scored`` risks (output of ``score_risks``)."""
    counts = np.zeros((5, 5), dtype=int)
    levels = scored["level"].to_numpy(dtype=int) if not scored.empty else np.array([], dtype=int)
    impacts = scored["impact"].to_numpy(dtype=int) if not scored.empty else np.array([], dtype=int)
    # Row 0 is level 5, so the most likely risks are drawn on top.
    np.add.at(counts, (5 - levels, impacts - 1), 1)
    members = [[() for _ in LEVELS] for _ in LEVELS]
    if not scored.empty:
        for (level, impact), labels in scored.groupby(["level", "impact"])[label]:
            members[5 - int(level)][int(impact) - 1] = tuple(str(x) for x in labels)
    index = pd.Index(LEVELS[::-1], name="probability level")
    columns = pd.Index(LEVELS, name="impact")
    return HeatMap(pd.DataFrame(counts, index=index, columns=columns),
                   pd.DataFrame(members, index=index, columns=columns))


def top_by_emv(scored: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` risks with the largest expected monetary value in either direction (|EMV|, USD).

    Adds ``direction``: "expected cost" for threats (negative EMV), "expected gain" for opportunities.
    Ties are broken by score, then by the row order of the register.
    """
    if scored.empty:
        return scored.assign(direction=pd.Series(dtype=str))
    out = scored.assign(_abs=scored["emv_usd"].abs(), _pos=np.arange(len(scored)))
    out = out.sort_values(["_abs", "score", "_pos"], ascending=[False, False, True]).head(n)
    out["direction"] = np.where(out["emv_usd"] > 0, "expected gain", "expected cost")
    return out.drop(columns=["_abs", "_pos"])


def overdue(risks: pd.DataFrame, today: date) -> pd.DataFrame:
    """Risks whose review date is before ``today`` and that are not closed, most overdue first.

    Adds ``days_overdue`` (calendar days). Risks without a review date are never overdue.
    """
    review = pd.to_datetime(risks["review_date"], errors="coerce")
    late = review.notna() & (review < pd.Timestamp(today)) & (risks["status"] != "closed")
    out = risks[late].copy()
    out["days_overdue"] = (pd.Timestamp(today) - review[late]).dt.days.astype(int)
    return out.sort_values("days_overdue", ascending=False)


def _states(log: pd.DataFrame) -> pd.DataFrame:
    """One row per change-log entry: when, which risk, and the risk's state just after it."""
    after = log["after"].map(lambda a: a if isinstance(a, dict) else {})
    states = pd.DataFrame.from_records(list(after), columns=list(TREND_FIELDS), index=log.index)
    states["at"] = pd.to_datetime(log["at"])
    states["row_id"] = log["row_id"].astype(int)
    # A purge leaves no "after": the risk is gone from then on, like a soft delete.
    states["gone"] = log["action"].eq("purge") | states["deleted_at"].notna()
    return states


def risk_trend(log: pd.DataFrame, today: date, weeks: int | None = None) -> pd.DataFrame:
    """Weekly register state rebuilt from a risk table's change log.

    ``log`` has one row per change of a risk: ``at`` (UTC time), ``row_id``, ``action``
    (create/update/delete/restore/purge) and ``after`` (the row's values after the change, a dict,
    None for a purge). For the end of each week (Sunday 23:59:59) from the first change's week to
    ``today``'s (or the last ``weeks`` weeks) it takes every risk's latest state at that instant and
    returns, indexed by the week's Monday:

    - ``open_risks``: live risks that are not closed;
    - ``total_emv_usd``: their summed EMV in USD (threats negative, opportunities positive);
    - ``mean_score``: their mean 5×5 score (NaN in a week without open risks).
    """
    columns = ["open_risks", "total_emv_usd", "mean_score"]
    if log.empty:
        return pd.DataFrame(columns=columns, index=pd.DatetimeIndex([], name="week"))
    states = _states(log).sort_values(["at"], kind="stable")
    first = states["at"].min().normalize()
    monday = first - pd.Timedelta(days=first.weekday())
    this_monday = pd.Timestamp(today - timedelta(days=today.weekday()))
    week_starts = pd.date_range(monday, max(this_monday, monday), freq="7D")
    if weeks is not None:
        week_starts = week_starts[-weeks:]
    ends = week_starts + pd.Timedelta(days=7) - pd.Timedelta(microseconds=1)
    # Every (week, risk) pair, then each pair's latest state at the week's end (as-of join).
    grid = pd.MultiIndex.from_product([ends, states["row_id"].unique()], names=["end", "row_id"]).to_frame(
        index=False).sort_values("end")
    joined = pd.merge_asof(grid, states, left_on="end", right_on="at", by="row_id", direction="backward")
    live = joined[joined["at"].notna() & ~joined["gone"].astype(bool) & (joined["status"] != "closed")]
    scored = score_risks(live.fillna({"kind": "threat", "impact_usd": 0.0}))
    per_week = scored.groupby("end").agg(open_risks=("row_id", "size"), total_emv_usd=("emv_usd", "sum"),
                                         mean_score=("score", "mean"))
    out = per_week.reindex(ends).rename_axis("week")
    out.index = week_starts.rename("week")
    out["open_risks"] = out["open_risks"].fillna(0).astype(int)
    out["total_emv_usd"] = out["total_emv_usd"].fillna(0.0)
    return out[columns]


def statement(cause: Any, event: Any, effect: Any) -> str:
    """The risk's cause → event → effect statement; a missing part shows as "…", all missing as ""."""
    parts = [str(x).strip() if x is not None and x == x else "" for x in (cause, event, effect)]
    if not any(parts):
        return ""
    return " → ".join(p or "…" for p in parts)
