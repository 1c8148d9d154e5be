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
    """One row per change-log entry: when, which risk, and the risk's state just after it, scored."""
    if set(TREND_FIELDS) <= set(log.columns):
        states = log[list(TREND_FIELDS)].copy()  # already extracted (by the database, say)
    else:
        afters = [a if isinstance(a, dict) else {} for a in log["after"]]
        states = pd.DataFrame({f: [a.get(f) for a in afters] for f in TREND_FIELDS}, index=log.index)
    states["at"] = pd.to_datetime(log["at"])
    states["row_id"] = log["row_id"].astype(int)
    # A purge leaves no "after": the risk is gone from then on, like a soft delete.
    states["gone"] = log["action"].eq("purge") | states["deleted_at"].notna()
    states["open"] = ~states["gone"] & states["status"].ne("closed") & states["probability_pct"].notna()
    scored = score_risks(states.fillna({"kind": "threat", "probability_pct": 0.0, "impact": 1, "impact_usd": 0.0}))
    return states.assign(score=scored["score"], emv_usd=scored["emv_usd"])


def risk_trend(log: pd.DataFrame, today: date, weeks: int | None = None) -> pd.DataFrame:
    """Weekly register state rebuilt from a risk table's change log.

    ``log`` has one row per change of a risk: ``at`` (UTC time), ``row_id``, ``action``
    (create/update/delete/restore/purge) and ``after`` (the row's values after the change, a dict,
    None for a purge) — or, instead of ``after``, its :data:`TREND_FIELDS` as columns. For the end of
    each week (Sunday 24:00) from the first change's week to ``today``'s (or the last ``weeks`` weeks)
    it takes every risk's latest state at that instant and returns, indexed by the week's Monday:

    - ``open_risks``: live risks that are not closed;
    - ``total_emv_usd``: their summed EMV in USD (threats negative, opportunities positive);
    - ``mean_score``: their mean 5×5 score (NaN in a week without open risks).
    """
    columns = ["open_risks", "total_emv_usd", "mean_score"]
    if log.empty:
        return pd.DataFrame(columns=columns, index=pd.DatetimeIndex([], name="week"))
    states = _states(log)
    first = states["at"].min().normalize()
    monday = first - pd.Timedelta(days=first.weekday())
    this_monday = pd.Timestamp(today - timedelta(days=today.weekday()))
    week_starts = pd.date_range(monday, max(this_monday, monday), freq="7D")
    if weeks is not None:
        week_starts = week_starts[-weeks:]
    # Microseconds since the earliest instant involved (never negative, so a risk's keys stay in its own
    # block): a risk × time key then fits in int64 for centuries.
    origin = min(week_starts[0], states["at"].min())
    at = ((states["at"] - origin) // pd.Timedelta(microseconds=1)).to_numpy(dtype=np.int64)
    ends = ((week_starts + pd.Timedelta(days=7) - origin) // pd.Timedelta(microseconds=1)).to_numpy(dtype=np.int64)
    risk_ids, risk = np.unique(states["row_id"].to_numpy(), return_inverse=True)
    span = max(int(at.max()), int(ends.max())) + 1
    # Sort the log by (risk, time) in one key; for every (week, risk) the latest entry before the week's
    # end is one binary search away: the as-of join, vectorised over weeks × risks.
    keys = risk.astype(np.int64) * span + at
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    wanted = np.arange(len(risk_ids), dtype=np.int64)[None, :] * span + ends[:, None]
    found = np.searchsorted(keys, wanted, side="left") - 1
    safe = np.clip(found, 0, None)
    entry = order[safe]
    exists = (found >= 0) & (risk[entry] == np.arange(len(risk_ids))[None, :])
    live = exists & states["open"].to_numpy(dtype=bool)[entry]
    count = live.sum(axis=1)
    emv = np.where(live, states["emv_usd"].to_numpy(dtype=float)[entry], 0.0).sum(axis=1)
    score = np.where(live, states["score"].to_numpy(dtype=float)[entry], 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, score / np.maximum(count, 1), np.nan)
    return pd.DataFrame({"open_risks": count.astype(int), "total_emv_usd": emv + 0.0, "mean_score": mean},
                        index=week_starts.rename("week"))[columns]


def statement(cause: Any, event: Any, effect: Any) -> str:
    """The risk's cause → event → effect statement; a missing part shows as "…", all missing as ""."""
    parts = [str(x).strip() if x is not None and x == x else "" for x in (cause, event, effect)]
    if not any(parts):
        return ""
    return " → ".join(p or "…" for p in parts)
