"""Generated scenes of shapes with exact masks and boxes, for detection and segmentation (001 §4.2-4.3).

The documents train their detectors and segmenters on data they never name; offline we have no COCO or VOC, so
this is an honest generator instead: every image is an RGB picture (default 32×32) of 1 to ``max_objects``
shapes of three classes — 1 ``square`` (axis-aligned rectangles, aspect 0.6-1.6), 2 ``disc`` and 3
``triangle`` (rotated, near-equilateral) — with random sizes, colours and positions, overlapping freely, on a
noisy background with a colour gradient. Colour says nothing about class (both are drawn independently), so a
model has to learn shape.

Painter's order: a later shape occludes an earlier one. The mask records, for each pixel, the class of the
topmost shape there (0 for background), and each box is the tight box of the *visible* pixels of its object
(x1, y1, x2, y2 in pixels, exclusive end: ``mask[y1:y2, x1:x2]`` holds them all). An object left with fewer
than ``MIN_VISIBLE`` visible pixels is removed from the scene altogether — not drawn, not in the mask, no box —
so the picture, the mask and the boxes always agree: those pixels show whatever lies beneath (an earlier shape
or the background) and are labelled as such.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CLASSES = ("background", "square", "disc", "triangle")
MIN_VISIBLE = 12  # pixels; an object showing fewer is dropped (a box over a few pixels is not a fair target)
NOISE = 0.05  # standard deviation of the per-pixel Gaussian noise on every image
MIN_CONTRAST = 0.35  # least RGB distance between a shape's colour and the background's mean colour
# Colours of the classes in overlays and boxes (background unused): red, green, blue.
CLASS_COLOURS = np.array([[0.0, 0.0, 0.0], [0.95, 0.15, 0.15], [0.15, 0.85, 0.15], [0.2, 0.35, 1.0]],
                         dtype=np.float32)


@dataclass(frozen=True, eq=False)
class Scenes:
    """N generated scenes: images, per-pixel class masks, and per-image boxes and labels of visible objects."""

    images: np.ndarray  # float32 N×3×H×W in [0, 1]
    masks: np.ndarray  # int64 N×H×W, 0 background, 1..3 the class of the topmost shape
    boxes: list[np.ndarray]  # per image k×4 float32 (x1, y1, x2, y2), exclusive end, of the visible part
    labels: list[np.ndarray]  # per image k int64 in 1..3, in painting order (bottom first)

    def __len__(self) -> int:
        return len(self.images)


def _footprint(kind: int, size: int, rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    """A boolean H×W footprint of one random shape of class ``kind`` (tested at pixel centres)."""
    lo, hi = 0.18 * size, 0.5 * size  # the shape's extent, as a fraction of the image side
    extent = rng.uniform(lo, hi)
    cy, cx = rng.uniform(0.1 * size, 0.9 * size, size=2)
    py, px = yy + 0.5, xx + 0.5
    if kind == 1:
        aspect = rng.uniform(0.6, 1.6)
        h, w = extent * np.sqrt(aspect), extent / np.sqrt(aspect)
        return (np.abs(py - cy) <= h / 2) & (np.abs(px - cx) <= w / 2)
    if kind == 2:
        r = extent / 2
        return (py - cy) ** 2 + (px - cx) ** 2 <= r * r
    # Triangle: three vertices at angles 120° apart (each jittered) around the centre; radius extent / 1.3 gives
    # about the area of a disc of diameter extent, so no class is much smaller than the others.
    angles = rng.uniform(0, 2 * np.pi) + np.array([0.0, 2 * np.pi / 3, 4 * np.pi / 3]) + rng.uniform(-0.25, 0.25, 3)
    r = extent / 1.3 * rng.uniform(0.9, 1.1, 3)
    vy, vx = cy + r * np.sin(angles), cx + r * np.cos(angles)
    inside = np.ones_like(py, dtype=bool)
    for i in range(3):  # on the inner side of each edge (vertices are counter-clockwise in (x, y))
        j = (i + 1) % 3
        cross = (vx[j] - vx[i]) * (py - vy[i]) - (vy[j] - vy[i]) * (px - vx[i])
        inside &= cross >= 0
    return inside


def _colour_away_from(base: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random RGB colour at least MIN_CONTRAST from ``base`` (rejection sampling; a few tries at most)."""
    while True:
        colour = rng.uniform(0, 1, 3)
        if np.linalg.norm(colour - base) >= MIN_CONTRAST:
            return colour


def _scene(size: int, max_objects: int, rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray,
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One scene: (image 3×H×W, mask H×W, boxes k×4, labels k)."""
    base = rng.uniform(0.1, 0.9, 3)
    # A gentle linear gradient in a random direction, so the background is not one flat colour.
    direction = rng.normal(size=2)
    ramp = (direction[0] * (yy / size - 0.5) + direction[1] * (xx / size - 0.5)) * 0.15
    image = np.clip(base[:, None, None] + ramp[None], 0, 1)

    shapes: list[tuple[int, np.ndarray, np.ndarray]] = []
    for _ in range(int(rng.integers(1, max_objects + 1))):
        kind = int(rng.integers(1, 4))
        foot = _footprint(kind, size, rng, yy, xx)
        while foot.sum() < 2 * MIN_VISIBLE:  # a shape mostly outside the frame: draw it again
            foot = _footprint(kind, size, rng, yy, xx)
        shapes.append((kind, foot, _colour_away_from(base, rng)))

    # Drop objects whose visible part is tiny. Removing one only uncovers the ones beneath it, so objects kept
    # once stay above the threshold; repeat until no object is dropped. The last shape is always kept.
    while True:
        owner = np.full((size, size), -1)
        for i, (_, foot, _) in enumerate(shapes):
            owner[foot] = i
        visible = np.bincount(owner.ravel() + 1, minlength=len(shapes) + 1)[1:]
        keep = [s for s, v in zip(shapes, visible, strict=True) if v >= MIN_VISIBLE]
        if len(keep) == len(shapes):
            break
        shapes = keep

    mask = np.zeros((size, size), dtype=np.int64)
    boxes, labels = [], []
    for i, (kind, _, colour) in enumerate(shapes):
        mine = owner == i
        image[:, mine] = colour[:, None]
        mask[mine] = kind
        rows, cols = np.nonzero(mine)
        boxes.append([cols.min(), rows.min(), cols.max() + 1, rows.max() + 1])
        labels.append(kind)
    image = np.clip(image + rng.normal(0, NOISE, image.shape), 0, 1)
    return (image.astype(np.float32), mask, np.asarray(boxes, dtype=np.float32).reshape(-1, 4),
            np.asarray(labels, dtype=np.int64))


def make_scenes(n: int, size: int = 32, seed: int = 0, max_objects: int = 4) -> Scenes:
    """``n`` scenes of ``size``×``size`` pixels with 1..``max_objects`` shapes; the same arguments, the same scenes."""
    if n < 0 or size < 16 or max_objects < 1:
        raise ValueError(f"make_scenes needs n ≥ 0, size ≥ 16 and max_objects ≥ 1, not {n}, {size}, {max_objects}")
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    images = np.empty((n, 3, size, size), dtype=np.float32)
    masks = np.empty((n, size, size), dtype=np.int64)
    boxes, labels = [], []
    for i in range(n):
        images[i], masks[i], b, lab = _scene(size, max_objects, rng, yy, xx)
        boxes.append(b)
        labels.append(lab)
    return Scenes(images=images, masks=masks, boxes=boxes, labels=labels)


def load_scenes(seed: int = 0, size: int = 32, n_train: int = 2000, n_val: int = 300, n_test: int = 300,
                max_objects: int = 4) -> dict[str, Scenes]:
    """Train/val/test scenes, each split generated from its own seed (3·seed, 3·seed+1, 3·seed+2), so no scene
    is shared between splits and different seeds never reuse a split's generator."""
    counts = {"train": n_train, "val": n_val, "test": n_test}
    return {split: make_scenes(n, size=size, seed=3 * seed + i, max_objects=max_objects)
            for i, (split, n) in enumerate(counts.items())}


def _hwc(image: np.ndarray) -> np.ndarray:
    """An H×W×3 float copy of an H×W×3 or 3×H×W image."""
    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 3 and image.shape[0] == 3 and image.shape[-1] != 3:
        image = image.transpose(1, 2, 0)
    return image.copy()


def draw_boxes(image: np.ndarray, boxes: np.ndarray, labels: np.ndarray,
               colours: Sequence[Sequence[float]] | np.ndarray = CLASS_COLOURS) -> np.ndarray:
    """A copy of ``image`` (H×W×3, or 3×H×W) with a 1-pixel outline of each box in its label's colour.

    Boxes are (x1, y1, x2, y2) with exclusive ends, as ``make_scenes`` gives them; they are clipped to the image.
    """
    out = _hwc(image)
    h, w = out.shape[:2]
    palette = np.asarray(colours, dtype=np.float32)
    for box, label in zip(np.asarray(boxes).reshape(-1, 4), np.asarray(labels).ravel(), strict=True):
        x1, y1 = int(np.clip(np.floor(box[0]), 0, w - 1)), int(np.clip(np.floor(box[1]), 0, h - 1))
        x2, y2 = int(np.clip(np.ceil(box[2]) - 1, x1, w - 1)), int(np.clip(np.ceil(box[3]) - 1, y1, h - 1))
        colour = palette[int(label) % len(palette)]
        out[y1, x1:x2 + 1] = colour
        out[y2, x1:x2 + 1] = colour
        out[y1:y2 + 1, x1] = colour
        out[y1:y2 + 1, x2] = colour
    return out


def overlay_mask(image: np.ndarray, mask: np.ndarray, alpha: float = 0.5,
                 colours: Sequence[Sequence[float]] | np.ndarray = CLASS_COLOURS) -> np.ndarray:
    """A copy of ``image`` (H×W×3, or 3×H×W) with every non-background pixel blended with its class colour."""
    out = _hwc(image)
    palette = np.asarray(colours, dtype=np.float32)
    mask = np.asarray(mask)
    fg = mask > 0
    out[fg] = (1 - alpha) * out[fg] + alpha * palette[mask[fg] % len(palette)]
    return np.clip(out, 0, 1)
