"""Drawing the modelhub's figures (``modelhub.recipes``' format) with plotly, and showing them on the page.

``build(figure)`` turns one stored figure into a plotly figure, or raises ``FigureError`` saying what is wrong
with it (a figure comes from a model's code and a database row, so the page shows that instead of failing).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from pages._components import plain

MAX_COLUMNS = 8  # images per row of a grid
MARGIN = {"l": 10, "r": 10, "t": 50, "b": 10}


class FigureError(ValueError):
    """A stored figure that cannot be drawn, and why."""


def _numbers(values: Any, what: str) -> np.ndarray:
    try:
        return np.asarray([np.nan if v is None else v for v in values], dtype=float)
    except (TypeError, ValueError):
        raise FigureError(f"{what} must be a list of numbers") from None


def _columns(n: int) -> int:
    """Images per row: all of them when few; else the widest divisor of n up to MAX_COLUMNS (so rows of
    input/target/prediction triples stay together), or MAX_COLUMNS when n has no useful divisor."""
    if n <= MAX_COLUMNS:
        return n
    best = max(d for d in range(1, MAX_COLUMNS + 1) if n % d == 0)
    return best if best >= 4 else MAX_COLUMNS


def _images(figure: dict[str, Any]) -> go.Figure:
    try:
        pixels = np.asarray(figure["images"], dtype=float)
    except (KeyError, TypeError, ValueError):
        raise FigureError("images must be N×H×W or N×H×W×3 numbers") from None
    if not (pixels.ndim == 3 or (pixels.ndim == 4 and pixels.shape[-1] == 3)) or not pixels.size:
        raise FigureError(f"images must be N×H×W or N×H×W×3, not {'×'.join(map(str, pixels.shape))}")
    captions = [str(c) for c in figure.get("captions") or []]
    n = len(pixels)
    if captions and len(captions) != n:
        raise FigureError(f"{len(captions)} captions for {n} images")
    # One mosaic sent as a PNG: a grid of 64 RGB images is ~50 kB this way (not megabytes of JSON numbers),
    # and one image draws in milliseconds where 64 plotly facets took seconds.
    tiles = (np.clip(np.nan_to_num(pixels), 0.0, 1.0) * 255).round().astype(np.uint8)
    h, w = tiles.shape[1:3]
    columns = _columns(n)
    rows = -(-n // columns)
    band = max(8, h // 3) if captions else 0  # room above each image for its caption
    pad = max(1, w // 14)
    cell_h, cell_w = h + band + pad, w + pad
    canvas = np.full((rows * cell_h, columns * cell_w, *tiles.shape[3:]), 255, dtype=np.uint8)
    for i, tile in enumerate(tiles):
        row, col = divmod(i, columns)
        canvas[row * cell_h + band:row * cell_h + band + h, col * cell_w:col * cell_w + w] = tile
    fig = px.imshow(canvas, binary_string=True, zmin=0, zmax=255)
    # All captions in one layout update: add_annotation() validates the whole layout each time (64 took ~1 s).
    fig.update_layout(annotations=[{"x": (i % columns) * cell_w + w / 2, "y": (i // columns) * cell_h + band / 2,
                                    "text": caption, "showarrow": False, "font": {"size": 10}}
                                   for i, caption in enumerate(captions)])
    fig.update_xaxes(visible=False).update_yaxes(visible=False)
    # The page is ~700 px wide: keep the mosaic's aspect, within reason.
    fig.update_layout(height=int(min(1400, max(160, 60 + 700 * canvas.shape[0] / canvas.shape[1]))))
    return fig


def _heatmap(figure: dict[str, Any]) -> go.Figure:
    try:
        z = np.asarray([[np.nan if v is None else v for v in row] for row in figure["z"]], dtype=float)
    except (KeyError, TypeError, ValueError):
        raise FigureError("z must be rows of numbers, all of the same length") from None
    if z.ndim != 2 or not z.size:
        raise FigureError("z must be rows × columns of numbers")
    fig = go.Figure(go.Heatmap(z=z, colorscale="Viridis"))
    # Tick labels by position: the same label twice (a repeated word in an attention map) stays two columns.
    for axis, labels, size in (("xaxis", figure.get("x"), z.shape[1]), ("yaxis", figure.get("y"), z.shape[0])):
        if labels is None:
            continue
        if len(labels) != size:
            raise FigureError(f"{len(labels)} {axis[0]} labels for {size} {'columns' if axis[0] == 'x' else 'rows'}")
        fig.update_layout({axis: {"tickmode": "array", "tickvals": list(range(size)),
                                  "ticktext": [str(t) for t in labels]}})
    fig.update_yaxes(autorange="reversed")  # row 0 on top, as matrices (confusion, attention) are read
    fig.update_layout(height=420)
    return fig


def _lines(figure: dict[str, Any]) -> go.Figure:
    x, series = figure.get("x"), figure.get("series")
    if not isinstance(series, dict) or not series or x is None:
        raise FigureError("lines need x and series (name → values)")
    xs = _numbers(x, "x")
    fig = go.Figure()
    for name, values in series.items():
        ys = _numbers(values, f"series {name!r}")
        if len(ys) != len(xs):
            raise FigureError(f"series {name!r} has {len(ys)} values for {len(xs)} x values")
        fig.add_trace(go.Scatter(x=xs, y=ys, name=str(name), mode="lines+markers" if len(xs) <= 30 else "lines"))
    fig.update_layout(height=340, xaxis_title=figure.get("x_label", ""), yaxis_title=figure.get("y_label", ""),
                      legend={"orientation": "h", "y": -0.25})
    return fig


def _scatter(figure: dict[str, Any]) -> go.Figure:
    xs, ys = _numbers(figure.get("x") or [], "x"), _numbers(figure.get("y") or [], "y")
    labels = [str(label) for label in figure.get("labels") or []]
    if not len(xs) or len(xs) != len(ys) or len(labels) != len(xs):
        raise FigureError(f"scatter needs x, y and labels of one length (got {len(xs)}, {len(ys)}, {len(labels)})")
    fig = px.scatter(x=xs, y=ys, color=labels, labels={"color": ""})
    fig.update_traces(marker={"size": 6, "opacity": 0.8})
    fig.update_layout(height=400, xaxis_title=figure.get("x_label", ""), yaxis_title=figure.get("y_label", ""))
    return fig


BUILDERS = {"images": _images, "heatmap": _heatmap, "lines": _lines, "scatter": _scatter}


def build(figure: Any) -> go.Figure:
    """One stored figure as a plotly figure; ``FigureError`` says why one cannot be drawn."""
    if not isinstance(figure, dict) or figure.get("kind") not in BUILDERS:
        kind = figure.get("kind") if isinstance(figure, dict) else type(figure).__name__
        raise FigureError(f"unknown kind {kind!r} (expected one of {', '.join(BUILDERS)})")
    fig = BUILDERS[figure["kind"]](figure)
    fig.update_layout(title={"text": str(figure.get("title", "")), "font": {"size": 14}}, margin=MARGIN)
    return fig


def show(figures: list[dict[str, Any]], key: str) -> None:
    """Draw each figure below the last; one that cannot be drawn is named in a warning instead."""
    for number, figure in enumerate(figures):
        try:
            fig = build(figure)
        except FigureError as exc:
            title = figure.get("title", "") if isinstance(figure, dict) else ""
            st.warning(plain(f"Figure {number + 1} {title!r} cannot be drawn: {exc}"), icon=":material/broken_image:")
            continue
        st.plotly_chart(fig, width="stretch", key=f"{key}_{number}")
