"""Segmentation metrics against masks whose confusion matrix, IoUs and accuracy are worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from modelhub.seg_metrics import confusion_matrix, iou_per_class, mean_iou, pixel_accuracy

# 3×4 masks over classes 0..3; class 3 appears in neither, class 2 only in the prediction.
TRUE = np.array([[0, 0, 1, 1],
                 [0, 0, 1, 1],
                 [0, 0, 0, 1]])
PRED = np.array([[0, 0, 1, 2],
                 [0, 1, 1, 1],
                 [0, 0, 0, 0]])


def test_confusion_matrix_counts_true_rows_against_predicted_columns():
    cm = confusion_matrix(PRED, TRUE, 4)
    # True 0 (7 px): 6 predicted 0, 1 predicted 1. True 1 (5 px): 1 → 0, 3 → 1, 1 → 2.
    expected = np.array([[6, 1, 0, 0],
                         [1, 3, 1, 0],
                         [0, 0, 0, 0],
                         [0, 0, 0, 0]])
    assert np.array_equal(cm, expected) and cm.dtype == np.int64


def test_iou_mean_iou_and_accuracy_by_hand():
    cm = confusion_matrix(PRED, TRUE, 4)
    ious = iou_per_class(cm)
    # Class 0: tp 6, union 7 + 7 − 6 = 8. Class 1: tp 3, union 5 + 4 − 3 = 6. Class 2: tp 0, union 1.
    assert ious[:3] == pytest.approx([6 / 8, 3 / 6, 0.0])
    assert np.isnan(ious[3])  # absent in both: skipped, not a 0 or a 1
    assert mean_iou(cm) == pytest.approx((6 / 8 + 3 / 6 + 0.0) / 3)
    assert pixel_accuracy(cm) == pytest.approx(9 / 12)


def test_a_perfect_prediction_scores_one_and_batches_add_up():
    assert mean_iou(confusion_matrix(TRUE, TRUE, 4)) == 1.0 and pixel_accuracy(confusion_matrix(TRUE, TRUE, 4)) == 1.0
    stacked = confusion_matrix(np.stack([PRED, TRUE]), np.stack([TRUE, TRUE]), 4)
    assert np.array_equal(stacked, confusion_matrix(PRED, TRUE, 4) + confusion_matrix(TRUE, TRUE, 4))


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError):
        confusion_matrix(PRED[:2], TRUE, 4)
    with pytest.raises(ValueError):
        confusion_matrix(PRED + 3, TRUE, 4)
    assert np.isnan(mean_iou(np.zeros((4, 4), dtype=np.int64)))
