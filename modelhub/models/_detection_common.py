"""What the three detectors share: padded targets, anchors, box coding, the conv blocks, and the recipe.

A batch is ``(images, targets)``: images N×3×H×W in [0, 1] and targets N×K×5 rows ``label, x1, y1, x2, y2``
(pixels, exclusive end; label 0 pads images with fewer than K objects), so ``to_device`` and ``units_in`` work
on it unchanged. Each detector module has ``forward(images, targets) -> loss`` (so the trainer, DDP and the FLOP
counter see one call) and ``detect(images) -> [(boxes, scores, labels)]`` for evaluation.

Box deltas are Faster R-CNN's parametrisation (Ren et al. 2015, eq. 2): centre offsets in units of the anchor's
size and log size ratios, divided by (0.1, 0.1, 0.2, 0.2) — SSD's "variances", the same numbers as
torchvision's (10, 10, 5, 5) weights — so the four targets have similar spread and one smooth-L1 fits all.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from modelhub.datasets import DatasetError
from modelhub.datasets.scenes import CLASS_COLOURS, CLASSES, Scenes, draw_boxes, load_scenes
from modelhub.det_metrics import batched_nms, box_iou, mean_average_precision
from modelhub.recipes import Batch, TorchRecipe

DELTA_SCALE = (0.1, 0.1, 0.2, 0.2)
# Why each of the documents' three detection listings (001 §4.2) cannot produce a box; shown in each entry's
# description and checked against the document's lines in tests/modelhub/test_detection.py.
ERRATA = {
    "faster_rcnn": (
        "001:L458-482 cannot produce a box. Flatten (L469) and Dense(1000) (L470) turn the conv features into one "
        "vector per image before the RPN (L471), so there is no feature map left to slide anchors over or to pool "
        "regions from; RPN and ROIPooling2D are not Keras layers and are never defined (L460-461 import only "
        "Model, Input, Conv2D, MaxPooling2D, Flatten, Dense), so L471-472 raise NameError; ROIPooling2D takes "
        "input_image (L472), the pixels, not features; the one output, Dense(num_classes, softmax) (L473-474), "
        "gives class probabilities and nothing else: no box-regression layer, no objectness, and "
        "categorical_crossentropy on train_labels (L477-478) has no box term, so predicted_boxes = "
        "model.predict(test_data) (L481) holds class scores, not boxes. The faster_rcnn entry keeps the spatial "
        "map, runs an RPN (anchors, objectness, box deltas) on it, RoIAligns the proposals from the features and "
        "trains a classification + box-refinement head."
    ),
    "yolo": (
        "001:L488-509 cannot produce a box. '...' (L499) leaves out conv3 to pool5, so pool5 (L500) is undefined; "
        "the Conv2D(num_classes+5, 1×1, sigmoid) head (L500) has the channels of one box per grid cell, but "
        "nothing gives them a meaning: train_labels (L505) is never built, so no ground-truth box is placed in the "
        "cell holding its centre or coded relative to it, and one binary_crossentropy over every channel (L504) has "
        "no responsible-predictor assignment, no coordinate weight and no no-object term; model.predict (L508) "
        "returns the raw S×S×(C+5) grid, with no decoding of cell offsets to pixels, no score threshold and no "
        "NMS. The yolo entry builds YOLOv1's targets, loss and decoding."
    ),
    "ssd": (
        "001:L515-536 is the YOLO listing 001:L488-509 again, line for line except the two comments (L516, L520): "
        "one feature map (pool5, undefined after '...' at L526), no default boxes at several scales, no matching, "
        "no localisation loss and no hard-negative mining, and the same undecoded sigmoid grid from model.predict "
        "(L535), so it cannot produce a box for the same reasons and is not multi-scale as L513 says. The ssd "
        "entry predicts from anchors on three feature maps with 3:1 hard-negative mining."
    ),
}

# Figures: ground truth in white, predictions in their class's colour (scenes.CLASS_COLOURS: red, green, blue).
GT_COLOUR = (1.0, 1.0, 1.0)


def pad_targets(boxes: list[np.ndarray], labels: list[np.ndarray], max_k: int | None = None) -> torch.Tensor:
    """N×K×5 float tensor of ``label, x1, y1, x2, y2`` rows; label 0 marks padding."""
    max_k = max_k or max([len(b) for b in boxes] + [1])
    out = torch.zeros(len(boxes), max_k, 5)
    for i, (b, lab) in enumerate(zip(boxes, labels, strict=True)):
        k = min(len(b), max_k)
        out[i, :k, 0] = torch.as_tensor(np.asarray(lab[:k]), dtype=torch.float32)
        out[i, :k, 1:] = torch.as_tensor(np.asarray(b[:k]), dtype=torch.float32).reshape(-1, 4)
    return out


def unpad(targets: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per image: (k×4 boxes, k long labels) with the padding rows dropped."""
    out = []
    for t in targets:
        keep = t[:, 0] > 0
        out.append((t[keep, 1:], t[keep, 0].long()))
    return out


def make_anchors(feature_size: int, stride: int, sizes: tuple[float, ...],
                 ratios: tuple[float, ...] = (1.0,)) -> torch.Tensor:
    """(feature_size² · len(sizes) · len(ratios))×4 anchors, centred on each cell, ordered cell-major.

    The order matches a head's output reshaped from N×(A·k)×h×w to N×(h·w·A)×k (``flatten_head``).
    """
    per_cell = []
    for s in sizes:
        for r in ratios:  # r = height / width, area s²
            w, h = s / r ** 0.5, s * r ** 0.5
            per_cell.append((-w / 2, -h / 2, w / 2, h / 2))
    base = torch.tensor(per_cell)  # A×4
    centres = (torch.arange(feature_size, dtype=torch.float32) + 0.5) * stride
    cy, cx = torch.meshgrid(centres, centres, indexing="ij")
    shifts = torch.stack([cx, cy, cx, cy], dim=-1).reshape(-1, 1, 4)
    return (shifts + base[None]).reshape(-1, 4)


def flatten_head(x: torch.Tensor, k: int) -> torch.Tensor:
    """A conv head's N×(A·k)×h×w output as N×(h·w·A)×k, in ``make_anchors``' order."""
    n, _, h, w = x.shape
    return x.permute(0, 2, 3, 1).reshape(n, h * w * (x.shape[1] // k), k)


def encode(boxes: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
    """Deltas that move each anchor onto its box (both M×4)."""
    aw, ah = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
    ax, ay = anchors[:, 0] + aw / 2, anchors[:, 1] + ah / 2
    bw, bh = (boxes[:, 2] - boxes[:, 0]).clamp(min=1e-3), (boxes[:, 3] - boxes[:, 1]).clamp(min=1e-3)
    bx, by = boxes[:, 0] + bw / 2, boxes[:, 1] + bh / 2
    d = torch.stack([(bx - ax) / aw, (by - ay) / ah, torch.log(bw / aw), torch.log(bh / ah)], dim=1)
    return d / d.new_tensor(DELTA_SCALE)


def decode(deltas: torch.Tensor, anchors: torch.Tensor, size: int) -> torch.Tensor:
    """Boxes from deltas (…×4) on anchors (…×4), clipped to the image; log sizes capped so exp cannot overflow."""
    d = deltas * deltas.new_tensor(DELTA_SCALE)
    aw, ah = anchors[..., 2] - anchors[..., 0], anchors[..., 3] - anchors[..., 1]
    ax, ay = anchors[..., 0] + aw / 2, anchors[..., 1] + ah / 2
    cx, cy = ax + d[..., 0] * aw, ay + d[..., 1] * ah
    w, h = aw * torch.exp(d[..., 2].clamp(max=4.0)), ah * torch.exp(d[..., 3].clamp(max=4.0))
    return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=-1).clamp(0, size)


def match_anchors(anchors: torch.Tensor, gt_boxes: torch.Tensor, pos: float,
                  neg: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Per anchor: the index of its best GT box and a label 1 (object), 0 (background) or −1 (ignored).

    Positive at IoU ≥ ``pos``, background below ``neg``; every GT box also claims the anchor it overlaps most
    (Faster R-CNN's and SSD's rule), so small boxes that no anchor covers at ``pos`` still get one.
    """
    a = anchors.shape[0]
    if gt_boxes.numel() == 0:
        return torch.zeros(a, dtype=torch.long, device=anchors.device), torch.zeros(a, dtype=torch.long,
                                                                                    device=anchors.device)
    iou = box_iou(anchors, gt_boxes)  # A×G
    best_iou, best_gt = iou.max(dim=1)
    state = torch.full((a,), -1, dtype=torch.long, device=anchors.device)
    state[best_iou < neg] = 0
    state[best_iou >= pos] = 1
    claimed = iou.argmax(dim=0)  # G: each GT's best anchor
    best_gt[claimed] = torch.arange(gt_boxes.shape[0], device=anchors.device)
    state[claimed] = 1
    return best_gt, state


def conv_block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    """3×3 conv, batch norm, ReLU: batch norm lets these small detectors train at lr 1e-3 from scratch."""
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


def stem(width: int) -> nn.Sequential:
    """Image → stride-4 features of 4·width channels (8×8 on 32 px): two halvings, six convs."""
    return nn.Sequential(conv_block(3, width), conv_block(width, 2 * width, 2), conv_block(2 * width, 2 * width),
                         conv_block(2 * width, 4 * width, 2), conv_block(4 * width, 4 * width),
                         conv_block(4 * width, 4 * width))


def postprocess(boxes: torch.Tensor, scores: torch.Tensor, labels: torch.Tensor, *, score_thresh: float,
                nms_iou: float, max_det: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Drop low scores, per-class NMS, keep the ``max_det`` best: one image's final detections."""
    keep = scores > score_thresh
    boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
    if len(scores) > 4 * max_det:  # NMS is quadratic: pre-select the best candidates first
        top = scores.topk(4 * max_det).indices
        boxes, scores, labels = boxes[top], scores[top], labels[top]
    kept = batched_nms(boxes, scores, labels, nms_iou)[:max_det]
    return boxes[kept], scores[kept], labels[kept]


def load_detection_scenes(config: dict[str, Any]) -> dict[str, Scenes]:
    """The generated scenes of a detection config: train, and val and test of ``n_eval`` scenes each."""
    return load_scenes(seed=config["data_seed"], size=config["image_size"], n_train=config["n_train"],
                       n_val=config["n_eval"], n_test=config["n_eval"])


class DetectionRecipe(TorchRecipe):
    """Any detector with ``forward(images, targets) -> loss`` and ``detect(images)`` on generated scenes.

    Training batches are flipped left-right at random (the shapes are mirror-symmetric, so labels stay true),
    which doubles the distinct scenes the detector sees. ``evaluate`` reports VOC mAP@0.5 on val and test.
    """

    unit = "sample"

    def __init__(self, model: nn.Module, scenes: dict[str, Scenes], eval_batch: int = 256, flip: bool = True) -> None:
        super().__init__(model)
        self.scenes = scenes
        self.eval_batch = eval_batch
        self.flip = flip
        self._images = {s: torch.from_numpy(np.ascontiguousarray(d.images)) for s, d in scenes.items()}
        self._targets = {s: pad_targets(d.boxes, d.labels) for s, d in scenes.items()}

    def get_batch(self, split: str, batch_size: int, generator: torch.Generator) -> Batch:
        rows = torch.randint(len(self._images[split]), (batch_size,), generator=generator)
        images, targets = self._images[split][rows], self._targets[split][rows].clone()
        if self.flip and split == "train":
            flip = torch.rand(batch_size, generator=generator) < 0.5
            width = images.shape[-1]
            images[flip] = images[flip].flip(-1)
            t = targets[flip]
            x1, x2 = t[..., 1].clone(), t[..., 3].clone()
            t[..., 1], t[..., 3] = width - x2, width - x1
            t[t[..., 0] == 0] = 0.0  # padding rows stay all-zero
            targets[flip] = t
        return images, targets

    def loss(self, model: nn.Module, batch: Batch) -> torch.Tensor:
        images, targets = batch
        return model(images, targets)

    @torch.no_grad()
    def predict(self, model: nn.Module, split: str) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Detections for every image of a split (model in eval mode), on the CPU."""
        was_training = model.training
        model.eval()
        device = next(model.parameters()).device
        out = []
        images = self._images[split]
        for i in range(0, len(images), self.eval_batch):
            dets = model.detect(images[i:i + self.eval_batch].to(device))
            out += [tuple(t.float().cpu() if t.is_floating_point() else t.cpu() for t in d) for d in dets]
        model.train(was_training)
        return out

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        out: dict[str, float] = {}
        for split in ("val", "test"):
            data = self.scenes[split]
            result = mean_average_precision(self.predict(model, split), data.boxes, data.labels, 0.5)
            out[f"{split}_map50"] = float(result["map"])
        return out

    def figures(self, model: nn.Module, n: int = 8) -> list[dict[str, Any]]:
        """Test scenes at 2× with ground truth (white) and predictions scoring > 0.3 (class colours) drawn in."""
        data = self.scenes["test"]
        n = min(n, len(data.images))
        dets = self.predict(model, "test")[:n]
        images, captions = [], []
        for i in range(n):
            image = np.repeat(np.repeat(data.images[i].transpose(1, 2, 0), 2, axis=0), 2, axis=1)
            image = draw_boxes(image, np.asarray(data.boxes[i]) * 2, np.asarray(data.labels[i]),
                               [GT_COLOUR] * len(CLASSES))
            boxes, scores, labels = dets[i]
            keep = scores > 0.3
            image = draw_boxes(image, boxes[keep].numpy() * 2, labels[keep].numpy(), CLASS_COLOURS)
            images.append(np.clip(image, 0, 1).round(3).tolist())
            captions.append(", ".join(f"{CLASSES[int(c)]} {s:.2f}" for c, s in zip(labels[keep], scores[keep],
                                                                                    strict=True)) or "nothing")
        return [{"kind": "images", "title": "Test scenes: ground truth white, predictions by class colour",
                 "images": images, "captions": captions}]


DATA_KEYS = {"dataset": "scenes", "image_size": 32, "data_seed": 0}


def detection_recipe(cls: type[nn.Module], config: dict[str, Any], **kwargs: Any) -> DetectionRecipe:
    """Seeded weights on the generated scenes; 'scenes' is the one detection data set (boxes are needed)."""
    if config["dataset"] != "scenes":
        raise DatasetError(f"detectors train on 'scenes' (images with boxes), not {config['dataset']!r}")
    torch.manual_seed(config["seed"])
    scenes = load_detection_scenes(config)
    model = cls(num_classes=len(CLASSES) - 1, width=config["width"], size=config["image_size"], **kwargs)
    return DetectionRecipe(model, scenes)


SMOKE = {"n_train": 64, "n_eval": 16, "width": 4, "steps": 3, "batch_size": 8, "eval_every": 3}
# The three detectors train on the same data with the same schedule, so their mAPs compare like for like.
DEFAULT = {**DATA_KEYS, "n_train": 4000, "n_eval": 500, "width": 16, "steps": 1200, "batch_size": 32, "lr": 2e-3,
           "weight_decay": 1e-4, "eval_every": 300, "grad_clip": 10.0}
SCALE = {"n_train": 20000, "n_eval": 2000, "width": 32, "steps": 10000, "batch_size": 128, "eval_every": 1000}
