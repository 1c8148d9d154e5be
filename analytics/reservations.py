"""GPU reservations against the tasks that need GPUs and against the compute budget.

Conventions: a reservation's ``end_date`` is inclusive (the GPUs are paid for that whole day, 24 h a day);
a task occupies ``start_date <= day < end_date`` (see :mod:`analytics.allocation`). Released and cancelled
reservations cover nothing and cost nothing; requested ones count, and are marked as not yet confirmed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LIVE_STATUSES = ("requested", "confirmed", "active")
FIRM_STATUSES = ("confirmed", "active")
COVERAGE_COLUMNS = ["task_id", "task", "gpu_type", "gpus_needed", "start_date", "end_date", "gpus_reserved",
                    "reservations", "coverage", "confirmed"]


def gpu_needs(tasks: pd.DataFrame, allocations: pd.DataFrame, pools: pd.DataFrame) -> pd.DataFrame:
    """Tasks that need GPUs: one row per (task, GPU type) with the GPUs its allocations ask for.

    ``tasks`` indexed by id (name, start_date, end_date); ``allocations`` (task_id, compute_resource_id,
    gpu_count); ``pools`` indexed by id (gpu_type). Tasks without both dates are left out (nothing to cover).
    """
    columns = ["task_id", "task", "gpu_type", "gpus_needed", "start_date", "end_date"]
    if allocations.empty or pools.empty:
        return pd.DataFrame(columns=columns)
    rows = allocations[allocations["compute_resource_id"].notna() & (allocations["gpu_count"].astype(float) > 0)]
    rows = rows.assign(gpu_type=rows["compute_resource_id"].map(pools["gpu_type"]))
    rows = rows[rows["gpu_type"].notna() & rows["task_id"].isin(tasks.index)]
    need = rows.groupby(["task_id", "gpu_type"], as_index=False)["gpu_count"].sum()
    need = need.rename(columns={"gpu_count": "gpus_needed"})
    dated = tasks.dropna(subset=["start_date", "end_date"])
    need = need[need["task_id"].isin(dated.index)]
    need["task"] = need["task_id"].map(tasks["name"])
    need["start_date"] = need["task_id"].map(dated["start_date"])
    need["end_date"] = need["task_id"].map(dated["end_date"])
    return need[columns].reset_index(drop=True)


def reservation_coverage(needs: pd.DataFrame, reservations: pd.DataFrame) -> pd.DataFrame:
    """For each GPU need, the live reservations that cover the task's whole span, and a verdict.

    A reservation applies to a need when it names the task, or names no task and has the same GPU type
    (case-insensitive). ``coverage``: "covered" (reserved GPUs over the whole span >= needed), "partial"
    (too few GPUs, or reservations overlap only part of the span) or "none" (flagged on the page).
    ``confirmed``: every covering reservation is confirmed or active. An unlinked reservation may be
    counted for several tasks at once; link it to a task to make the cover unambiguous.
    """
    if needs.empty:
        return pd.DataFrame(columns=COVERAGE_COLUMNS)
    out = needs.reset_index(drop=True).copy()
    live = reservations[reservations["status"].isin(LIVE_STATUSES)] if not reservations.empty else reservations
    if live.empty:
        out[["gpus_reserved", "reservations", "coverage", "confirmed"]] = [0.0, "", "none", False]
        return out[COVERAGE_COLUMNS]
    res = live.reset_index().rename(columns={"id": "reservation_id", "task_id": "res_task_id",
                                             "gpu_type": "res_gpu_type", "start_date": "res_start",
                                             "end_date": "res_end"})
    pairs = out.reset_index().rename(columns={"index": "need"}).merge(res, how="cross")
    same_task = pairs["res_task_id"] == pairs["task_id"]
    same_type = pairs["res_task_id"].isna() & (
        pairs["res_gpu_type"].str.casefold() == pairs["gpu_type"].astype(str).str.casefold())
    pairs = pairs[same_task | same_type]
    t0, t1 = pd.to_datetime(pairs["start_date"]), pd.to_datetime(pairs["end_date"])
    r0, r1 = pd.to_datetime(pairs["res_start"]), pd.to_datetime(pairs["res_end"]) + pd.Timedelta(days=1)
    covers = (r0 <= t0) & (r1 >= t1)
    overlaps = (r0 < t1) & (r1 > t0)
    pairs = pairs.assign(covers=covers, overlaps=overlaps, firm=pairs["status"].isin(FIRM_STATUSES))
    covering = pairs[pairs["covers"]]
    reserved = covering.groupby("need")["count"].sum()
    names = covering.groupby("need")["reservation_id"].agg(lambda s: ", ".join(f"#{i}" for i in s))
    firm = covering.groupby("need")["firm"].all()
    touched = pairs[pairs["overlaps"]].groupby("need").size()
    out["gpus_reserved"] = reserved.reindex(out.index).fillna(0.0).astype(float)
    out["reservations"] = names.reindex(out.index).astype(object).fillna("")
    out["confirmed"] = firm.reindex(out.index).astype("boolean").fillna(False).astype(bool)
    enough = out["gpus_reserved"] >= out["gpus_needed"].astype(float) - 1e-9
    some = touched.reindex(out.index).fillna(0).to_numpy() > 0
    out["coverage"] = np.where(enough, "covered", np.where(some, "partial", "none"))
    return out[COVERAGE_COLUMNS]


def reservation_cost_by_month(reservations: pd.DataFrame, months: pd.DatetimeIndex) -> pd.DataFrame:
    """Reserved GPU-hours and their cost per calendar month: count × 24 h × days reserved × $/GPU-hour.

    Only live reservations (requested, confirmed, active) count. Columns: gpu_hours, reserved_usd.
    """
    out = pd.DataFrame(index=months, data={"gpu_hours": 0.0, "reserved_usd": 0.0})
    out.index.name = "month"
    live = reservations[reservations["status"].isin(LIVE_STATUSES)] if not reservations.empty else reservations
    if live.empty:
        return out
    m0 = months.values.astype("datetime64[D]")[None, :]
    m1 = (months + pd.offsets.MonthBegin(1)).values.astype("datetime64[D]")[None, :]
    lo = pd.to_datetime(live["start_date"]).to_numpy(dtype="datetime64[D]")[:, None]
    hi = pd.to_datetime(live["end_date"]).to_numpy(dtype="datetime64[D]")[:, None] + np.timedelta64(1, "D")
    days = np.clip((np.minimum(hi, m1) - np.maximum(lo, m0)).astype("timedelta64[D]").astype(float), 0, None)
    hours = days * 24.0 * live["count"].astype(float).to_numpy()[:, None]
    out["gpu_hours"] = hours.sum(axis=0)
    out["reserved_usd"] = (hours * live["hourly_rate_usd"].astype(float).to_numpy()[:, None]).sum(axis=0)
    return out


def reservations_vs_budget(reserved: pd.DataFrame, compute_burn: pd.Series) -> pd.DataFrame:
    """Reserved spend per month next to the compute spend the plan's GPU pools already burn.

    ``uncovered_usd`` is what reservations commit beyond the planned compute burn in that month: money
    the burn and runway do not yet include, so the page flags those months.
    """
    out = reserved.copy()
    out["compute_burn_usd"] = compute_burn.reindex(out.index).fillna(0.0).to_numpy()
    out["uncovered_usd"] = (out["reserved_usd"] - out["compute_burn_usd"]).clip(lower=0.0)
    return out
