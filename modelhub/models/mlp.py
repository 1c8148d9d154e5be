"""The multilayer perceptron of 001 Appendix A (TensorFlow example): Dense(128, relu) → Dense(10), on digits.

The document's model takes 784 inputs (28×28 MNIST); digits are 8×8, so the input here is 64 pixels and the
model has 64·128 + 128 + 128·10 + 10 = 9,610 parameters instead of the document's 101,770 (same layers).
The softmax of the document's last layer is folded into the cross-entropy loss, as PyTorch does.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from modelhub.datasets import load_images
from modelhub.recipes import ImageClassification
from modelhub.registry import register


class MLP(nn.Module):
    """Flatten → Linear(in, hidden) → ReLU → Linear(hidden, classes); returns logits."""

    def __init__(self, in_features: int = 64, hidden: int = 128, classes: int = 10) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


@register(
    "mlp",
    family="mlp",
    task="image-classification",
    source="001 Appendix A, 001:L914-930",
    dataset="digits",
    metric="test_accuracy",
    higher_is_better=True,
    quality_bar=0.95,
    configs={
        "smoke": {"steps": 5, "batch_size": 32, "eval_every": 5, "warmup_steps": 1},
        "default": {"dataset": "digits", "image_size": 8, "hidden": 128, "steps": 400, "batch_size": 64, "lr": 3e-3,
                    "warmup_steps": 20, "eval_every": 100},
        "scale": {"hidden": 1024, "steps": 3000, "batch_size": 256, "eval_every": 250},
    },
    description="Dense(128, relu) → Dense(10) as in the TensorFlow appendix example, on 8×8 digits (64 inputs).",
)
def mlp(config: dict[str, Any]) -> ImageClassification:
    """Build the MLP recipe; ``dataset`` is 'digits' or an uploaded image zip ('upload:images:<sha256>'),
    ``image_size`` resizes the images, ``hidden`` is the hidden width."""
    torch.manual_seed(config["seed"])  # initial weights follow the seed
    data = load_images(config["dataset"], size=config["image_size"], seed=config["seed"])
    c, h, w = data.shape
    return ImageClassification(MLP(c * h * w, config["hidden"], len(data.classes)), data)
