"""The byte-level language-modelling recipe shared by the GPT and the corrected LSTM (not a model family).

Loss and metrics are cross-entropy in **nats per byte** (natural log; bits = nats / ln 2). The evaluation
reads each split as consecutive non-overlapping windows of ``block_size`` bytes, each predicted from the
start of its window, so every byte of the split is scored exactly once — the same bytes the N-gram model
scores, which makes the numbers comparable.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812 - the PyTorch convention
from torch import nn

from modelhub.datasets import TextCorpus
from modelhub.models.gpt import decode, encode, random_windows
from modelhub.recipes import Batch, TorchRecipe


class ByteLanguageModeling(TorchRecipe):
    """Next-byte prediction on a ``TextCorpus``; the model maps (B, T) ids to ((B, T, 256) logits, loss)."""

    unit = "token"

    def __init__(self, model: nn.Module, corpus: TextCorpus, block_size: int, eval_bytes: int = 0,
                 prompt: str = "The ", sample_bytes: int = 200) -> None:
        super().__init__(model)
        self.corpus = corpus
        self.block_size = block_size
        self.prompt, self.sample_bytes = prompt, sample_bytes
        cut = eval_bytes if eval_bytes > 0 else None  # 0 = the whole split
        self._data = {s: torch.from_numpy(corpus.bytes(s)).long() for s in ("train", "val", "test")}
        self._eval = {s: self._data[s][:cut] for s in ("val", "test")}

    def get_batch(self, split: str, batch_size: int, generator: torch.Generator) -> Batch:
        return random_windows(self._data[split], self.block_size, batch_size, generator)

    def loss(self, model: nn.Module, batch: Batch) -> torch.Tensor:
        x, y = batch
        _, loss = model(x, y)
        return loss

    @torch.no_grad()
    def split_loss(self, model: nn.Module, split: str, batch_size: int = 64) -> float:
        """Mean nats per byte over the (possibly cut) split, every byte scored once."""
        data = self._eval[split]
        t = self.block_size
        n = (len(data) - 1) // t
        if n == 0:
            raise ValueError(f"the {split} split has fewer than {t + 1} bytes")
        x, y = data[:n * t].view(n, t), data[1:n * t + 1].view(n, t)
        device = next(model.parameters()).device
        total = 0.0
        for i in range(0, n, batch_size):
            logits, _ = model(x[i:i + batch_size].to(device))
            total += F.cross_entropy(logits.float().reshape(-1, logits.size(-1)),
                                     y[i:i + batch_size].reshape(-1).to(device), reduction="sum").item()
        return total / (n * t)

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        """val_loss and test_loss in nats per byte, and the test perplexity per byte."""
        was_training = model.training
        model.eval()
        out = {f"{s}_loss": self.split_loss(model, s) for s in ("val", "test")}
        out["test_perplexity"] = float(torch.exp(torch.tensor(out["test_loss"])))
        model.train(was_training)
        return out

    def generate(self, model: nn.Module, n: int = 1, temperature: float = 0.8, seed: int = 0) -> list[str]:
        """``n`` samples of ``sample_bytes`` bytes after the prompt (seeded, so reproducible)."""
        was_training = model.training
        model.eval()
        device = next(model.parameters()).device
        g = torch.Generator(device=device).manual_seed(seed)
        prompt = encode(self.prompt).to(device).repeat(n, 1)
        out = model.generate(prompt, self.sample_bytes, temperature=temperature, generator=g)
        model.train(was_training)
        return [decode(row.cpu()) for row in out]


def corpus_options(config: dict[str, Any]) -> dict[str, Any]:
    """The recipe's keyword options taken from a flat registry config."""
    return {"block_size": config["block_size"], "eval_bytes": config["eval_bytes"]}
