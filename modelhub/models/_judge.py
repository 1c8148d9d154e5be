"""The judge that scores generated images, and the figure helpers the GAN and the VAE share.

A generative model has no accuracy of its own, so its samples are shown to a *separately* trained classifier
(the "judge"): a small CNN fitted once per process on the training split of the same data set, and cached.
``confident_share`` is the share of samples the judge assigns to one class with probability ≥ 0.9;
``classes_covered`` counts the distinct classes among those confident samples (a generator that collapses onto
one digit scores 1).

Why the judge has an extra "not a digit" class: a plain 10-way softmax classifier is confident on anything far
from its training data (measured on digits: a 10-way CNN put ≥ 0.9 on one digit for 27–41 % of uniform-noise
images), so noise would "pass". The judge is trained with a reject class fed four kinds of non-digits
(uniform noise, pixels drawn independently from random training images at each position, 50/50 blends of two
digits of different classes, pixel-shuffled digits). Measured with seed 0 (400 steps): test accuracy 0.996;
confident share of the real test digits 0.937 (0.972 of the training digits) — the ceiling a generator can be
compared with; 0 % of uniform noise, of untrained-generator outputs and of 3×3-blurred digits; 5 % of held-out
different-class blends and 77 % of same-class blends; 12 % of Bernoulli images with the digits' pixel means (a
kind held out of its training, its weakest spot).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the usual PyTorch alias
from torch import nn

from modelhub.datasets import load_images

CONFIDENT = 0.9  # the confidence at which a sample counts as recognisably one class


def _judge_net(channels: int, classes: int, width: int = 16) -> nn.Module:
    """Two 3×3 convs, a 2×2 max pool (then an average pool to 4×4 above 8 px) and two dense layers.

    ``classes`` + 1 outputs: the last is "not a digit".
    """
    return nn.Sequential(
        nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(), nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2), nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(2 * width * 16, 64), nn.ReLU(),
        nn.Linear(64, classes + 1),
    )


def non_digits(pool: torch.Tensor, labels: torch.Tensor, n: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` images that are no class: noise, per-pixel mixes across images, blends, shuffled pixels.

    Blends are 50/50 of two images of *different* classes: halfway between a 3 and an 8 is neither, but the
    average of two 3s is a (blurred) 3, and calling it junk would teach the judge to reject every soft image.
    """
    shape = (n, *pool.shape[1:])
    classes = int(labels.max()) + 1
    order = torch.argsort(labels)
    counts = torch.bincount(labels, minlength=classes)
    starts = torch.cumsum(counts, 0) - counts
    first = order[torch.randint(len(pool), (n,), generator=generator)]
    other = (labels[first] + torch.randint(1, classes, (n,), generator=generator)) % classes
    second = order[starts[other] + (torch.rand(n, generator=generator) * counts[other]).long()]
    a, b = pool[first], pool[second]
    flat = pool.flatten(1)
    pixels = flat.shape[1]
    mixed = flat[torch.randint(len(pool), (n, pixels), generator=generator), torch.arange(pixels)].view(shape)
    shuffled = torch.gather(a.flatten(1), 1, torch.argsort(torch.rand(n, pixels, generator=generator), 1))
    kinds = torch.randint(4, (n,), generator=generator).view(-1, *([1] * (len(shape) - 1)))
    out = torch.where(kinds == 0, torch.rand(shape, generator=generator), mixed)
    out = torch.where(kinds == 2, 0.5 * a + 0.5 * b, out)
    return torch.where(kinds == 3, shuffled.view(shape), out)


@dataclass(frozen=True)
class Judge:
    """A fitted judge: ``net`` (CPU, eval mode), the class names and how it scores the real test images."""

    net: nn.Module
    classes: tuple[str, ...]
    test_accuracy: float
    real_confident_share: float  # the same measure on real test images: the ceiling for a generator

    @torch.no_grad()
    def classify(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(confidence, predicted class) per image: the largest class probability, the reject class excluded."""
        probs = F.softmax(self.net(images.detach().float().cpu()), dim=1)[:, :-1]
        return probs.max(dim=1)

    def score(self, images: torch.Tensor) -> dict[str, float]:
        """``confident_share``, ``classes_covered`` and ``mean_confidence`` of a batch of generated images."""
        confidence, label = self.classify(images)
        sure = confidence >= CONFIDENT
        return {"confident_share": float(sure.float().mean()),
                "classes_covered": float(len(torch.unique(label[sure]))),
                "mean_confidence": float(confidence.mean())}


@cache
def judge_for(dataset: str, size: int, seed: int, steps: int = 400) -> Judge:
    """Train (once per process and arguments) the judge on ``dataset``'s training split.

    The global RNG is forked, so training a judge in the middle of a run leaves that run's random stream (and
    its checkpoints) exactly as they would be without it.
    """
    data = load_images(dataset, size=size, seed=seed)
    x = torch.from_numpy(np.ascontiguousarray(data.x_train))
    y = torch.from_numpy(data.y_train)
    reject = len(data.classes)
    # enable_grad: the judge is usually first needed inside an evaluate() that runs under no_grad.
    with torch.random.fork_rng(devices=[]), torch.enable_grad():
        torch.manual_seed(seed)
        net = _judge_net(data.shape[0], reject)
        optimiser = torch.optim.Adam(net.parameters(), lr=3e-3)
        generator = torch.Generator().manual_seed(seed)
        batch, junk = 128, 32
        for _ in range(steps):
            rows = torch.randint(len(y), (batch,), generator=generator)
            inputs = torch.cat([x[rows], non_digits(x, y, junk, generator)])
            targets = torch.cat([y[rows], torch.full((junk,), reject)])
            loss = F.cross_entropy(net(inputs), targets)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    probe = Judge(net, data.classes, 0.0, 0.0)
    confidence, label = probe.classify(torch.from_numpy(np.ascontiguousarray(data.x_test)))
    y_test = torch.from_numpy(data.y_test)
    return Judge(net, data.classes, float((label == y_test).float().mean()),
                 float((confidence >= CONFIDENT).float().mean()))


# -- figures (the format is in modelhub/recipes.py) -------------------------------------------------------------

def image_figure(title: str, images: torch.Tensor, captions: list[str] | None = None) -> dict[str, Any]:
    """An ``images`` figure from N×C×H×W tensors in [0, 1] (grey when C = 1, RGB when C = 3), ≤ 64 of them."""
    pictures = images[:64].detach().float().cpu().clamp(0, 1)
    pictures = pictures[:, 0] if pictures.shape[1] == 1 else pictures.permute(0, 2, 3, 1)
    figure: dict[str, Any] = {"kind": "images", "title": title,
                              "images": np.round(pictures.numpy(), 3).tolist()}
    if captions is not None:
        figure["captions"] = captions[:64]
    return figure


def judged_captions(judge: Judge, images: torch.Tensor) -> list[str]:
    """'7 (0.98)' per image: the judge's class and confidence, so the grid shows what the metric counted."""
    confidence, label = judge.classify(images)
    return [f"{judge.classes[k]} ({c:.2f})" for k, c in zip(label.tolist(), confidence.tolist(), strict=True)]


def binned(values: list[float], bins: int = 200) -> tuple[list[float], list[float]]:
    """(x, y): a long curve averaged over at most ``bins`` equal runs of steps (x = the run's last step)."""
    if not values:
        return [], []
    edges = np.linspace(0, len(values), min(bins, len(values)) + 1).round().astype(int)
    arr = np.asarray(values, dtype=float)
    xs = [float(hi) for lo, hi in itertools.pairwise(edges) if hi > lo]
    ys = [float(arr[lo:hi].mean()) for lo, hi in itertools.pairwise(edges) if hi > lo]
    return xs, ys
