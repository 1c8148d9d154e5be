"""Single-stage detectors of 001 §4.2.2–4.2.3: a YOLOv1-style grid detector and an SSD-style multi-scale one.

The documents' listings (001:L488-509 YOLO, 001:L515-536 SSD, the same code twice) end in one 1×1 sigmoid conv
of ``num_classes + 5`` channels trained with binary cross-entropy; ``ERRATA`` in ``_detection_common`` says why that
head cannot produce boxes. What is built here instead:

* ``YOLO`` (Redmon et al. 2016): an S×S grid (S = image/4, 8×8 on 32 px scenes); each cell predicts B boxes
  (x, y offsets in the cell, √w and √h as fractions of the image, all through a sigmoid) with an objectness
  each, and one class distribution. A GT box belongs to the cell holding its centre and, within it, to the
  predictor whose current box overlaps it most (v1's "responsible" predictor). Box loss: v1's sum-squared
  error on x, y, √w, √h with λ_coord = 5. Objectness and classes: binary and softmax cross-entropy (the
  YOLOv2/v3 choices) instead of v1's sum-squared error on both, with v1's λ_noobj = 0.5 on empty predictors.
* ``SSD`` (Liu et al. 2016): square, tall and wide anchors on three feature maps (strides 4, 8, 16); each
  anchor is matched to a GT box at IoU ≥ 0.5 (and every GT box to its best anchor), a smooth-L1 loss on the box
  deltas of positives and a softmax over background + classes where the negatives are mined hard: per image,
  only the 3 × (positives) background anchors with the highest loss count.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812 - the PyTorch convention
from torch import nn

from modelhub.det_metrics import box_iou
from modelhub.models._detection_common import (
    DEFAULT,
    ERRATA,
    SCALE,
    SMOKE,
    DetectionRecipe,
    conv_block,
    decode,
    detection_recipe,
    encode,
    flatten_head,
    make_anchors,
    match_anchors,
    postprocess,
    stem,
    unpad,
)
from modelhub.registry import register


class YOLO(nn.Module):
    """YOLOv1's output layout on a stride-4 grid: per cell B × (x, y, √w, √h, objectness) + C class logits."""

    def __init__(self, num_classes: int = 3, width: int = 16, size: int = 32, boxes_per_cell: int = 2,
                 score_thresh: float = 0.05, nms_iou: float = 0.5, max_det: int = 20) -> None:
        super().__init__()
        self.c, self.b, self.size, self.s = num_classes, boxes_per_cell, size, size // 4
        self.features = stem(width)
        self.head = nn.Conv2d(4 * width, boxes_per_cell * 5 + num_classes, 1)
        self.post = {"score_thresh": score_thresh, "nms_iou": nms_iou, "max_det": max_det}

    def _raw(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Boxes N×S×S×B×4 (sigmoid: x, y in the cell, √w, √h of the image), objectness logits N×S×S×B,
        class logits N×S×S×C."""
        out = self.head(self.features(images)).float().permute(0, 2, 3, 1)
        n = out.shape[0]
        per_box = out[..., :self.b * 5].reshape(n, self.s, self.s, self.b, 5)
        return per_box[..., :4].sigmoid(), per_box[..., 4], out[..., self.b * 5:]

    def _to_xyxy(self, geo: torch.Tensor) -> torch.Tensor:
        """Pixel boxes from the sigmoid outputs (N×S×S×B×4)."""
        cell = self.size / self.s
        idx = torch.arange(self.s, device=geo.device, dtype=geo.dtype)
        cx = (idx[None, None, :, None] + geo[..., 0]) * cell
        cy = (idx[None, :, None, None] + geo[..., 1]) * cell
        w, h = geo[..., 2] ** 2 * self.size, geo[..., 3] ** 2 * self.size
        return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=-1)

    def assign(self, targets: torch.Tensor, pred_boxes: torch.Tensor,
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """YOLOv1's targets: which predictor is responsible for each GT box (N×S×S×B bool), the sigmoid outputs it
        should give (N×S×S×B×4) and each cell's class (N×S×S, −100 where the cell holds no centre).

        ``pred_boxes`` (N×S×S×B×4 pixels) picks the responsible predictor of a cell: the one overlapping the box
        most. Two centres in one cell: the later box wins (v1 predicts one class per cell).
        """
        n = targets.shape[0]
        cell = self.size / self.s
        resp = torch.zeros(n, self.s, self.s, self.b, dtype=torch.bool, device=targets.device)
        geo_target = torch.zeros(n, self.s, self.s, self.b, 4, device=targets.device)
        cls_target = torch.full((n, self.s, self.s), -100, dtype=torch.long, device=targets.device)
        for i, (boxes, labels) in enumerate(unpad(targets)):
            if len(boxes) == 0:
                continue
            cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
            col = (cx / cell).long().clamp(0, self.s - 1)
            row = (cy / cell).long().clamp(0, self.s - 1)
            ious = box_iou(pred_boxes[i, row, col].reshape(-1, 4), boxes).reshape(len(boxes), self.b, -1)
            best = ious[torch.arange(len(boxes)), :, torch.arange(len(boxes))].argmax(dim=1)
            resp[i, row, col, best] = True
            geo_target[i, row, col, best] = torch.stack([
                cx / cell - col, cy / cell - row,
                ((boxes[:, 2] - boxes[:, 0]) / self.size).clamp(min=0).sqrt(),
                ((boxes[:, 3] - boxes[:, 1]) / self.size).clamp(min=0).sqrt()], dim=1)
            cls_target[i, row, col] = labels - 1
        return resp, geo_target, cls_target

    def forward(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """YOLO loss of a batch, summed over cells and averaged over images."""
        geo, obj, cls = self._raw(images)
        resp, geo_target, cls_target = self.assign(targets, self._to_xyxy(geo).detach())
        n = images.shape[0]
        coord = 5.0 * ((geo - geo_target) ** 2).sum(-1)[resp].sum()
        obj_loss = F.binary_cross_entropy_with_logits(obj, resp.float(), reduction="none")
        obj_loss = obj_loss[resp].sum() + 0.5 * obj_loss[~resp].sum()
        cls_loss = F.cross_entropy(cls.reshape(-1, self.c), cls_target.reshape(-1), reduction="sum",
                                   ignore_index=-100) if (cls_target >= 0).any() else cls.sum() * 0.0
        return (coord + obj_loss + cls_loss) / n

    @torch.no_grad()
    def detect(self, images: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Score = objectness × class probability for every (cell, predictor, class), then per-class NMS."""
        geo, obj, cls = self._raw(images)
        boxes = self._to_xyxy(geo).clamp(0, self.size)
        scores = obj.sigmoid()[..., None] * cls.softmax(-1)[:, :, :, None, :]  # N×S×S×B×C
        n = images.shape[0]
        labels = torch.arange(1, self.c + 1, device=images.device).expand_as(scores)
        boxes = boxes[..., None, :].expand(*scores.shape, 4)
        return [postprocess(boxes[i].reshape(-1, 4), scores[i].reshape(-1), labels[i].reshape(-1), **self.post)
                for i in range(n)]


SSD_LEVELS = ((4, (5.0, 8.0)), (8, (11.0, 16.0)), (16, (22.0, 30.0)))  # (stride, anchor sizes in px)
SSD_RATIOS = (1.0, 0.5, 2.0)


def hard_negatives(loss: torch.Tensor, cls_target: torch.Tensor, ratio: float) -> torch.Tensor:
    """N×A bool: per image, the ``ratio`` × (its positives) background anchors (target 0) of highest loss.

    An image without objects still keeps ``ratio`` negatives, so empty scenes teach the background too.
    """
    background = cls_target == 0
    ranked = loss.masked_fill(~background, -float("inf"))
    rank = ranked.argsort(dim=1, descending=True, stable=True).argsort(dim=1)
    quota = (ratio * (cls_target > 0).sum(1, keepdim=True)).clamp(min=ratio)
    return (rank < quota) & background


class SSD(nn.Module):
    """Anchors on the stride-4, 8 and 16 maps of one backbone, each map with its own 3×3 class and box heads."""

    def __init__(self, num_classes: int = 3, width: int = 16, size: int = 32, levels: int = 3,
                 neg_ratio: float = 3.0, score_thresh: float = 0.05, nms_iou: float = 0.5, max_det: int = 20) -> None:
        super().__init__()
        if not 2 <= levels <= len(SSD_LEVELS):
            raise ValueError(f"levels must be 2 to {len(SSD_LEVELS)} (SSD predicts on several feature maps)")
        self.c, self.size, self.neg_ratio = num_classes, size, neg_ratio
        ch = 4 * width
        self.features = stem(width)
        self.extra = nn.ModuleList([conv_block(ch, ch, 2) for _ in range(levels - 1)])
        k = len(SSD_LEVELS[0][1]) * len(SSD_RATIOS)
        self.cls_heads = nn.ModuleList([nn.Conv2d(ch, k * (num_classes + 1), 3, padding=1) for _ in range(levels)])
        self.box_heads = nn.ModuleList([nn.Conv2d(ch, k * 4, 3, padding=1) for _ in range(levels)])
        anchors = [make_anchors(max(1, size // stride), stride, sizes, SSD_RATIOS)
                   for stride, sizes in SSD_LEVELS[:levels]]
        self.register_buffer("anchors", torch.cat(anchors), persistent=False)
        self.post = {"score_thresh": score_thresh, "nms_iou": nms_iou, "max_det": max_det}

    def _raw(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Class logits N×A×(C+1) and box deltas N×A×4 over every anchor of every level."""
        x = self.features(images)
        maps = [x]
        for layer in self.extra:
            maps.append(layer(maps[-1]))
        cls = torch.cat([flatten_head(h(m), self.c + 1) for h, m in zip(self.cls_heads, maps, strict=True)], 1)
        box = torch.cat([flatten_head(h(m), 4) for h, m in zip(self.box_heads, maps, strict=True)], 1)
        return cls.float(), box.float()

    def forward(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """MultiBox loss: (smooth-L1 on positives + CE on positives and mined negatives) / positives."""
        cls, box = self._raw(images)
        cls_target = torch.zeros(cls.shape[:2], dtype=torch.long, device=cls.device)
        box_target = torch.zeros_like(box)
        for i, (boxes, labels) in enumerate(unpad(targets)):
            best_gt, state = match_anchors(self.anchors, boxes, pos=0.5, neg=0.4)
            cls_target[i] = torch.where(state == 1, labels[best_gt] if len(labels) else 0, 0)
            cls_target[i][state == -1] = -1  # between the thresholds: neither object nor background
            if len(boxes):
                box_target[i] = encode(boxes[best_gt], self.anchors)
        pos = cls_target > 0
        n_pos = pos.sum().clamp(min=1)
        ce = F.cross_entropy(cls.reshape(-1, self.c + 1), cls_target.clamp(min=0).reshape(-1),
                             reduction="none").reshape(cls_target.shape)
        neg = hard_negatives(ce.detach(), cls_target, self.neg_ratio)
        loc = F.smooth_l1_loss(box[pos], box_target[pos], reduction="sum")
        return (loc + ce[pos].sum() + ce[neg].sum()) / n_pos

    @torch.no_grad()
    def detect(self, images: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Every anchor's decoded box with each class's softmax score, then per-class NMS."""
        cls, box = self._raw(images)
        probs = cls.softmax(-1)[..., 1:]  # N×A×C
        boxes = decode(box, self.anchors, self.size)
        labels = torch.arange(1, self.c + 1, device=images.device).expand(probs.shape[1], -1)
        out = []
        for i in range(images.shape[0]):
            b = boxes[i][:, None, :].expand(-1, self.c, 4).reshape(-1, 4)
            out.append(postprocess(b, probs[i].reshape(-1), labels.reshape(-1), **self.post))
        return out


@register(
    "yolo", family="detection", task="object-detection", source="001 §4.2.2, 001:L484-509",
    dataset="scenes", metric="test_map50", higher_is_better=True, quality_bar=0.50,
    configs={
        "smoke": SMOKE,
        # Measured (seed 0, 2 shared CPU cores under load 8): test mAP@0.5 0.776 / 0.852 / 0.865 / 0.871 at 300 / 600 /
        # 900 / 1,200 steps, 308 s of training.
        "default": DEFAULT,
        "scale": SCALE,
    },
    description="YOLOv1-style grid detector: 8×8 cells on 32 px scenes, 2 boxes (x, y, √w, √h, objectness) and "
                "one class distribution per cell, v1's responsible-predictor assignment and sum-squared box loss; "
                "BCE objectness and softmax classes. " + ERRATA["yolo"],
)
def yolo(config: dict[str, Any]) -> DetectionRecipe:
    """YOLO on generated scenes."""
    return detection_recipe(YOLO, config)


@register(
    "ssd", family="detection", task="object-detection", source="001 §4.2.3, 001:L511-536",
    dataset="scenes", metric="test_map50", higher_is_better=True, quality_bar=0.50,
    configs={
        "smoke": {**SMOKE, "levels": 2},
        # Measured (seed 0, 2 shared CPU cores under load 8): test mAP@0.5 0.742 / 0.869 / 0.892 / 0.899 at 300 / 600 /
        # 900 / 1,200 steps, 217 s of training.
        "default": {**DEFAULT, "levels": 3},
        "scale": SCALE,
    },
    description="SSD-style detector: 3 anchor shapes × 2 sizes per cell on the stride-4, 8 and 16 maps (levels=2 "
                "drops the last), IoU-0.5 matching, smooth-L1 boxes, softmax classes with 3:1 hard-negative "
                "mining. " + ERRATA["ssd"],
)
def ssd(config: dict[str, Any]) -> DetectionRecipe:
    """SSD on generated scenes."""
    return detection_recipe(SSD, config, levels=config["levels"])
