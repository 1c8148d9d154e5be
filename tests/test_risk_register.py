"""Risk register views against hand-computed cases: heat map, EMV ranking, overdue reviews, trend from history."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.risk import probability_level, score_risks
from analytics.risk_register import TREND_FIELDS, heat_map, overdue, risk_trend, statement, top_by_emv


def _register() -> pd.DataFrame:
    # Levels by the PMBOK scale: 5 % → 1, 40 % → 3, 40 % → 3, 90 % → 5, 60 % → 4.
    return score_risks(pd.DataFrame({
        "title": ["Data leak", "GPU price spike", "Key hire leaves", "Competitor launch", "Grant awarded"],
        "kind": ["threat", "threat", "threat", "threat", "opportunity"],
        "probability_pct": [5.0, 40.0, 40.0, 90.0, 60.0],
        "impact": [5, 4, 4, 2, 3],
        "impact_usd": [1_000_000.0, 150_000.0, 100_000.0, 20_000.0, 250_000.0],
        "status": ["open", "open", "monitoring", "open", "open"],
        "review_date": [date(2026, 11, 1), date(2026, 12, 1), None, date(2026, 11, 20), date(2026, 11, 24)],
    }))


def test_heat_map_counts_each_risk_in_its_probability_impact_cell():
    hm = heat_map(_register())
    assert hm.total == 5
    assert hm.counts.shape == (5, 5)
    assert list(hm.counts.index) == [5, 4, 3, 2, 1] and list(hm.counts.columns) == [1, 2, 3, 4, 5]
    assert hm.counts.loc[3, 4] == 2  # two 40 % risks with impact 4
    assert hm.counts.loc[1, 5] == 1 and hm.counts.loc[5, 2] == 1 and hm.counts.loc[4, 3] == 1
    filled = {(lvl, imp) for lvl in hm.counts.index for imp in hm.counts.columns if hm.counts.loc[lvl, imp]}
    assert filled == {(3, 4), (1, 5), (5, 2), (4, 3)}
    assert hm.members.loc[3, 4] == ("GPU price spike", "Key hire leaves")
    assert hm.members.loc[2, 2] == ()


def test_heat_map_of_an_empty_register_is_all_zero():
    empty = score_risks(pd.DataFrame({"title": [], "probability_pct": [], "impact": [], "impact_usd": []}))
    hm = heat_map(empty)
    assert hm.total == 0 and (hm.counts.to_numpy() == 0).all()


def test_emv_is_negative_for_threats_and_positive_for_opportunities_and_ranked_by_size():
    top = top_by_emv(_register(), n=3)
    # |EMV|: grant 0.6 × 250k = 150k (gain), GPU 0.4 × 150k = 60k, data leak 0.05 × 1M = 50k, hire 40k, comp 18k.
    assert top["title"].tolist() == ["Grant awarded", "GPU price spike", "Data leak"]
    assert top["emv_usd"].tolist() == pytest.approx([150_000.0, -60_000.0, -50_000.0])
    assert top["direction"].tolist() == ["expected gain", "expected cost", "expected cost"]


def test_reviews_before_today_are_overdue_unless_closed():
    register = _register()
    register.loc[3, "status"] = "closed"  # competitor launch: overdue date but closed
    late = overdue(register, date(2026, 11, 23))
    assert late["title"].tolist() == ["Data leak"]
    assert late["days_overdue"].tolist() == [22]


def test_a_review_due_today_is_not_overdue():
    assert overdue(_register(), date(2026, 11, 1)).empty


def _entry(at: str, row_id: int, action: str, **state) -> dict:
    base = {"status": "open", "kind": "threat", "probability_pct": 40.0, "impact": 4, "impact_usd": 100_000.0,
            "deleted_at": None}
    after = None if action == "purge" else {**base, **state}
    return {"at": datetime.fromisoformat(at), "row_id": row_id, "action": action, "after": after}


def test_trend_rebuilds_each_weeks_register_from_the_change_log():
    # 2026-11-02 and 11-09 and 11-16 are Mondays.
    log = pd.DataFrame([
        _entry("2026-11-03T10:00", 1, "create"),  # A: 40 % (level 3) × impact 4 = 12, EMV −40k
        _entry("2026-11-04T10:00", 2, "create", probability_pct=80.0, impact=2, impact_usd=50_000.0),  # B: 5×2=10
        _entry("2026-11-10T09:00", 1, "update", probability_pct=10.0),  # A: level 1 → score 4, EMV −10k
        _entry("2026-11-11T09:00", 3, "create", kind="opportunity", probability_pct=50.0, impact=3,
               impact_usd=200_000.0),  # C: level 3 × 3 = 9, EMV +100k
        _entry("2026-11-17T09:00", 2, "update", status="closed"),
        _entry("2026-11-18T09:00", 3, "delete", kind="opportunity", probability_pct=50.0, impact=3,
               impact_usd=200_000.0, deleted_at="2026-11-18T09:00:00"),
    ])
    trend = risk_trend(log, today=date(2026, 11, 23))
    assert [d.date() for d in trend.index] == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16),
                                               date(2026, 11, 23)]
    assert trend["open_risks"].tolist() == [2, 3, 1, 1]
    assert trend["total_emv_usd"].tolist() == pytest.approx([-80_000.0, 50_000.0, -10_000.0, -10_000.0])
    assert trend["mean_score"].tolist() == pytest.approx([11.0, 23 / 3, 4.0, 4.0])


def test_trend_counts_a_restored_risk_again_and_a_purged_one_never():
    log = pd.DataFrame([
        _entry("2026-11-03T10:00", 1, "create"),
        _entry("2026-11-03T11:00", 2, "create"),
        _entry("2026-11-04T10:00", 1, "delete", deleted_at="2026-11-04T10:00:00"),
        _entry("2026-11-10T10:00", 1, "restore"),
        _entry("2026-11-10T11:00", 2, "purge"),
    ])
    trend = risk_trend(log, today=date(2026, 11, 12))
    assert trend["open_risks"].tolist() == [1, 1]  # week 1: only 2 is live; week 2: 1 is back, 2 is gone


def test_trend_of_no_history_is_empty_and_weeks_limits_the_span():
    assert risk_trend(pd.DataFrame(columns=["at", "row_id", "action", "after"]), today=date(2026, 11, 23)).empty
    log = pd.DataFrame([_entry("2026-09-01T10:00", 1, "create")])
    trend = risk_trend(log, today=date(2026, 11, 23), weeks=4)
    assert len(trend) == 4 and trend["open_risks"].tolist() == [1, 1, 1, 1]
    assert np.isclose(trend["mean_score"].iloc[-1], 12.0)


def test_statement_joins_cause_event_effect_and_marks_a_missing_part():
    assert statement("Few GPUs", "Training slips", "Launch is late") == "Few GPUs → Training slips → Launch is late"
    assert statement("", "Training slips", None) == "… → Training slips → …"
    assert statement("", "", "") == ""


def _replay(log: pd.DataFrame, week_starts: list[date]) -> list[tuple[int, float, float]]:
    """Reference: replay the log up to each week's end in plain Python and total the open risks."""
    out = []
    for monday in week_starts:
        end = datetime.combine(monday, datetime.min.time()) + pd.Timedelta(days=7)
        state: dict[int, dict | None] = {}
        for e in log.sort_values("at", kind="stable").itertuples(index=False):
            if e.at < end:
                state[e.row_id] = None if e.action == "purge" or e.after.get("deleted_at") else e.after
        live = [s for s in state.values() if s and s["status"] != "closed"]
        emv = sum((1 if s["kind"] == "opportunity" else -1) * s["probability_pct"] / 100 * s["impact_usd"]
                  for s in live)
        scores = [probability_level(s["probability_pct"]) * s["impact"] for s in live]
        out.append((len(live), emv, sum(scores) / len(scores) if scores else float("nan")))
    return out


@st.composite
def _logs(draw) -> pd.DataFrame:
    rows = []
    for row_id in range(1, draw(st.integers(1, 6)) + 1):
        for _ in range(draw(st.integers(1, 5))):
            action = draw(st.sampled_from(["create", "update", "update", "delete", "restore", "purge"]))
            at = datetime(2026, 10, 1) + pd.Timedelta(hours=draw(st.integers(0, 24 * 60)))
            after = None if action == "purge" else {
                "status": draw(st.sampled_from(["open", "monitoring", "closed"])),
                "kind": draw(st.sampled_from(["threat", "opportunity"])),
                "probability_pct": float(draw(st.integers(0, 100))), "impact": draw(st.integers(1, 5)),
                "impact_usd": float(draw(st.integers(0, 10)) * 10_000),
                "deleted_at": "2026-01-01T00:00:00" if action == "delete" else None}
            rows.append({"at": at, "row_id": row_id, "action": action, "after": after})
    return pd.DataFrame(rows)


@settings(max_examples=60, deadline=None)
@given(_logs(), st.one_of(st.none(), st.integers(1, 12)))
def test_trend_matches_a_plain_replay_of_any_log(log, weeks):
    today = date(2026, 12, 5)
    trend = risk_trend(log, today, weeks=weeks)
    assert trend.index[-1].date() == date(2026, 11, 30)  # the Monday of ``today``'s week
    assert weeks is None or len(trend) <= weeks
    expected = _replay(log, [d.date() for d in trend.index])
    assert trend["open_risks"].tolist() == [e[0] for e in expected]
    assert np.allclose(trend["total_emv_usd"], [e[1] for e in expected])
    assert np.allclose(trend["mean_score"], [e[2] for e in expected], equal_nan=True)


def test_trend_reads_the_fields_as_columns_as_well_as_from_the_after_dicts():
    log = pd.DataFrame([
        _entry("2026-11-03T10:00", 1, "create"),
        _entry("2026-11-04T10:00", 2, "create", kind="opportunity", impact_usd=300_000.0),
        _entry("2026-11-10T10:00", 1, "delete", deleted_at="2026-11-10T10:00:00"),
        _entry("2026-11-11T10:00", 2, "purge"),
    ])
    flat = log.drop(columns="after").join(pd.DataFrame(
        [a or {} for a in log["after"]], columns=list(TREND_FIELDS), index=log.index))
    from_dicts, from_columns = risk_trend(log, date(2026, 11, 23)), risk_trend(flat, date(2026, 11, 23))
    pd.testing.assert_frame_equal(from_dicts, from_columns)
    assert from_columns["open_risks"].tolist() == [2, 0, 0, 0]  # weeks of 2, 9, 16 and 23 November
