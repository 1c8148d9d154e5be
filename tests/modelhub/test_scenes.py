"""The scene generator: deterministic, and its masks, boxes and labels agree with each other exactly."""

from __future__ import annotations

import numpy as np
import pytest

from modelhub.datasets.scenes import (
    CLASS_COLOURS,
    CLASSES,
    MIN_VISIBLE,
    Scenes,
    draw_boxes,
    load_scenes,
    make_scenes,
    overlay_mask,
)


@pytest.fixture(scope="module")
def scenes() -> Scenes:
    return make_scenes(200, size=32, seed=5)


def test_shapes_types_and_ranges(scenes):
    assert scenes.images.shape == (200, 3, 32, 32) and scenes.images.dtype == np.float32
    assert scenes.masks.shape == (200, 32, 32) and scenes.masks.dtype == np.int64
    assert scenes.images.min() >= 0.0 and scenes.images.max() <= 1.0
    assert set(np.unique(scenes.masks)) <= {0, 1, 2, 3}
    assert len(scenes) == len(scenes.boxes) == len(scenes.labels) == 200
    assert CLASSES[0] == "background" and len(CLASSES) == 4
    for boxes, labels in zip(scenes.boxes, scenes.labels, strict=True):
        assert boxes.dtype == np.float32 and boxes.shape == (len(labels), 4)
        assert labels.dtype == np.int64 and 1 <= len(labels) <= 4
        assert ((labels >= 1) & (labels <= 3)).all()


def test_same_seed_same_scenes_other_seed_other_scenes():
    a, b, c = make_scenes(20, seed=3), make_scenes(20, seed=3), make_scenes(20, seed=4)
    assert np.array_equal(a.images, b.images) and np.array_equal(a.masks, b.masks)
    assert all(np.array_equal(x, y) for x, y in zip(a.boxes, b.boxes, strict=True))
    assert not np.array_equal(a.masks, c.masks)


def test_boxes_are_tight_around_their_objects_mask_pixels(scenes):
    for mask, boxes, labels in zip(scenes.masks, scenes.boxes, scenes.labels, strict=True):
        covered = np.zeros_like(mask, dtype=bool)
        for (x1, y1, x2, y2), label in zip(boxes.astype(int), labels, strict=True):
            assert 0 <= x1 < x2 <= 32 and 0 <= y1 < y2 <= 32
            inside = mask[y1:y2, x1:x2] == label
            # The visible part touches all four sides of its box (tight) and has enough pixels to be kept.
            assert inside[0].any() and inside[-1].any() and inside[:, 0].any() and inside[:, -1].any()
            assert inside.sum() >= MIN_VISIBLE
            covered[y1:y2, x1:x2] |= mask[y1:y2, x1:x2] == label
        # Every foreground pixel lies in a box of its own class: no pixel of a dropped object stays labelled.
        assert covered[mask > 0].all()


def test_labels_are_the_classes_present_in_the_mask(scenes):
    for mask, labels in zip(scenes.masks, scenes.labels, strict=True):
        assert set(np.unique(mask[mask > 0]).tolist()) == set(labels.tolist())


def test_pixels_of_one_class_share_their_objects_colour_up_to_noise():
    # One object per scene: its pixels are one colour plus noise, and differ from the background's.
    one = make_scenes(30, seed=1, max_objects=1)
    for image, mask in zip(one.images, one.masks, strict=True):
        fg = image[:, mask > 0]
        assert fg.std(axis=1).max() < 0.08
        assert np.linalg.norm(fg.mean(axis=1) - image[:, mask == 0].mean(axis=1)) > 0.2


def test_all_classes_occur_and_overlaps_happen(scenes):
    counts = np.bincount(np.concatenate(scenes.labels), minlength=4)
    assert (counts[1:] > 0.2 * counts.sum()).all()
    # Some object's box holds pixels of another class: one shape was drawn over or beside another.
    def mixed(mask, boxes, labels):
        return any(((mask[y1:y2, x1:x2] > 0) & (mask[y1:y2, x1:x2] != lab)).any()
                   for (x1, y1, x2, y2), lab in zip(boxes.astype(int), labels, strict=True))
    assert any(mixed(*scene) for scene in zip(scenes.masks, scenes.boxes, scenes.labels, strict=True))


def test_splits_come_from_distinct_seeds():
    splits = load_scenes(seed=0, size=48, n_train=10, n_val=10, n_test=10)
    assert set(splits) == {"train", "val", "test"}
    assert splits["train"].images.shape == (10, 3, 48, 48)
    assert not np.array_equal(splits["train"].masks, splits["val"].masks)
    assert not np.array_equal(splits["val"].masks, splits["test"].masks)
    other = load_scenes(seed=1, size=48, n_train=10, n_val=10, n_test=10)
    assert not np.array_equal(other["train"].masks, splits["train"].masks)


def test_draw_boxes_and_overlay_mask_paint_the_right_pixels(scenes):
    image = np.zeros((32, 32, 3), dtype=np.float32)
    drawn = draw_boxes(image, np.array([[2, 3, 10, 8]], dtype=np.float32), np.array([2]))
    assert np.allclose(drawn[3, 2:10], CLASS_COLOURS[2]) and np.allclose(drawn[7, 2:10], CLASS_COLOURS[2])
    assert np.allclose(drawn[3:8, 9], CLASS_COLOURS[2]) and drawn[5, 5].sum() == 0 and drawn[8, 5].sum() == 0
    assert image.sum() == 0  # the input is not changed
    mask = scenes.masks[0]
    over = overlay_mask(scenes.images[0], mask)
    original = scenes.images[0].transpose(1, 2, 0)
    assert over.shape == (32, 32, 3)
    assert np.array_equal(over[mask == 0], original[mask == 0])
    assert np.allclose(over[mask > 0], 0.5 * original[mask > 0] + 0.5 * CLASS_COLOURS[mask[mask > 0]])


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        make_scenes(3, size=8)
