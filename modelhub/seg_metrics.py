"""Semantic-segmentation metrics from a confusion matrix (standard definitions; the documents name none).

Everything derives from one K×K matrix ``cm[true, predicted]`` of pixel counts, accumulated batch by batch
(``confusion_matrix`` of each batch summed), so a large test set is never held as predictions at once:

- IoU of class k = cm[k, k] / (row k + column k − cm[k, k]): true positives over the union of pixels
  predicted k and pixels truly k;
- mean IoU averages IoU over the classes present in the truth or the prediction; a class absent from both has
  a union of 0 and no defined IoU, so it is skipped (PASCAL VOC's and Cityscapes' convention) rather than
  counted as 0 or 1;
- pixel accuracy = trace / total.
"""

from __future__ import annotations

import numpy as np


def confusion_matrix(pred: np.ndarray, true: np.ndarray, num_classes: int) -> np.ndarray:
    """K×K int64 pixel counts, rows the true class and columns the predicted class (any equal shapes)."""
    pred, true = np.asarray(pred), np.asarray(true)
    if pred.shape != true.shape:
        raise ValueError(f"prediction shape {pred.shape} differs from truth shape {true.shape}")
    p, t = pred.ravel().astype(np.int64), true.ravel().astype(np.int64)
    bad = (p < 0) | (p >= num_classes) | (t < 0) | (t >= num_classes)
    if bad.any():
        raise ValueError(f"class ids must lie in 0..{num_classes - 1}")
    return np.bincount(t * num_classes + p, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def iou_per_class(cm: np.ndarray) -> np.ndarray:
    """IoU of each class (float64, length K); NaN for a class absent from both truth and prediction."""
    cm = np.asarray(cm, dtype=np.float64)
    tp = np.diag(cm)
    union = cm.sum(axis=0) + cm.sum(axis=1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, tp / union, np.nan)


def mean_iou(cm: np.ndarray) -> float:
    """The mean IoU over classes with a defined IoU (NaN only if the matrix counts no pixels at all)."""
    ious = iou_per_class(cm)
    defined = ious[~np.isnan(ious)]
    return float(defined.mean()) if defined.size else float("nan")


def pixel_accuracy(cm: np.ndarray) -> float:
    """The fraction of pixels whose predicted class is the true one."""
    cm = np.asarray(cm)
    total = cm.sum()
    return float(np.trace(cm) / total) if total else float("nan")
