"""Box IoU, NMS and VOC mAP@0.5 against cases worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from modelhub.det_metrics import average_precision, batched_nms, box_iou, mean_average_precision, nms

A = [0.0, 0.0, 10.0, 10.0]
B = [20.0, 20.0, 30.0, 30.0]
C = [0.0, 20.0, 10.0, 30.0]


def _det(boxes, scores, labels):
    return (np.array(boxes, dtype=np.float32).reshape(-1, 4), np.array(scores, dtype=np.float32),
            np.array(labels, dtype=np.int64))


def test_box_iou_of_overlapping_disjoint_and_identical_boxes():
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 4.0, 4.0]])
    b = torch.tensor([[1.0, 1.0, 3.0, 3.0], [5.0, 5.0, 6.0, 6.0], [0.0, 0.0, 2.0, 2.0]])
    iou = box_iou(a, b)
    # Intersections 1 of union 4+4-1=7; nothing; identical. Second row: 4 of 16+4-4, 0, 4 of 16.
    expected = torch.tensor([[1 / 7, 0.0, 1.0], [4 / 16, 0.0, 4 / 16]])
    assert torch.allclose(iou, expected)


def test_box_iou_of_degenerate_boxes_is_zero_not_nan():
    point = torch.tensor([[1.0, 1.0, 1.0, 1.0]])
    assert box_iou(point, point).item() == 0.0


def test_nms_keeps_the_best_of_an_overlapping_pair_and_every_disjoint_box():
    boxes = torch.tensor([A, [1.0, 0.0, 11.0, 10.0], B])  # IoU of the first two: 90 / 110 ≈ 0.82
    scores = torch.tensor([0.8, 0.9, 0.3])
    assert nms(boxes, scores, 0.5).tolist() == [1, 2]
    assert nms(boxes, scores, 0.9).tolist() == [1, 0, 2]  # 0.82 is under the threshold: both kept
    assert nms(boxes[:0], scores[:0], 0.5).tolist() == []


def test_batched_nms_never_suppresses_across_classes():
    boxes = torch.tensor([A, [1.0, 0.0, 11.0, 10.0]])
    scores = torch.tensor([0.8, 0.9])
    assert sorted(batched_nms(boxes, scores, torch.tensor([1, 2]), 0.5).tolist()) == [0, 1]
    assert batched_nms(boxes, scores, torch.tensor([1, 1]), 0.5).tolist() == [1]


def test_perfect_detections_score_one():
    gt_boxes = [np.array([A, B]), np.array([C])]
    gt_labels = [np.array([1, 2]), np.array([3])]
    dets = [_det([A, B], [0.9, 0.8], [1, 2]), _det([C], [0.7], [3])]
    out = mean_average_precision(dets, gt_boxes, gt_labels)
    assert out["map"] == pytest.approx(1.0)
    assert out["ap"] == {1: pytest.approx(1.0), 2: pytest.approx(1.0), 3: pytest.approx(1.0)}


def test_a_false_positive_ranked_above_the_true_positive_halves_ap():
    # Ranked: FP (recall 0, precision 0), TP (recall 1, precision 1/2) → AP = 1 · 1/2.
    dets = [_det([B, A], [0.9, 0.8], [1, 1])]
    out = mean_average_precision(dets, [np.array([A])], [np.array([1])])
    assert out["map"] == pytest.approx(0.5)


def test_the_same_false_positive_ranked_below_costs_nothing():
    dets = [_det([B, A], [0.1, 0.8], [1, 1])]
    assert mean_average_precision(dets, [np.array([A])], [np.array([1])])["map"] == pytest.approx(1.0)


def test_duplicate_detections_count_once_and_the_copy_is_a_false_positive():
    # Two GT boxes; ranked: TP on A, duplicate on A (FP), TP on B.
    # Recall/precision: (1/2, 1), (1/2, 1/2), (1, 2/3) → AP = 1/2 · 1 + 1/2 · 2/3 = 5/6.
    dets = [_det([A, [0.5, 0.0, 10.5, 10.0], B], [0.9, 0.8, 0.7], [1, 1, 1])]
    out = mean_average_precision(dets, [np.array([A, B])], [np.array([1, 1])])
    assert out["map"] == pytest.approx(5 / 6)


def test_a_class_without_ground_truth_is_left_out_of_the_mean():
    dets = [_det([A, B], [0.9, 0.95], [1, 2])]  # class 2 is predicted but absent from the ground truth
    out = mean_average_precision(dets, [np.array([A])], [np.array([1])])
    assert out["ap"] == {1: pytest.approx(1.0)}
    assert out["map"] == pytest.approx(1.0)


def test_a_class_with_ground_truth_and_no_detection_scores_zero():
    out = mean_average_precision([_det([A], [0.9], [1])], [np.array([A, B])], [np.array([1, 2])])
    assert out["ap"] == {1: pytest.approx(1.0), 2: 0.0}
    assert out["map"] == pytest.approx(0.5)


def test_known_pr_curve_with_interpolation():
    # Three GT boxes in three images; ranked TP, FP, TP, FP, TP:
    # recall 1/3, 1/3, 2/3, 2/3, 1; precision 1, 1/2, 2/3, 1/2, 3/5.
    # Interpolated precision at recall 1/3, 2/3, 1: 1, 2/3, 3/5 → AP = (1 + 2/3 + 3/5) / 3 = 34/45.
    gt = [np.array([A]), np.array([A]), np.array([A])]
    labels = [np.array([1])] * 3
    dets = [_det([A, B], [0.9, 0.8], [1, 1]), _det([A, B], [0.7, 0.6], [1, 1]), _det([A], [0.5], [1])]
    assert mean_average_precision(dets, gt, labels)["map"] == pytest.approx(34 / 45)
    assert average_precision(np.array([1, 1, 2, 2, 3]) / 3,
                             np.array([1, 1 / 2, 2 / 3, 1 / 2, 3 / 5])) == pytest.approx(34 / 45)


def test_a_missed_box_caps_recall_and_a_loose_box_is_a_false_positive():
    # IoU of [0,0,10,10] with [5,0,15,10] is 50/150 = 1/3 < 0.5: a false positive. Recall stops at 1/2.
    dets = [_det([[5.0, 0.0, 15.0, 10.0], B], [0.9, 0.8], [1, 1])]
    out = mean_average_precision(dets, [np.array([A, B])], [np.array([1, 1])])
    # Ranked FP, TP: recall 0, 1/2; precision 0, 1/2 → AP = 1/2 · 1/2.
    assert out["map"] == pytest.approx(0.25)


def test_the_threshold_is_inclusive_and_torch_inputs_are_accepted():
    # [0,0,10,10] against [0,0,10,20]: IoU exactly 100/200 = 0.5 counts as a match.
    dets = [(torch.tensor([[0.0, 0.0, 10.0, 20.0]]), torch.tensor([0.9]), torch.tensor([1]))]
    assert mean_average_precision(dets, [np.array([A])], [np.array([1])])["map"] == pytest.approx(1.0)


def test_no_ground_truth_anywhere_gives_zero():
    assert mean_average_precision([_det([A], [0.9], [1])], [np.zeros((0, 4))], [np.zeros(0, dtype=np.int64)]) == \
        {"map": 0.0, "ap": {}}
