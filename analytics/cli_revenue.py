"""``python -m analytics revenue FILE.json [--json] [--paths N] [--seed S]``: run a scenario file.

The file is the document the Revenue page saves and downloads (``examples/demo-scenario.json`` is the demo's).
Prints the monthly table and the metrics at each year end; ``--json`` prints them as one JSON object;
``--paths N`` adds a seeded Monte Carlo (P10/P50/P90 of cash, probability of running out, break-even months).
A malformed file is refused naming the field, exit code 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from analytics.revenue.report import build_report
from analytics.revenue.spec import SpecError, parse

MAX_PATHS = 100_000


def _clean(x: Any) -> Any:
    """JSON has no inf or nan: they are written as null."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    return x


def _summary(report: Any) -> dict[str, Any]:
    h = report.headline
    out: dict[str, Any] = {
        "name": report.name,
        "headline": {k: getattr(h, k) for k in h.__dataclass_fields__},
        "metrics": {report.months[m].strftime("%Y-%m"):
                    {x.name: {"value": x.value, "unit": x.unit, "verdict": x.verdict} for x in ms}
                    for m, ms in report.metrics.items()},
        "monthly": [{"month": idx.strftime("%Y-%m"), **{k: float(v) for k, v in row.items()}}
                    for idx, row in report.table.iterrows()],
    }
    mc = report.monte_carlo
    if mc is not None:
        out["monte_carlo"] = {
            "paths": mc.paths, "seed": mc.seed, "ranged_inputs": mc.ranged_inputs,
            "cash_end": {f"p{q}": float(v[-1]) for q, v in mc.cash.items()},
            "p_cash_out_by_end": float(mc.p_cash_out_by[-1]), "p_break_even": mc.p_break_even,
            "break_even_month": {f"p{q}": v for q, v in mc.break_even_percentiles().items()},
        }
    return _clean(out)


def _dollars(value: float) -> str:
    """-$518,164, not $-518,164."""
    return f"-${abs(value):,.0f}" if value < 0 else f"${value:,.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analytics revenue", description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="scenario JSON (see examples/demo-scenario.json)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--paths", type=int, default=0, help=f"Monte Carlo paths (0 to {MAX_PATHS:,})")
    parser.add_argument("--seed", type=int, default=0, help="Monte Carlo seed")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
    if not 0 <= args.paths <= MAX_PATHS:
        print(f"error: --paths must be between 0 and {MAX_PATHS:,} (got {args.paths})", file=sys.stderr)
        return 2
    try:
        raw = json.loads(args.file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    except json.JSONDecodeError as exc:
        print(f"error: {args.file} is not JSON: line {exc.lineno} column {exc.colno}: {exc.msg}", file=sys.stderr)
        return 2
    try:
        parsed = parse(raw)
    except SpecError as exc:
        print(f"error: {args.file}: {exc}", file=sys.stderr)
        return 2
    report = build_report(parsed, mc_paths=args.paths, seed=args.seed)
    summary = _summary(report)
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    h = summary["headline"]
    print(f"{report.name}: {len(report.months)} months from {report.months[0]:%Y-%m}")
    be = h["break_even_month"]
    print(f"break-even: {report.months[be]:%Y-%m}" if be is not None else "break-even: not within the horizon")
    print(f"ending cash: {_dollars(h['ending_cash_usd'])}; NPV: {_dollars(h['npv_usd'])}")
    cols = ["revenue", "COGS", "gross margin", "opex", "EBITDA", "cash", "customers"]
    table = report.table[cols].round(2)
    table.index = table.index.strftime("%Y-%m")
    print(table.to_string())
    for m, metrics in report.metrics.items():
        print(f"\nmetrics at {report.months[m]:%Y-%m}:")
        for x in metrics:
            print(f"  {x.name:<16} {x.shown:>14}  {x.verdict}")
    if "monte_carlo" in summary:
        print("\nMonte Carlo:", json.dumps(summary["monte_carlo"]))
    return 0
