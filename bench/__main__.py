"""``python -m bench`` (``make bench``): every ``bench/bench_*.py`` in turn, then one table of ratios.

Each benchmark runs in its own process (a cold start must be cold; one benchmark's caches must not help
the next) and reports through :mod:`bench._report`. ``python -m bench burn schedule`` runs a subset.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench._report import Result, parse

ROOT = Path(__file__).resolve().parent.parent


def _modules(names: list[str]) -> list[str]:
    found = sorted(p.stem for p in (ROOT / "bench").glob("bench_*.py"))
    if not names:
        return found
    wanted = [n if n.startswith("bench_") else f"bench_{n}" for n in names]
    unknown = [n for n in wanted if n not in found]
    if unknown:
        raise SystemExit(f"error: no benchmark {', '.join(unknown)}; have {', '.join(found)}")
    return wanted


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 1e3:.2f} ms" if value < 1 else f"{value:.2f} s"


def table(results: list[Result]) -> str:
    """The summary table: what was measured, ours, the reference, the ratio, and the budget if any."""
    rows = [("benchmark", "what", "ours", "reference", "reference ÷ ours", "budget")]
    for r in results:
        ratio = "—" if r.ratio is None else f"{r.ratio:,.1f}x"
        budget = "—"
        if r.budget_s is not None:
            budget = f"{_seconds(r.budget_s)} ({'met' if r.ours_s <= r.budget_s else 'MISSED'})"
        reference = _seconds(r.reference_s) + (f" ({r.reference})" if r.reference else "")
        rows.append((r.benchmark, r.what, _seconds(r.ours_s), reference, ratio, budget))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    results: list[Result] = []
    failed: list[str] = []
    for module in _modules(list(sys.argv[1:] if argv is None else argv)):
        print(f"== {module}", flush=True)
        began = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", f"bench.{module}"], cwd=ROOT, capture_output=True, text=True)
        for line in proc.stdout.splitlines():
            result = parse(line)
            if result is None:
                print(f"   {line}")
            else:
                results.append(result)
        if proc.returncode != 0:
            failed.append(module)
            print(proc.stderr[-2000:])
        print(f"   ({time.perf_counter() - began:.0f} s)", flush=True)
    print()
    print(table(results))
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
