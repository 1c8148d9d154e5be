"""What a trained recipe leaves behind for the Modelhub page: its text samples and its figures, made safe to store.

``outputs(recipe)`` is ``generate(...)`` (strings) followed by ``figures(...)`` (dicts, see
``modelhub.recipes``). Figures are drawings, not results, so they may never cost a job: a ``figures()`` that
raises, or returns something that is not a figure or not JSON, is logged and left out. Each stored figure is
cleaned (numpy → Python, NaN and ±inf → null, which PostgreSQL's JSON accepts and NaN it does not; floats to
four significant digits, beyond what a chart can show) and kept only under ``MAX_FIGURE_BYTES`` of JSON, the
whole set under ``MAX_TOTAL_BYTES``: the job and run rows carry them and the page reads them back.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from modelhub.recipes import FitRecipe, TorchRecipe

FIGURE_KINDS = ("images", "heatmap", "lines", "scatter")
MAX_FIGURE_BYTES = 1_000_000  # one figure's JSON; the recipes' advice (≤ 64 images of ≤ 64×64 px) fits
MAX_TOTAL_BYTES = 4_000_000  # all of a run's figures together

Log = Callable[[str], None]


def clean(value: Any) -> Any:
    """``value`` as plain JSON types: numpy arrays and scalars converted, tuples as lists, non-finite floats as
    None, floats to 4 significant digits. Anything else (an object, a tensor) is a TypeError naming its type."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.ndarray):
        return clean(value.tolist())
    if isinstance(value, np.generic):
        return clean(value.item())
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return float(f"{value:.4g}") if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    raise TypeError(f"{type(value).__name__} is not JSON")


def is_figure(item: Any) -> bool:
    """Whether a stored sample is a figure (a dict with a known kind) rather than generated text."""
    return isinstance(item, dict) and item.get("kind") in FIGURE_KINDS


def checked_figures(figures: Any, log: Log) -> list[dict[str, Any]]:
    """The figures that can be stored, cleaned; each one left out is logged with why."""
    if not isinstance(figures, list | tuple):
        log(f"figures not stored: figures() returned {type(figures).__name__}, not a list")
        return []
    kept: list[dict[str, Any]] = []
    total = 0
    for number, figure in enumerate(figures, start=1):
        title = figure.get("title", "") if isinstance(figure, dict) else ""
        name = f"figure {number}" + (f" ({str(title)[:60]!r})" if title else "")
        if not is_figure(figure):
            kind = figure.get("kind") if isinstance(figure, dict) else type(figure).__name__
            log(f"{name} not stored: not a figure (kind {kind!r}; expected one of {', '.join(FIGURE_KINDS)})")
            continue
        try:
            figure = clean(figure)
            size = len(json.dumps(figure, allow_nan=False))
        except (TypeError, ValueError) as exc:
            log(f"{name} not stored: {exc}")
            continue
        if size > MAX_FIGURE_BYTES:
            log(f"{name} not stored: {size:,} bytes of JSON, over the {MAX_FIGURE_BYTES:,}-byte limit")
            continue
        if total + size > MAX_TOTAL_BYTES:
            log(f"{name} not stored: the run's figures would pass {MAX_TOTAL_BYTES:,} bytes of JSON")
            continue
        total += size
        kept.append(figure)
    return kept


def checked_samples(samples: list[Any], log: Log) -> list[Any]:
    """Stored samples made safe: the text samples as they are, then the figures among the rest, checked."""
    texts = [s for s in samples if isinstance(s, str)]
    return [*texts, *checked_figures([s for s in samples if not isinstance(s, str)], log)]


def outputs(recipe: TorchRecipe | FitRecipe, n: int = 2, log: Log = print) -> list[Any]:
    """``n`` text samples, then the recipe's checked figures; a failing ``figures()`` is logged and skipped."""
    model = () if recipe.kind == "fit" else (recipe.model,)  # fit recipes draw themselves, torch ones a model
    texts = recipe.generate(*model, n)
    try:
        figures = recipe.figures(*model)
    except Exception as exc:  # a drawing bug must not cost a trained model its result
        log(f"figures not stored: figures() raised {type(exc).__name__}: {exc}")
        figures = []
    return [*texts, *checked_figures(figures, log)]
