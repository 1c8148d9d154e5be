"""The documents' image classifiers, ported layer for layer from Keras to PyTorch.

* ``KerasCNN`` — 000 §1.2.2 (000:L258-279): 32c3-p2-64c3-p2-fc64-fc10 on 28×28×1, 121,930 parameters.
* ``LeNet`` — 001 §4.1 (001:L356-378): 6c5-p2-16c5-p2-fc120-fc84-fc10, sigmoid throughout, 28×28 input
  (the document's "handwritten digits"), 44,426 parameters. The text says "one fully connected layer"
  (001:L354) but the code has three; we follow the code.
* ``AlexNet`` — 001 §4.1 (001:L384-410): 96c11s4-p3s2-256c5-p3s2-384c3-384c3-256c3-p3s2-fc4096-fc4096.
* ``DocVGG`` — 001 §4.1 (001:L416-448), the document's "VGGNet": seven 3×3 convs (64, 64, 128, 128, 256, 256,
  256) *each* followed by a 2×2 pool, then fc4096-fc4096. Real VGG-16 has 13 convs in five blocks with a pool
  per block; this is the document's network, not VGG-16.

Adaptation to scikit-learn's 8×8 digits (the only image set we have offline): images are resized
(bilinear) to the smallest size each network accepts — 28 px for the Keras CNN and LeNet (their
MNIST-shaped inputs), 64 px for AlexNet (its 11×11/4 conv and three 3/2 pools need ≥ 57 px), 128 px for
the document's VGG (seven halvings need ≥ 128 px) — and every output layer has 10 classes instead of
ImageNet's 1000. ``width`` scales every conv/fc width so that CPU configs stay small; ``width=1`` is the
document's network. Keras ``padding='same'`` is ``padding=k//2`` for odd kernels at stride 1; for AlexNet's
stride-4 first conv, Keras pads asymmetrically to give ceil(H/4) outputs, which we reproduce with
``nn.ZeroPad2d``. Weights start from Keras' defaults (``keras_init``). Softmax lives in the loss
(``F.cross_entropy`` on logits), as usual in PyTorch.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812 - the PyTorch convention
from torch import nn

from modelhub.datasets import load_images
from modelhub.recipes import ImageClassification
from modelhub.registry import register

NUM_CLASSES = 10


def keras_init(model: nn.Module) -> nn.Module:
    """Keras' default initialisers: Glorot-uniform kernels, zero biases (PyTorch's defaults differ).

    A faithful port needs them: PyTorch's kaiming_uniform(a=√5) draws weights ~1.7× smaller than Glorot for a
    3×3 conv, and through the document's ten-layer VGG without batch norm that shrinks the signal until
    training sits at chance for hundreds of steps.
    """
    for m in model.modules():
        if isinstance(m, nn.Conv2d | nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return model


def _w(channels: int, width: float) -> int:
    """A layer width scaled by ``width`` (at least 1)."""
    return max(1, round(channels * width))


class KerasCNN(nn.Module):
    """000 §1.2.2's Sequential CNN; expects (N, 1, 28, 28) images, returns logits (N, 10)."""

    image_size = 28

    def __init__(self, num_classes: int = NUM_CLASSES, in_channels: int = 1) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 32, 3), nn.ReLU(), nn.MaxPool2d(2),   # 28 → 26 → 13
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),  # 13 → 11 → 5
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(5 * 5 * 64, 64), nn.ReLU(), nn.Linear(64, num_classes))
        keras_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits for a batch of 28×28 single-channel images."""
        return self.classifier(self.features(x))


class LeNet(nn.Module):
    """001 §4.1's LeNet (sigmoid activations, max pooling as in the Keras code); 28×28 input."""

    image_size = 28

    def __init__(self, num_classes: int = NUM_CLASSES, in_channels: int = 1) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5), nn.Sigmoid(), nn.MaxPool2d(2),   # 28 → 24 → 12
            nn.Conv2d(6, 16, 5), nn.Sigmoid(), nn.MaxPool2d(2),  # 12 → 8 → 4
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(4 * 4 * 16, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(),
            nn.Linear(84, num_classes),
        )
        keras_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits for a batch of 28×28 single-channel images."""
        return self.classifier(self.features(x))


def _conv(cin: int, cout: int, k: int) -> list[nn.Module]:
    """Keras Conv2D(padding='same', activation='relu') at stride 1."""
    return [nn.Conv2d(cin, cout, k, padding=k // 2), nn.ReLU()]


class AlexNet(nn.Module):
    """001 §4.1's AlexNet (no dropout or LRN: the document has none); 64×64 input, flatten 1·1·256·width."""

    image_size = 64

    def __init__(self, num_classes: int = NUM_CLASSES, width: float = 1.0, in_channels: int = 1) -> None:
        super().__init__()
        c96, c256, c384, fc = (_w(c, width) for c in (96, 256, 384, 4096))
        self.features = nn.Sequential(
            # Keras 'same' at stride 4 on 64 px: 16 outputs, total padding 11 - 4 = 7 split 3 left / 4 right.
            nn.ZeroPad2d((3, 4, 3, 4)), nn.Conv2d(in_channels, c96, 11, stride=4), nn.ReLU(),  # 64 → 16
            nn.MaxPool2d(3, 2),                                                                        # 16 → 7
            *_conv(c96, c256, 5), nn.MaxPool2d(3, 2),                                                  # 7 → 3
            *_conv(c256, c384, 3), *_conv(c384, c384, 3), *_conv(c384, c256, 3), nn.MaxPool2d(3, 2),   # 3 → 1
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(c256, fc), nn.ReLU(), nn.Linear(fc, fc), nn.ReLU(), nn.Linear(fc, num_classes),
        )
        keras_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits for a batch of 64×64 single-channel images."""
        return self.classifier(self.features(x))


DOC_VGG_CHANNELS = (64, 64, 128, 128, 256, 256, 256)


class DocVGG(nn.Module):
    """001 §4.1's "VGGNet": seven conv+pool pairs, so a 128 px input ends at 1×1."""

    image_size = 128

    def __init__(self, num_classes: int = NUM_CLASSES, width: float = 1.0, in_channels: int = 1) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = in_channels
        for channels in DOC_VGG_CHANNELS:
            cout = _w(channels, width)
            layers += [*_conv(cin, cout, 3), nn.MaxPool2d(2)]
            cin = cout
        self.features = nn.Sequential(*layers)
        fc = _w(4096, width)
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(cin, fc), nn.ReLU(), nn.Linear(fc, fc), nn.ReLU(), nn.Linear(fc, num_classes),
        )
        keras_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits for a batch of 128×128 single-channel images."""
        return self.classifier(self.features(x))


class BasicBlock(nn.Module):
    """He et al. (2016) basic residual block: two 3×3 convs with batch norm and an identity (or 1×1) shortcut."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:  # projection shortcut (option B) when the shape changes
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """F(x) + x: the block learns a residual, which is what lets deep stacks train."""
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class ResNet(nn.Module):
    """ResNet (002 names it; the design is He et al. 2016 §4.2's CIFAR family): 6n+2 layers, widths w, 2w, 4w.

    Runs on the 8×8 digits at their own size (no resize): 8 → 8 → 4 → 2, then global average pooling.
    ``n=1`` is ResNet-8, ``n=3`` ResNet-20.
    """

    image_size = 8

    def __init__(self, num_classes: int = NUM_CLASSES, n: int = 1, width: int = 16, in_channels: int = 1) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width),
                                  nn.ReLU())
        blocks: list[nn.Module] = []
        cin = width
        for stage, cout in enumerate((width, 2 * width, 4 * width)):
            for i in range(n):
                blocks.append(BasicBlock(cin, cout, stride=2 if stage > 0 and i == 0 else 1))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits for a batch of 8×8 single-channel images."""
        out = self.blocks(self.stem(x))
        return self.head(out.mean(dim=(2, 3)))


def resize(images: torch.Tensor, size: int) -> torch.Tensor:
    """Bilinear resize of (N, 1, H, W) images to ``size``×``size`` (a no-op when already that size)."""
    if images.shape[-1] == size and images.shape[-2] == size:
        return images
    return F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters (the figure Keras ``model.summary()`` calls 'Trainable params')."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# -- registry entries -------------------------------------------------------------------------------------------
# Configs: ``default`` follows the documents' training (Adam, lr 1e-3, batch 32 = Keras' default, their epochs
# as steps: 1,257 training digits / 32 ≈ 40 steps per epoch) unless a bar needs more, which the entry says.

def _image_recipe(model_cls: type[nn.Module], config: dict[str, Any], **kwargs: Any) -> ImageClassification:
    """Seeded weights; the data set (digits or an uploaded image zip) resized to the size the network needs,
    its channels and classes deciding the first and last layers."""
    torch.manual_seed(config["seed"])
    data = load_images(config["dataset"], size=model_cls.image_size, seed=config["seed"])
    model = model_cls(num_classes=len(data.classes), in_channels=data.shape[0], **kwargs)
    return ImageClassification(model, data)


_SMOKE = {"steps": 3, "batch_size": 16, "eval_every": 3}


@register(
    "keras_cnn", family="cnn", task="image-classification", source="000 §1.2.2, 000:L258-279",
    dataset="digits", metric="test_accuracy", higher_is_better=True, quality_bar=0.95,
    configs={
        "smoke": _SMOKE,
        # The document's 5 epochs are of MNIST (60,000 images: 9,375 updates at batch 32); on 1,257 digits 5 epochs
        # are 200 updates and reach 0.944 (seed 0), short of the bar; 10 epochs (400 updates) here.
        "default": {"dataset": "digits", "steps": 400, "batch_size": 32, "lr": 1e-3, "eval_every": 100},
        "scale": {"steps": 2000, "batch_size": 128, "eval_every": 200},
    },
    description="32c3-p2-64c3-p2-fc64-fc10 (121,930 parameters), Adam, cross-entropy; digits upsampled 8→28 px "
                "because the document's input is 28×28×1.",
)
def keras_cnn(config: dict[str, Any]) -> ImageClassification:
    """The 000 CNN on 28 px digits."""
    return _image_recipe(KerasCNN, config)


@register(
    "lenet", family="cnn", task="image-classification", source="001 §4.1, 001:L356-378",
    dataset="digits", metric="test_accuracy", higher_is_better=True, quality_bar=0.97,
    configs={
        "smoke": _SMOKE,
        # The document's 10 epochs (400 steps at lr 1e-3) leave sigmoid LeNet short of 97 %: sigmoids saturate
        # and learn slowly. Same network, lr 3e-3 and 1,200 steps (~30 epochs).
        "default": {"dataset": "digits", "steps": 1200, "batch_size": 32, "lr": 3e-3, "eval_every": 100},
        "scale": {"steps": 4000, "batch_size": 128, "eval_every": 250},
    },
    description="6c5-p2-16c5-p2-fc120-fc84-fc10 with sigmoids (44,426 parameters); digits upsampled 8→28 px "
                "(two 5×5 convs and two pools need ≥ 16 px; 28 is the MNIST size the text implies).",
)
def lenet(config: dict[str, Any]) -> ImageClassification:
    """LeNet on 28 px digits."""
    return _image_recipe(LeNet, config)


@register(
    "alexnet", family="cnn", task="image-classification", source="001 §4.1, 001:L384-410",
    dataset="digits", metric="test_accuracy", higher_is_better=True, quality_bar=0.95,
    configs={
        "smoke": {**_SMOKE, "width": 0.0625},
        # A quarter of the document's widths (1.36 M parameters) keeps CPU training to minutes; width=1 is the
        # document's network with a 10-way head (21.6 M parameters) — the scale config.
        "default": {"dataset": "digits", "width": 0.25, "steps": 400, "batch_size": 32, "lr": 1e-3, "eval_every": 100},
        "scale": {"width": 1.0, "steps": 2000, "batch_size": 128, "lr": 1e-4, "eval_every": 200},
    },
    description="96c11s4-p3s2-256c5-p3s2-384c3-384c3-256c3-p3s2-fc4096-fc4096-fc10; digits upsampled 8→64 px "
                "(the smallest size its stride-4 conv and three 3/2 pools accept is 57 px); no dropout or LRN, as "
                "written. width scales every layer.",
)
def alexnet(config: dict[str, Any]) -> ImageClassification:
    """AlexNet on 64 px digits, widths scaled by ``width``."""
    return _image_recipe(AlexNet, config, width=config["width"])


@register(
    "doc_vgg", family="cnn", task="image-classification", source="001 §4.1, 001:L416-448",
    dataset="digits", metric="test_accuracy", higher_is_better=True, quality_bar=0.95,
    configs={
        "smoke": {**_SMOKE, "width": 0.0625},
        "default": {"dataset": "digits", "width": 0.25, "steps": 400, "batch_size": 32, "lr": 1e-3, "eval_every": 100},
        "scale": {"width": 1.0, "steps": 2000, "batch_size": 128, "lr": 1e-4, "eval_every": 200},
    },
    description="The document's \"VGGNet\": seven 3×3 convs (64-64-128-128-256-256-256), each followed by a 2×2 pool, "
                "fc4096-fc4096-fc10; digits upsampled 8→128 px (seven halvings need ≥ 128 px). Not VGG-16, which "
                "has 13 convs in five blocks. width scales every layer (default a quarter).",
)
def doc_vgg(config: dict[str, Any]) -> ImageClassification:
    """The document's VGG on 128 px digits, widths scaled by ``width``."""
    return _image_recipe(DocVGG, config, width=config["width"])


@register(
    "resnet", family="resnet", task="image-classification", source="002 §1.3.2, 002:L393 (named only)",
    dataset="digits", metric="test_accuracy", higher_is_better=True, quality_bar=0.97,
    configs={
        "smoke": {**_SMOKE, "n": 1, "width": 8},
        "default": {"dataset": "digits", "n": 1, "width": 16, "steps": 600, "batch_size": 64, "lr": 3e-3,
                    "weight_decay": 1e-4, "eval_every": 100},
        "scale": {"n": 3, "width": 64, "steps": 3000, "batch_size": 256, "eval_every": 250},
    },
    description="The documents name ResNet without a design; this is He et al. 2016 §4.2's CIFAR ResNet (6n+2 "
                "layers, widths w-2w-4w, batch norm, projection shortcuts), run on the 8×8 digits at their own size. "
                "default: ResNet-8 (77,754 parameters).",
)
def resnet(config: dict[str, Any]) -> ImageClassification:
    """ResNet-(6n+2) on 8 px digits."""
    return _image_recipe(ResNet, config, n=config["n"], width=config["width"])
