"""The recipe protocol: what the trainer and the benchmark harness call, and nothing about any one model.

A **torch recipe** (``TorchRecipe``) owns an ``nn.Module`` and its data:

- ``model``: the module (built on the CPU; the trainer moves it);
- ``unit``: ``'sample'`` or ``'token'`` — what throughput and FLOPs are counted in;
- ``get_batch(split, batch_size, generator)``: a batch drawn with the given seeded ``torch.Generator`` on the
  CPU (the trainer saves the generator's state in checkpoints, so a resumed run sees the same batches);
- ``loss(model, batch)``: a scalar tensor (the trainer may pass a DDP-wrapped or compiled model);
- ``units_in(batch)``: samples or tokens in a batch;
- ``evaluate(model)``: ``{metric: value}``, including the entry's metric (e.g. ``test_accuracy``) and,
  for early stopping, its validation twin (``val_accuracy``);
- ``example_batch(batch_size)``: a batch for FLOP counting and benchmarks;
- ``generate(model, n)``: optional text samples (``[]`` when the model does not generate);
- ``figures(model)``: optional pictures of what the model learned (sample grids, boxes, masks, attention,
  learning curves), as JSON-ready dicts the Modelhub page draws (``[]`` by default). Each dict has ``kind``
  and ``title`` and, by kind:

  - ``"images"``: ``images`` — N×H×W (grey) or N×H×W×3 (RGB) nested lists of floats in [0, 1], boxes and
    masks already drawn into the pixels; optional ``captions`` (N strings);
  - ``"heatmap"``: ``z`` (rows × columns), optional ``x`` and ``y`` tick labels;
  - ``"lines"``: ``x`` and ``series`` (name → values), optional ``x_label`` and ``y_label``;
  - ``"scatter"``: ``x``, ``y`` and ``labels`` (one per point, coloured by label).

  Keep them small (≤ 64 images of ≤ 64×64 px): they are stored with the run.

A **fit recipe** (``FitRecipe``: scikit-learn pipelines, counting models) has ``fit()``, ``evaluate()``,
``predict_inputs()`` and counts of training/prediction units; the harness times ``fit`` and ``predict``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the usual PyTorch alias
from torch import nn

from modelhub.datasets import ImageDataset

Batch = Any  # a tensor or a tuple of tensors


def to_device(batch: Batch, device: torch.device | str) -> Batch:
    """Move a tensor, or a tuple/list of tensors, to ``device`` (non-tensors pass through)."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, tuple | list):
        return type(batch)(to_device(b, device) for b in batch)
    return batch


class TorchRecipe:
    """Base class for torch recipes; subclasses set ``model`` and ``unit`` and implement the data methods."""

    kind = "torch"
    unit = "sample"
    # Filled by registry.create(): the entry name, config name and merged flat config.
    name: str = ""
    config_name: str = ""
    config: dict[str, Any]

    def __init__(self, model: nn.Module) -> None:
        self.model = model

    def get_batch(self, split: str, batch_size: int, generator: torch.Generator) -> Batch:
        raise NotImplementedError

    def loss(self, model: nn.Module, batch: Batch) -> torch.Tensor:
        raise NotImplementedError

    def units_in(self, batch: Batch) -> int:
        """Samples in a batch (its first tensor's first dimension); token recipes count tokens instead."""
        first = batch[0] if isinstance(batch, tuple | list) else batch
        return int(first.shape[0]) if self.unit == "sample" else int(first.numel())

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        raise NotImplementedError

    def example_batch(self, batch_size: int) -> Batch:
        """A fixed training batch (seed 0) for FLOP counting and benchmarks."""
        return self.get_batch("train", batch_size, torch.Generator().manual_seed(0))

    def generate(self, model: nn.Module, n: int = 1) -> list[str]:
        """Text samples from the model; the base class generates nothing."""
        return []

    def figures(self, model: nn.Module) -> list[dict[str, Any]]:
        """Pictures of what the model learned (see the module docstring); the base class draws none."""
        return []


class FitRecipe:
    """Base class for recipes trained by one ``fit`` call (scikit-learn pipelines, counting models)."""

    kind = "fit"
    unit = "sample"
    name: str = ""
    config_name: str = ""
    config: dict[str, Any]

    def fit(self) -> FitRecipe:
        raise NotImplementedError

    def evaluate(self) -> dict[str, float]:
        raise NotImplementedError

    def fit_units(self) -> int:
        """Units (samples or tokens) one ``fit`` call trains on."""
        raise NotImplementedError

    def predict_inputs(self) -> Any:
        """Inputs whose prediction the harness times (usually the test split)."""
        raise NotImplementedError

    def predict(self, inputs: Any) -> Any:
        raise NotImplementedError

    def predict_units(self, inputs: Any) -> int:
        return len(inputs)

    def parameter_count(self) -> int:
        """Learned numbers in the fitted model (0 when it has none to count)."""
        return 0

    def generate(self, n: int = 1) -> list[str]:
        return []

    def figures(self) -> list[dict[str, Any]]:
        """Pictures of what the fitted model learned (see the module docstring); none by default."""
        return []


class ImageClassification(TorchRecipe):
    """Any image classifier on an ``ImageDataset``: cross-entropy, accuracy on val and test.

    The model maps N×C×H×W float images to N×K logits.
    """

    unit = "sample"

    def __init__(self, model: nn.Module, data: ImageDataset, eval_batch: int = 512) -> None:
        super().__init__(model)
        self.data = data
        self.eval_batch = eval_batch
        self._splits = {s: (torch.from_numpy(np.ascontiguousarray(data.split(s)[0])),
                            torch.from_numpy(np.ascontiguousarray(data.split(s)[1])))
                        for s in ("train", "val", "test")}

    def get_batch(self, split: str, batch_size: int, generator: torch.Generator) -> Batch:
        x, y = self._splits[split]
        rows = torch.randint(len(y), (batch_size,), generator=generator)  # sampling with replacement
        return x[rows], y[rows]

    def loss(self, model: nn.Module, batch: Batch) -> torch.Tensor:
        x, y = batch
        return F.cross_entropy(model(x), y)

    @torch.no_grad()
    def evaluate(self, model: nn.Module) -> dict[str, float]:
        was_training = model.training
        model.eval()
        device = next(model.parameters()).device
        out: dict[str, float] = {}
        for split in ("val", "test"):
            x, y = self._splits[split]
            correct, total_loss = 0, 0.0
            for i in range(0, len(y), self.eval_batch):
                xb, yb = x[i:i + self.eval_batch].to(device), y[i:i + self.eval_batch].to(device)
                logits = model(xb).float()
                total_loss += F.cross_entropy(logits, yb, reduction="sum").item()
                correct += (logits.argmax(1) == yb).sum().item()
            out[f"{split}_accuracy"] = correct / len(y)
            out[f"{split}_loss"] = total_loss / len(y)
        model.train(was_training)
        return out
