"""004 §5's "text generation model" (004:L327-354): the Keras code as written, and a corrected generator.

As written: ``Input → Embedding(10000, 256) → LSTM(1024, return_sequences=True) → LSTM(1024)``, compiled with
Adam and ``loss='mse'``. Keras counts 2,560,000 + 5,246,976 + 8,392,704 = **16,199,680** parameters.
``KerasLSTMStack`` reproduces that count exactly: a Keras LSTM has *one* bias vector per gate set, PyTorch's
``nn.LSTM`` has two (``b_ih`` and ``b_hh``, redundant since only their sum matters), which would add
4·1024 per layer (16,207,872 in all). We build each layer as a bias-free ``nn.LSTM`` whose input carries a
constant 1 channel: the extra input column *is* the single Keras bias, so the maths and the count match
Keras while the fused LSTM kernel still runs. (Keras also uses a sigmoid recurrent activation and the
same i, f, c, o gate order, as PyTorch does.)

Why it cannot generate text (``why_it_cannot_generate``):

1. The output is the last LSTM's final hidden state, a (batch, 1024) vector in (−1, 1)¹⁰²⁴ — there is no
   ``Dense(vocab, softmax)`` (``Dense`` is imported and never used), so nothing scores the 10,000 words.
2. The second LSTM has no ``return_sequences=True``: one vector per *sequence*, not one prediction per position.
3. ``loss='mse'`` regresses that vector onto some 1,024-wide target; the document leaves the targets as
   ``...``. No probability over tokens exists, so there is nothing to sample from, and ``model.predict``
   returns floats (004:L383-386), not text.

To let the as-written network train at all (so that its cost can be measured beside the fixed one), the
recipe regresses onto a fixed random ±1 code per next token — our choice, since the document gives none.

Corrected (``LSTMLanguageModel``): Embedding → LSTM (all time steps) → LSTM (all time steps) →
Linear(vocab) trained with next-token cross-entropy, and a temperature sampling loop. Byte-level
(vocabulary 256) like the GPT, so its loss is in the same nats per byte.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812 - the PyTorch convention
from torch import nn

from modelhub.datasets import TextCorpus, load_text
from modelhub.models._text import ByteLanguageModeling, corpus_options
from modelhub.models.gpt import random_windows
from modelhub.recipes import Batch, TorchRecipe
from modelhub.registry import register

KERAS_PARAMETERS = 16_199_680  # 004:L327-354 as Keras' model.summary() counts it (2,560,000 + 5,246,976 + 8,392,704)


class KerasLSTMLayer(nn.Module):
    """One Keras-style LSTM layer (single bias per gate) as a bias-free ``nn.LSTM`` fed a constant-1 channel."""

    def __init__(self, input_size: int, units: int) -> None:
        super().__init__()
        self.lstm = nn.LSTM(input_size + 1, units, batch_first=True, bias=False)
        with torch.no_grad():  # Keras' unit_forget_bias=True: the forget gate starts at bias 1, the rest at 0.
            self.lstm.weight_ih_l0[:, -1] = 0.0
            self.lstm.weight_ih_l0[units:2 * units, -1] = 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, input) → every time step's hidden state (B, T, units)."""
        ones = torch.ones(*x.shape[:-1], 1, dtype=x.dtype, device=x.device)
        out, _ = self.lstm(torch.cat([x, ones], dim=-1))
        return out


class KerasLSTMStack(nn.Module):
    """The document's model: token ids (B, T) → the second LSTM's last hidden state (B, units)."""

    def __init__(self, vocab_size: int = 10_000, embedding_dim: int = 256, lstm_units: int = 1024) -> None:
        super().__init__()
        self.vocab_size, self.units = vocab_size, lstm_units
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm1 = KerasLSTMLayer(embedding_dim, lstm_units)  # return_sequences=True
        self.lstm2 = KerasLSTMLayer(lstm_units, lstm_units)     # return_sequences=False: last step only

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """(B, T) int ids → (B, lstm_units) floats: what ``model.predict`` returns as written."""
        return self.lstm2(self.lstm1(self.embedding(idx)))[:, -1, :]


def target_codes(vocab_size: int, units: int, seed: int = 0) -> torch.Tensor:
    """A fixed random ±1 code (vocab, units) per token: the MSE targets the document never defines."""
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 2, (vocab_size, units), generator=g).float() * 2 - 1


def why_it_cannot_generate(model: KerasLSTMStack, idx: torch.Tensor) -> dict[str, object]:
    """Evidence, from a forward pass, that the as-written model yields no distribution over tokens."""
    with torch.no_grad():
        out = model(idx)
    return {
        "output_shape": tuple(out.shape),
        "vocab_size": model.vocab_size,
        "outputs_per_sequence": 1 if out.dim() == 2 else out.shape[1],
        "inputs_per_sequence": idx.shape[1],
        "output_range": (float(out.min()), float(out.max())),
        "sums_to_one": bool(torch.allclose(out.sum(-1), torch.ones(out.shape[0]), atol=1e-3)),
        "reasons": [
            f"the output has {out.shape[-1]} values, not one score per each of the {model.vocab_size} tokens "
            "(no Dense(vocab, softmax) layer)",
            "the second LSTM returns only its last state, so there is no prediction per position",
            "it is trained with MSE onto unspecified targets: no probabilities, nothing to sample",
        ],
    }


class LSTMLanguageModel(nn.Module):
    """Corrected generator: Embedding → 2 × LSTM (all steps) → Linear(vocab), next-token cross-entropy."""

    def __init__(self, vocab_size: int = 256, embedding_dim: int = 64, lstm_units: int = 256,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, lstm_units, num_layers=2, batch_first=True, dropout=dropout)
        self.head = nn.Linear(lstm_units, vocab_size)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None,
                state: tuple[torch.Tensor, torch.Tensor] | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Logits (B, T, vocab); with targets also the mean cross-entropy (nats per token)."""
        out, _ = self.lstm(self.embedding(idx), state)
        logits = self.head(out)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))
        return logits, loss

    @torch.no_grad()
    def generate(self, idx: torch.Tensor, max_new_tokens: int, temperature: float = 1.0,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """Append sampled tokens, carrying the LSTM state forward (one step per new token)."""
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, not {temperature}")
        out, state = self.lstm(self.embedding(idx))
        logits = self.head(out[:, -1, :])
        for _ in range(max_new_tokens):
            nxt = torch.multinomial(F.softmax(logits / temperature, dim=-1), 1, generator=generator)
            idx = torch.cat([idx, nxt], dim=1)
            out, state = self.lstm(self.embedding(nxt), state)
            logits = self.head(out[:, -1, :])
        return idx


# -- registry entries -------------------------------------------------------------------------------------------
_LSTM_SOURCE = "004 §5.2, 004:L327-354"


class AsWrittenRecipe(TorchRecipe):
    """The document's network on byte windows: MSE between its last state and the next byte's fixed code."""

    unit = "token"

    def __init__(self, model: KerasLSTMStack, corpus: TextCorpus, block_size: int, eval_windows: int) -> None:
        super().__init__(model)
        self.block_size, self.eval_windows = block_size, eval_windows
        self.codes = target_codes(model.vocab_size, model.units)
        self._data = {s: torch.from_numpy(corpus.bytes(s)).long() for s in ("train", "val", "test")}

    def get_batch(self, split: str, batch_size: int, generator: torch.Generator) -> Batch:
        x, y = random_windows(self._data[split], self.block_size, batch_size, generator)
        return x, y[:, -1]  # one target per sequence: the byte after the window

    def loss(self, model: nn.Module, batch: Batch) -> torch.Tensor:
        x, y = batch
        return F.mse_loss(model(x), self.codes.to(x.device)[y])

    @torch.no_grad()
    def evaluate(self, model: nn.Module) -> dict[str, float]:
        """MSE on seeded val/test windows, and the fraction of outputs whose nearest code is the right byte —
        a decoder the document does not have, shown only to measure what MSE learned."""
        was_training = model.training
        model.eval()
        device = next(model.parameters()).device
        out: dict[str, float] = {}
        for split in ("val", "test"):
            x, y = self.get_batch(split, self.eval_windows, torch.Generator().manual_seed(1))
            pred = model(x.to(device)).cpu()
            out[f"{split}_mse"] = float(F.mse_loss(pred, self.codes[y]))
            nearest = torch.cdist(pred, self.codes[:256]).argmin(dim=1)
            out[f"{split}_nearest_code_accuracy"] = float((nearest == y).float().mean())
        model.train(was_training)
        return out


@register(
    "lstm_as_written", family="lstm", task="language-modeling", source=_LSTM_SOURCE, dataset="pydoc",
    metric="test_mse", higher_is_better=False, as_written_of="lstm",
    configs={
        "smoke": {"vocab_size": 256, "embedding_dim": 16, "lstm_units": 32, "steps": 3, "batch_size": 8,
                  "block_size": 16, "eval_windows": 32, "eval_every": 3},
        # The document's sizes (16,199,680 parameters), Adam, MSE, batch 64; a short run: it cannot learn text.
        "default": {"dataset": "pydoc", "vocab_size": 10_000, "embedding_dim": 256, "lstm_units": 1024, "steps": 20,
                    "batch_size": 64, "block_size": 32, "eval_windows": 256, "eval_every": 10, "lr": 1e-3},
        "scale": {"steps": 2000, "eval_every": 200},
    },
    errata="Heading says Transformer, the code is two LSTMs; the second returns only its last state; there is no "
           "Dense(vocab, softmax) head (Dense is imported, never used) and the loss is MSE, so the model outputs a "
           "1,024-float vector per sequence, not a distribution over the 10,000 tokens: predict() returns floats, "
           "never text. The corrected entry keeps every time step, adds Linear(vocab), trains with cross-entropy on "
           "the next token and samples. Targets are `...` in the document; here a fixed random ±1 code per token.",
    description="004 §5's Keras model as written: Embedding(10000, 256) → LSTM(1024, seq) → LSTM(1024), Adam, MSE; "
                "16,199,680 parameters as Keras counts them (one bias per gate set).",
)
def lstm_as_written(config: dict[str, Any]) -> AsWrittenRecipe:
    """The document's two-LSTM model, trained with MSE as written."""
    torch.manual_seed(config["seed"])
    model = KerasLSTMStack(config["vocab_size"], config["embedding_dim"], config["lstm_units"])
    corpus = load_text(config["dataset"], seed=config["seed"])
    return AsWrittenRecipe(model, corpus, config["block_size"], config["eval_windows"])


@register(
    "lstm", family="lstm", task="language-modeling", source=_LSTM_SOURCE, dataset="pydoc", metric="test_loss",
    # Bar: 2.2 nats/byte, well below a byte unigram's 3.26 on the same test bytes (it must learn sequence structure).
    higher_is_better=False, quality_bar=2.2,
    configs={
        "smoke": {"embedding_dim": 16, "lstm_units": 32, "steps": 3, "batch_size": 8, "block_size": 32,
                  "eval_bytes": 4096, "eval_every": 3},
        "default": {"dataset": "pydoc", "embedding_dim": 64, "lstm_units": 256, "dropout": 0.0, "steps": 600,
                    "batch_size": 32, "block_size": 64, "eval_bytes": 0, "lr": 3e-3, "eval_every": 100},
        # The document's widths (embedding 256, two LSTMs of 1024) with a byte vocabulary and a vocabulary head.
        "scale": {"embedding_dim": 256, "lstm_units": 1024, "dropout": 0.1, "steps": 5000, "batch_size": 64,
                  "block_size": 256, "lr": 1e-3, "eval_every": 250},
    },
    description="Corrected generator: Embedding → 2 × LSTM (every time step) → Linear(256 bytes), next-byte "
                "cross-entropy (nats per byte), temperature sampling.",
)
def lstm(config: dict[str, Any]) -> ByteLanguageModeling:
    """The corrected byte-level LSTM language model."""
    torch.manual_seed(config["seed"])
    model = LSTMLanguageModel(256, config["embedding_dim"], config["lstm_units"], config["dropout"])
    return ByteLanguageModeling(model, load_text(config["dataset"], seed=config["seed"]), **corpus_options(config))
