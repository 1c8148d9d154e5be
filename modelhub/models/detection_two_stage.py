"""001 §4.2.1's two-stage detector, Faster R-CNN (Ren et al. 2015), small enough to train on 32 px scenes on a CPU.

Backbone: six 3×3 conv + batch-norm blocks to a stride-4 map (8×8 on 32 px). Region proposal network: a 3×3
conv, then per cell and per anchor (3 sizes × 3 shapes) an objectness logit and four box deltas; proposals
are the 100 best decoded anchors after NMS at 0.7. RoIAlign (He et al. 2017) with ``grid_sample``: bilinear
samples in each of P×P bins of a proposal. Head: two fully connected layers, a softmax over
background + classes and class-specific box refinements. Both stages train together ("approximate joint
training": proposals are treated as constants); ground-truth boxes join the proposals during training.

Every anchor and every proposal of a batch enters the loss (balanced by averaging positives and negatives
separately) instead of the paper's random 256-anchor / 128-RoI samples: at this size all of them are cheap,
and the loss is a fixed function of the batch.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812 - the PyTorch convention
from torch import nn

from modelhub.det_metrics import box_iou, nms
from modelhub.models._detection_common import (
    DEFAULT,
    ERRATA,
    SCALE,
    SMOKE,
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

RPN_SIZES = (6.0, 10.0, 16.0)
RPN_RATIOS = (1.0, 0.5, 2.0)


def roi_align(features: torch.Tensor, rois: list[torch.Tensor], size: int, out: int, samples: int = 1) -> torch.Tensor:
    """(Σ R_i)×C×out×out features of each image's R_i boxes (image pixels) on an N×C×h×w map of size×size images.

    Each of the out×out bins is the mean of samples×samples bilinear samples (RoIAlign, no rounding of box
    edges to cells, which at stride 4 would move a 6 px box by up to 2 px). One sample per bin by default: the
    boxes here span 1.5 to 5 cells of the stride-4 map, so a 4×4 grid of bins already samples finer than a cell.
    One ``grid_sample`` call per batch: each image's boxes are padded to the longest list and their sampling
    grids stacked along the grid's height, so the feature map is never copied per box.
    """
    features = features.float()  # box coordinates in bf16 (autocast) would be off by up to 1/8 px
    n, c = features.shape[:2]
    k = out * samples
    most = max(len(r) for r in rois)
    padded = features.new_zeros(n, most, 4)
    for i, r in enumerate(rois):
        padded[i, :len(r)] = r
    steps = (torch.arange(k, device=features.device, dtype=features.dtype) + 0.5) / k
    x = padded[..., 0:1] + steps * (padded[..., 2:3] - padded[..., 0:1])  # N×R×k
    y = padded[..., 1:2] + steps * (padded[..., 3:4] - padded[..., 1:2])
    grid = torch.stack([x[:, :, None, :].expand(n, most, k, k), y[:, :, :, None].expand(n, most, k, k)], dim=-1)
    grid = grid.reshape(n, most * k, k, 2) / size * 2 - 1  # [-1, 1] spans the image's outer edges
    sampled = F.grid_sample(features, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    sampled = sampled.reshape(n, c, most, k, k).transpose(1, 2)  # N×R×C×k×k
    valid = torch.cat([torch.arange(most, device=features.device) < len(r) for r in rois])
    sampled = sampled.reshape(n * most, c, k, k)[valid]
    return F.avg_pool2d(sampled, samples) if samples > 1 else sampled


class FasterRCNN(nn.Module):
    """Backbone → RPN → RoIAlign → two fc layers → class scores and class-specific box deltas."""

    def __init__(self, num_classes: int = 3, width: int = 16, size: int = 32, pool: int = 4, hidden: int = 128,
                 pre_nms: int = 100, post_nms_train: int = 48, post_nms_test: int = 32, score_thresh: float = 0.05,
                 nms_iou: float = 0.5, max_det: int = 20) -> None:
        super().__init__()
        self.c, self.size, self.pool = num_classes, size, pool
        self.pre_nms, self.post_nms_train, self.post_nms_test = pre_nms, post_nms_train, post_nms_test
        ch = 4 * width
        self.features = stem(width)
        a = len(RPN_SIZES) * len(RPN_RATIOS)
        self.rpn_conv = nn.Sequential(nn.Conv2d(ch, ch, 3, padding=1), nn.ReLU(inplace=True))
        self.rpn_obj = nn.Conv2d(ch, a, 1)
        self.rpn_box = nn.Conv2d(ch, 4 * a, 1)
        self.register_buffer("anchors", make_anchors(size // 4, 4, RPN_SIZES, RPN_RATIOS), persistent=False)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(ch * pool * pool, hidden), nn.ReLU(inplace=True),
                                  nn.Linear(hidden, hidden), nn.ReLU(inplace=True))
        self.cls = nn.Linear(hidden, num_classes + 1)
        self.box = nn.Linear(hidden, 4 * num_classes)
        self.post = {"score_thresh": score_thresh, "nms_iou": nms_iou, "max_det": max_det}

    def _rpn(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        feats = self.features(images)
        h = self.rpn_conv(feats)
        return feats, flatten_head(self.rpn_obj(h), 1)[..., 0].float(), flatten_head(self.rpn_box(h), 4).float()

    @torch.no_grad()
    def _proposals(self, obj: torch.Tensor, deltas: torch.Tensor, keep: int) -> list[torch.Tensor]:
        """Per image: up to ``keep`` proposals, the best-scoring decoded anchors after NMS at IoU 0.7."""
        boxes = decode(deltas, self.anchors, self.size)
        out = []
        for b, s in zip(boxes, obj, strict=True):
            wide = ((b[:, 2] - b[:, 0]) >= 1) & ((b[:, 3] - b[:, 1]) >= 1)
            b, s = b[wide], s[wide]
            top = s.topk(min(self.pre_nms, len(s))).indices
            b, s = b[top], s[top]
            out.append(b[nms(b, s, 0.7)[:keep]])
        return out

    def _head(self, feats: torch.Tensor, rois: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.head(roi_align(feats, rois, self.size, self.pool))
        return self.cls(h).float(), self.box(h).float().reshape(-1, self.c, 4)

    def forward(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """RPN objectness + RPN box + RoI classification + RoI box losses of a batch."""
        feats, obj, deltas = self._rpn(images)
        gts = unpad(targets)
        proposals = self._proposals(obj.detach(), deltas.detach(), self.post_nms_train)
        obj_t, box_t, rois, roi_labels, roi_boxes = [], [], [], [], []
        for (boxes, labels), props in zip(gts, proposals, strict=True):
            best_gt, state = match_anchors(self.anchors, boxes, pos=0.5, neg=0.3)
            obj_t.append(state)
            box_t.append(encode(boxes[best_gt], self.anchors) if len(boxes) else torch.zeros_like(self.anchors))
            props = torch.cat([props, boxes])
            if len(boxes):
                iou, which = box_iou(props, boxes).max(dim=1)
                roi_labels.append(torch.where(iou >= 0.5, labels[which], 0))
                roi_boxes.append(encode(boxes[which], props))
            else:
                roi_labels.append(torch.zeros(len(props), dtype=torch.long, device=images.device))
                roi_boxes.append(torch.zeros_like(props))
            rois.append(props)
        state, target = torch.stack(obj_t), torch.stack(box_t)
        bce = F.binary_cross_entropy_with_logits(obj, (state == 1).float(), reduction="none")
        pos, neg = state == 1, state == 0
        # Objects and background weigh the same (a batch without objects has no positive term).
        rpn_obj = bce[pos].sum() / pos.sum().clamp(min=1) + bce[neg].sum() / neg.sum().clamp(min=1)
        rpn_box = F.smooth_l1_loss(deltas[pos], target[pos], beta=1 / 9) if pos.any() else deltas.sum() * 0
        scores, refine = self._head(feats, rois)
        labels = torch.cat(roi_labels)
        fg = labels > 0
        cls_loss = F.cross_entropy(scores, labels)
        box_loss = (F.smooth_l1_loss(refine[fg, labels[fg] - 1], torch.cat(roi_boxes)[fg], beta=1 / 9)
                    if fg.any() else refine.sum() * 0)
        return rpn_obj + rpn_box + cls_loss + box_loss

    @torch.no_grad()
    def detect(self, images: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Proposals → head → each class's refined box and softmax score → per-class NMS."""
        feats, obj, deltas = self._rpn(images)
        rois = self._proposals(obj, deltas, self.post_nms_test)
        if sum(len(r) for r in rois) == 0:
            empty = torch.zeros(0, device=images.device)
            return [(empty.reshape(0, 4), empty, empty.long()) for _ in rois]
        scores, refine = self._head(feats, rois)
        probs = scores.softmax(-1)[:, 1:]
        out, start = [], 0
        labels = torch.arange(1, self.c + 1, device=images.device)
        for r in rois:
            p, d = probs[start:start + len(r)], refine[start:start + len(r)]
            start += len(r)
            boxes = decode(d, r[:, None, :].expand(-1, self.c, 4), self.size)
            out.append(postprocess(boxes.reshape(-1, 4), p.reshape(-1), labels.repeat(len(r)), **self.post))
        return out


@register(
    "faster_rcnn", family="detection", task="object-detection", source="001 §4.2.1, 001:L454-482",
    dataset="scenes", metric="test_map50", higher_is_better=True, quality_bar=0.50,
    configs={
        "smoke": SMOKE,
        # Measured (seed 0, 2 shared CPU cores under load 8): test mAP@0.5 0.853 / 0.915 / 0.925 / 0.932 at 300 / 600 /
        # 900 / 1,200 steps, 322 s of training.
        "default": DEFAULT,
        "scale": SCALE,
    },
    description="Two-stage detector: conv backbone to a stride-4 map, an RPN (9 anchors per cell, objectness and "
                "box deltas, NMS 0.7), RoIAlign 4×4 from the features, two fc layers, softmax classes and "
                "class-specific box refinement, trained jointly. " + ERRATA["faster_rcnn"],
)
def faster_rcnn(config: dict[str, Any]) -> Any:
    """Faster R-CNN on generated scenes."""
    return detection_recipe(FasterRCNN, config)
