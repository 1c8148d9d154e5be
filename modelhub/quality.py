"""Quality bars: train (or fit) each model in a config and compare its metric with its bar.

A bar is the registry entry's ``quality_bar``, or — for the GPT — another model's *measured* metric on the
same data in the same units: the GPT's **validation** loss (nats per byte) must be lower than the word N-gram's,
fitted in the same run (the issue's bar: the test split stays a fresh check, and both losses are reported).
``python -m modelhub.quality [NAME ...] [--config default]`` prints one row per model (model, config, metric,
bar, measured, pass/fail, seconds) and exits 1 if any model misses its bar; ``make quality`` runs it for every
model with a bar.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from typing import Any

from modelhub import registry

# Bars that are another model's measured metric (same data, same units), not a fixed number:
# model → (reference model, the metric both are compared on).
RELATIVE_BARS = {"gpt": ("ngram", "val_loss")}


def relative_bar(entry: registry.ModelEntry) -> tuple[str, str] | None:
    """(reference model, metric) when the entry must beat another model's measured metric, else None."""
    return entry.beats or RELATIVE_BARS.get(entry.name)


def bar_label(entry: registry.ModelEntry) -> str:
    """The bar in words for tables: a number, "below ngram's measured" for a relative bar, or "" for none."""
    parts = []
    if entry.quality_bar is not None:
        parts.append(f"{'≥' if entry.higher_is_better else '≤'} {entry.quality_bar:g}")
    if relative_bar(entry):
        reference, metric = relative_bar(entry)  # type: ignore[misc]
        parts.append(f"{metric} {'above' if entry.higher_is_better else 'below'} {reference}'s measured")
    parts += [f"{m} {op.replace('>=', '≥').replace('<=', '≤')} {v:g}" for m, (op, v) in entry.extra_bars.items()]
    return "; ".join(parts)


def extras_hold(entry: registry.ModelEntry, metrics: dict[str, float]) -> bool:
    """Whether every further condition of the entry's bar holds (a missing metric fails)."""
    for metric, (op, value) in entry.extra_bars.items():
        if metric not in metrics:
            return False
        if not (metrics[metric] >= value if op == ">=" else metrics[metric] <= value):
            return False
    return True


@dataclass(frozen=True)
class QualityRow:
    """One model's quality check; ``bar_source`` says where the bar comes from."""

    model: str
    config: str
    metric: str
    bar: float
    bar_source: str
    measured: float
    passed: bool
    higher_is_better: bool
    seconds: float
    metrics: dict[str, float]


def measure(name: str, config: str = "default", **overrides: Any) -> tuple[dict[str, float], float]:
    """Train (torch) or fit (scikit-learn, counting) ``name``; returns its final metrics and the wall seconds."""
    from modelhub import trainer

    recipe = registry.create(name, config, **overrides)
    began = time.perf_counter()
    if recipe.kind == "fit":
        metrics = recipe.fit().evaluate()
    else:
        metrics = trainer.train(recipe, device="cpu").metrics
    return metrics, time.perf_counter() - began


def models_with_bars() -> list[str]:
    """Registered models that have a quality bar (fixed or relative)."""
    return [e.name for e in registry.entries() if e.quality_bar is not None or relative_bar(e)]


Cache = dict[tuple[str, str], tuple[dict[str, float], float]]


def check(name: str, config: str = "default", cache: Cache | None = None, **overrides: Any) -> QualityRow:
    """Measure ``name`` and compare with its bar (measuring the reference model first for a relative bar)."""
    cache = {} if cache is None else cache
    entry = registry.get(name)

    def measured(model: str, **kw: Any) -> tuple[dict[str, float], float]:
        if (model, config) not in cache or kw:
            cache[(model, config)] = measure(model, config, **kw)
        return cache[(model, config)]

    metric = entry.metric
    relative = relative_bar(entry)
    if relative:
        reference, metric = relative
        ref_metrics, _ = measured(reference)
        bar, source = ref_metrics[metric], f"{reference}'s measured {metric}"
    elif entry.quality_bar is not None:
        bar, source = entry.quality_bar, "registry"
    else:
        raise ValueError(f"model {name!r} has no quality bar")
    metrics, seconds = measured(name, **overrides)
    value = metrics[metric]
    if relative:  # must strictly beat the reference model, and meet a fixed bar on the entry's metric too
        passed = value > bar if entry.higher_is_better else value < bar
        if entry.quality_bar is not None:
            passed = passed and bool(entry.passes(metrics[entry.metric]))
    else:
        passed = bool(entry.passes(value))
    passed = passed and extras_hold(entry, metrics)
    return QualityRow(model=name, config=config, metric=metric, bar=bar, bar_source=source, measured=value,
                      passed=passed, higher_is_better=entry.higher_is_better, seconds=seconds, metrics=metrics)


def number(value: float) -> str:
    """Four decimals, or three significant digits in scientific notation below 1e-3: a gradient check's 1e-17
    or a bar of 1e-6 printed as 0.0000 read as exactly zero."""
    return f"{value:.4f}" if value == 0 or abs(value) >= 1e-3 or value != value else f"{value:.3e}"


def format_table(rows: list[QualityRow]) -> str:
    """A plain-text table: model, config, metric, bar, measured, pass/fail, seconds."""
    header = ("model", "config", "metric", "bar", "measured", "result", "seconds")
    def bar(r: QualityRow) -> str:  # a fixed bar may be met exactly; a measured one must be beaten
        strict = r.bar_source != "registry"
        sign = (">" if strict else "≥") if r.higher_is_better else ("<" if strict else "≤")
        return f"{sign} {number(r.bar)}" + ("" if not strict else f" ({r.bar_source})")

    lines = [(r.model, r.config, r.metric, bar(r),
              number(r.measured), "pass" if r.passed else "FAIL", f"{r.seconds:.1f}") for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*header), fmt.format(*("-" * w for w in widths)), *(fmt.format(*r) for r in lines)])


def main(argv: list[str] | None = None) -> int:
    """CLI: check the named models (default: all with a bar), print the table; exit 1 when any fails."""
    parser = argparse.ArgumentParser(prog="python -m modelhub.quality", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="models to check (default: every model with a bar)")
    parser.add_argument("--config", default="default", choices=registry.CONFIG_NAMES)
    args = parser.parse_args(argv)
    names = args.names or models_with_bars()
    unknown = [n for n in names if n not in registry.list_models()]
    if unknown:
        print(f"unknown model(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    cache: Cache = {}
    rows = []
    for name in names:
        rows.append(check(name, args.config, cache))
        print(f"{name}: {rows[-1].metric} = {number(rows[-1].measured)} ({rows[-1].seconds:.0f} s)", file=sys.stderr,
              flush=True)
    print(format_table(rows))
    return 0 if all(r.passed for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
