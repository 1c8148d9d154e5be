"""Box arithmetic and the detection metric, in plain torch and numpy (torchvision does not import beside this torch).

Boxes are ``x1, y1, x2, y2`` in pixels with an exclusive end, so a box's area is ``(x2 - x1) · (y2 - y1)`` (no
``+ 1``: that convention belongs to VOC's inclusive integer boxes).

``mean_average_precision`` is PASCAL VOC's metric (VOC 2010 onwards, ``voc_eval.py``'s ``use_07_metric=False``):
per class, detections of every image sorted by score, each matched to the unmatched ground-truth box it overlaps
most; AP is the area under the precision-recall curve after precision is made monotone ("all-point
interpolation"); mAP is the mean over the classes that have ground truth in the evaluated set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch


def box_area(boxes: torch.Tensor) -> torch.Tensor:
    """Areas of N×4 boxes (0 for degenerate ones)."""
    return (boxes[:, 2] - boxes[:, 0]).clamp(min=0) * (boxes[:, 3] - boxes[:, 1]).clamp(min=0)


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """N×M intersection over union of N×4 and M×4 boxes; 0 where the union is empty (two degenerate boxes)."""
    lt = torch.maximum(a[:, None, :2], b[None, :, :2])
    rb = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(dim=2)
    union = box_area(a)[:, None] + box_area(b)[None, :] - inter
    return torch.where(union > 0, inter / union.clamp(min=1e-12), torch.zeros_like(inter))


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Greedy non-maximum suppression: indices of the kept boxes, highest score first.

    A box is dropped when its IoU with an already kept, higher-scoring box exceeds ``iou_threshold`` (the same
    rule as torchvision.ops.nms). The IoU matrix is computed once; the loop runs over kept boxes only.
    """
    if boxes.numel() == 0:
        return torch.empty(0, dtype=torch.long, device=boxes.device)
    order = torch.argsort(scores, descending=True, stable=True)
    # The greedy loop runs in numpy: a step costs ~1 µs there against ~10 µs as torch ops on tiny tensors.
    overlaps = (box_iou(boxes[order], boxes[order]) > iou_threshold).cpu().numpy()
    suppressed = np.zeros(len(order), dtype=bool)
    keep = []
    for i in range(len(order)):
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= overlaps[i]
    return order[torch.tensor(keep, dtype=torch.long, device=boxes.device)]


def batched_nms(boxes: torch.Tensor, scores: torch.Tensor, labels: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """NMS within each label only: boxes of different classes never suppress each other.

    Shifting each class's boxes by a class-dependent offset larger than any coordinate makes boxes of
    different classes disjoint, so one NMS call does the work of one per class (torchvision's trick).
    """
    if boxes.numel() == 0:
        return torch.empty(0, dtype=torch.long, device=boxes.device)
    offset = labels.to(boxes.dtype)[:, None] * (boxes.max() + 1)
    return nms(boxes + offset, scores, iou_threshold)


def average_precision(recall: np.ndarray, precision: np.ndarray) -> float:
    """VOC all-point interpolated AP of a PR curve (recall ascending, one point per ranked detection).

    Precision is replaced by its running maximum from the right (the best precision at any higher recall),
    then summed over the recall steps: Σ (r_i − r_{i−1}) · p_interp(r_i).
    """
    mrec = np.concatenate(([0.0], np.asarray(recall, dtype=float), [1.0]))
    mpre = np.concatenate(([0.0], np.asarray(precision, dtype=float), [0.0]))
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    steps = np.flatnonzero(mrec[1:] != mrec[:-1])
    return float(np.sum((mrec[steps + 1] - mrec[steps]) * mpre[steps + 1]))


@dataclass(frozen=True)
class Detections:
    """One image's predictions: k×4 boxes, k scores, k integer labels (numpy arrays)."""

    boxes: np.ndarray
    scores: np.ndarray
    labels: np.ndarray


def _as_detections(d: Detections | tuple) -> Detections:
    if isinstance(d, Detections):
        return d
    boxes, scores, labels = (np.asarray(v.detach().cpu() if isinstance(v, torch.Tensor) else v) for v in d)
    return Detections(boxes.reshape(-1, 4), scores.reshape(-1), labels.reshape(-1))


def _area_np(boxes: np.ndarray) -> np.ndarray:
    return np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None)


def _iou_np(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """N×M IoU in numpy (the metric's many tiny per-image matrices are cheaper here than as torch calls)."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(axis=2)
    union = _area_np(a)[:, None] + _area_np(b)[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def class_pr_curve(detections: Sequence[Detections | tuple], gt_boxes: Sequence[np.ndarray],
                   gt_labels: Sequence[np.ndarray], cls: int,
                   iou_threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray, int]:
    """Recall and precision after each ranked detection of class ``cls``, and the number of its GT boxes.

    Matching as VOC's ``voc_eval``: a detection is a true positive when its best-overlapping GT box of the same
    class in the same image has IoU ≥ ``iou_threshold`` and has not been claimed by a higher-scoring detection;
    otherwise (a duplicate, a miss, a wrong place) it is a false positive.
    """
    dets = [_as_detections(d) for d in detections]
    gts = [np.asarray(b, dtype=float).reshape(-1, 4)[np.asarray(lab) == cls] for b, lab in zip(gt_boxes, gt_labels,
                                                                                              strict=True)]
    n_gt = sum(len(g) for g in gts)
    image_ids, scores, rows, ious = [], [], [], []
    for i, d in enumerate(dets):
        mask = d.labels == cls
        k = int(mask.sum())
        image_ids.append(np.full(k, i))
        rows.append(np.arange(k))
        scores.append(d.scores[mask])
        ious.append(_iou_np(d.boxes[mask].astype(float), gts[i]))  # k × (GT boxes of this class in image i)
    all_scores = np.concatenate(scores) if scores else np.zeros(0)
    if len(all_scores) == 0:
        return np.zeros(0), np.zeros(0), n_gt
    all_images, all_rows = np.concatenate(image_ids), np.concatenate(rows)
    order = np.argsort(-all_scores, kind="stable")
    claimed = [np.zeros(len(g), dtype=bool) for g in gts]
    tp = np.zeros(len(order))
    for rank, j in enumerate(order):
        img = all_images[j]
        if len(gts[img]) == 0:
            continue
        overlaps = ious[img][all_rows[j]]
        best = int(np.argmax(overlaps))
        if overlaps[best] >= iou_threshold and not claimed[img][best]:
            claimed[img][best] = True
            tp[rank] = 1.0
    ctp = np.cumsum(tp)
    recall = ctp / max(n_gt, 1)
    precision = ctp / np.arange(1, len(order) + 1)
    return recall, precision, n_gt


def mean_average_precision(detections: Sequence[Detections | tuple], gt_boxes: Sequence[np.ndarray],
                           gt_labels: Sequence[np.ndarray], iou_threshold: float = 0.5) -> dict[str, object]:
    """``{"map": mAP, "ap": {class: AP}}`` over the classes with at least one GT box (label 0 is background).

    ``detections[i]`` is image i's ``Detections`` or ``(boxes, scores, labels)``. A class that has detections but
    no ground truth has no AP (its recall is undefined) and is left out of the mean, as in COCO's evaluation.
    mAP is 0.0 when no image has any ground truth.
    """
    present = sorted({int(c) for lab in gt_labels for c in np.asarray(lab).reshape(-1) if int(c) > 0})
    ap: dict[int, float] = {}
    for cls in present:
        recall, precision, _ = class_pr_curve(detections, gt_boxes, gt_labels, cls, iou_threshold)
        ap[cls] = average_precision(recall, precision) if len(recall) else 0.0
    return {"map": float(np.mean(list(ap.values()))) if ap else 0.0, "ap": ap}
