"""``python -m analytics schedule FILE.csv [--json]``: critical path and Monte Carlo for a task list.

The CSV has a header row with ``id``, ``name``, either ``duration`` or ``optimistic``, ``likely`` and
``pessimistic`` (days), and optionally ``predecessors``: ids separated by ``;`` or ``,``, each with an
optional link type and lag, e.g. ``2FS+3;5SS`` or ``2,5`` (finish-to-start, no lag, when omitted).
Any refusal is one line on stderr naming the row and column, and exit code 2.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analytics.schedule import Calendar, critical_path, link_string
from analytics.schedule_mc import DISTRIBUTIONS, finish_table, simulate

MAX_BYTES = 20_000_000
MAX_ITERATIONS = 1_000_000
# A hundred years per task or lag: longer is a typo (seconds or hours typed as days), and dates stop at 2262.
MAX_DAYS = 36_500
# ASCII digits only: Unicode \d took '١' (Arabic-Indic one) as task 1, a second spelling of an id.
_LINK = re.compile(r"^(\d+)\s*(FS|SS|FF|SF)?\s*(?:([+-])\s*(\d+(?:\.\d+)?)\s*d?)?$", re.IGNORECASE | re.ASCII)
_ESTIMATES = ("optimistic", "likely", "pessimistic")


class RefusalError(ValueError):
    """A problem with the input, said in one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not argparse's usage block
        raise RefusalError(f"error: {message} (see --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m analytics schedule", description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="CSV task list")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--iterations", type=int, default=5_000, help="Monte Carlo iterations (default 5000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--distribution", choices=DISTRIBUTIONS, default="pert", help="duration distribution")
    parser.add_argument("--start", type=date.fromisoformat, default=None, help="project start YYYY-MM-DD (today)")
    parser.add_argument("--working-days", action="store_true", help="count Monday–Friday only (default: every day)")
    return parser


def _number(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise RefusalError(f"{where}: must be a number of days, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise RefusalError(f"{where}: must be a number of days >= 0, got {text!r}")
    if value > MAX_DAYS:
        raise RefusalError(f"{where}: {text!r} days is over {MAX_DAYS:,} (a hundred years); is the unit right?")
    return value


def read_tasks(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse and check the CSV; returns (tasks, links) or raises :class:`RefusalError` naming row and column."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise RefusalError(f"{path}: larger than {MAX_BYTES // 1_000_000} MB; split the plan")
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise RefusalError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise RefusalError(f"{path}: is not UTF-8 text; save it as CSV UTF-8") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise RefusalError(f"{path}: is empty; expected a header row with id, name and duration or three estimates")
    header = [h.strip().lower() for h in rows[0]]
    if len(set(header)) != len(header):
        raise RefusalError(f"{path}: header repeats a column name")
    has_estimates = all(c in header for c in _ESTIMATES)
    if "id" not in header or not ("duration" in header or has_estimates):
        raise RefusalError(f"{path}: header must have id and duration (or optimistic, likely, pessimistic); "
                           f"got {header}")
    records, raw_links, seen = [], [], {}
    for n, cells in enumerate(rows[1:], start=1):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            raise RefusalError(f"{path}: row {n}: has {len(cells)} cells but the header has {len(header)} columns")
        row = dict(zip(header, [c.strip() for c in cells] + [""] * (len(header) - len(cells)), strict=True))
        if not re.fullmatch(r"[0-9]{1,9}", row["id"]):
            raise RefusalError(f"{path}: row {n}, column 'id': must be a whole number, got {row['id']!r}")
        task_id = int(row["id"])
        if task_id in seen:
            raise RefusalError(f"{path}: row {n}, column 'id': {task_id} is already used by row {seen[task_id]}")
        seen[task_id] = n
        record: dict[str, Any] = {"id": task_id, "name": row.get("name", ""), "row": n}
        if has_estimates and all(row[c] for c in _ESTIMATES):
            o, m, p = (_number(row[c], f"{path}: row {n}, column '{c}'") for c in _ESTIMATES)
            if not o <= m <= p:
                raise RefusalError(f"{path}: row {n}, columns optimistic/likely/pessimistic: need optimistic <= likely "
                              f"<= pessimistic, got {o:g}/{m:g}/{p:g}")
            record.update(optimistic=o, likely=m, pessimistic=p)
        elif row.get("duration"):
            d = _number(row["duration"], f"{path}: row {n}, column 'duration'")
            record.update(optimistic=d, likely=d, pessimistic=d)
        else:
            missing = "duration" if not has_estimates else "optimistic/likely/pessimistic"
            raise RefusalError(f"{path}: row {n}, column '{missing}': is empty")
        records.append(record)
        for token in filter(None, (t.strip() for t in re.split(r"[;,]", row.get("predecessors", "")))):
            match = _LINK.match(token)
            if not match:
                raise RefusalError(f"{path}: row {n}, column 'predecessors': {token!r} is not like 2, 2FS, 2SS+3 "
                                   "or 2FF-1")
            pred, kind, sign, lag = match.groups()
            if lag is not None and float(lag) > MAX_DAYS:
                raise RefusalError(f"{path}: row {n}, column 'predecessors': lag {lag} days is over {MAX_DAYS:,}")
            raw_links.append((n, int(pred), task_id, (kind or "FS").upper(),
                              (-1 if sign == "-" else 1) * float(lag or 0)))
    if not records:
        raise RefusalError(f"{path}: has a header but no task rows")
    for n, pred, succ, _kind, _lag in raw_links:
        if pred not in seen:
            raise RefusalError(f"{path}: row {n}, column 'predecessors': task {pred} is not in the file")
        if pred == succ:
            raise RefusalError(f"{path}: row {n}, column 'predecessors': a task cannot depend on itself")
    links = pd.DataFrame([r[1:] for r in raw_links], columns=["predecessor", "successor", "kind", "lag"])
    if links.duplicated(["predecessor", "successor"]).any():
        n = raw_links[int(np.flatnonzero(links.duplicated(["predecessor", "successor"]).to_numpy())[0])][0]
        raise RefusalError(f"{path}: row {n}, column 'predecessors': lists the same predecessor twice")
    return pd.DataFrame(records), links


def schedule_report(tasks: pd.DataFrame, links: pd.DataFrame, *, calendar: Calendar, iterations: int, seed: int,
                    distribution: str) -> dict[str, Any]:
    """CPM and Monte Carlo results as plain JSON-ready data."""
    cpm = critical_path(tasks.assign(duration=tasks["likely"]), links)
    sim = simulate(tasks, links, iterations=iterations, distribution=distribution, seed=seed)
    mc = finish_table(sim, calendar).loc["project"]
    ordered = cpm.sort_values(["es", "ef"])
    rows = []
    for task_id, r in cpm.iterrows():
        task = tasks.set_index("id").loc[task_id]
        preds = links[links["successor"] == task_id]
        rows.append({
            "id": int(task_id), "name": task["name"], "duration": float(task["likely"]),
            "predecessors": ";".join(f"{p}{link_string(k, g)}" for p, k, g in
                                     zip(preds["predecessor"], preds["kind"], preds["lag"], strict=True)),
            **{k: round(float(r[k]), 6) for k in ("es", "ef", "ls", "lf", "total_float")},
            "critical": bool(r["critical"]),
            # A milestone falls on the last day of the work before it, as on the Roadmap page.
            "start": str(calendar.start_dates(r["es"]) if r["ef"] > r["es"] else calendar.finish_dates(r["ef"])),
            "finish": str(calendar.finish_dates(r["ef"])),
            "criticality_index": round(float(sim.criticality[task_id]), 4),
        })
    return {
        "start": calendar.start.isoformat(), "calendar": "working days" if calendar.working_days else "calendar days",
        "finish_days": float(cpm["ef"].max()), "finish": str(calendar.finish_dates(cpm["ef"].max())),
        "critical_path": [int(i) for i in ordered.index[ordered["critical"].to_numpy()]],
        "tasks": rows,
        "monte_carlo": {"iterations": iterations, "distribution": distribution, "seed": seed,
                        **{f"{q}_days": round(float(mc[f"{q}_days"]), 6) for q in ("p50", "p80", "p95")},
                        **{f"{q}_date": mc[f"{q}_date"].isoformat() for q in ("p50", "p80", "p95")}},
    }


def _table(report: dict[str, Any]) -> str:
    lines = [f"{'id':>6}  {'task':<32} {'days':>6} {'start':>10}  {'finish':>10} {'float':>6}  crit  index"]
    for t in report["tasks"]:
        lines.append(f"{t['id']:>6}  {t['name'][:32]:<32} {t['duration']:>6g} {t['start']:>10}  {t['finish']:>10} "
                     f"{t['total_float']:>6g}  {'*' if t['critical'] else ' ':^4} {t['criticality_index']:>5.0%}")
    mc = report["monte_carlo"]
    lines += ["", f"plan finish {report['finish']} ({report['calendar']} from {report['start']}); critical path: "
              + " → ".join(str(i) for i in report["critical_path"]),
              f"Monte Carlo ({mc['iterations']:,} iterations, {mc['distribution']}, seed {mc['seed']}): "
              f"P50 {mc['p50_date']}, P80 {mc['p80_date']}, P95 {mc['p95_date']}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the subcommand; 0 on success, 2 (one line on stderr) on any refusal."""
    try:
        args = _parser().parse_args(argv)
        if not 1 <= args.iterations <= MAX_ITERATIONS:
            raise RefusalError(f"error: --iterations must be between 1 and {MAX_ITERATIONS:,}")
        if not 0 <= args.seed < 2**63:
            raise RefusalError("error: --seed must be a whole number >= 0")
        tasks, links = read_tasks(args.file)
        calendar = Calendar(args.start or date.today(), working_days=args.working_days)
        try:
            report = schedule_report(tasks, links, calendar=calendar, iterations=args.iterations, seed=args.seed,
                                     distribution=args.distribution)
        except (OverflowError, NotImplementedError, pd.errors.OutOfBoundsDatetime):
            raise RefusalError(f"{args.file}: the plan would end after the last date a calendar holds (2262); "
                               "check the durations and lags") from None
    except (RefusalError, ValueError) as exc:  # ValueError: a cycle, named by its tasks
        print(f"{args.file}: {exc}" if not isinstance(exc, RefusalError) else str(exc), file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    print(json.dumps(report, indent=2) if args.json else _table(report))
    return 0
