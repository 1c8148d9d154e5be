"""A GPT (decoder-only Transformer) language model — 004 §3.1/§4.1's Transformer, written for PyTorch.

The documents describe the Transformer only in prose and one formula (softmax(QKᵀ/√d_k)V, 004:L206-208):
self-attention, multiple heads, a feed-forward network (004:L156-158). What a working language model adds,
following GPT-2 (Radford et al. 2019) and the shape of nanoGPT's ``model.py``: a causal mask (a token sees
only the past), learned position embeddings, pre-norm residual blocks, a 4× GELU MLP, a final layer norm,
and the output projection tied to the token embedding (one matrix, fewer parameters, better sample
efficiency — Press & Wolf 2017). Attention runs through ``F.scaled_dot_product_attention(is_causal=True)``,
which picks a fused kernel where the device has one.

Byte-level: the vocabulary is the 256 byte values, so the cross-entropy is nats per byte with no tokenizer.
The ``scale`` config is GPT-2-124M's shape (12 layers, 12 heads, 768 wide, 1,024 context, vocabulary padded
to 50,304 as nanoGPT does) so that its FLOPs and MFU compare with published GPT-2-small runs; only the first
256 rows of its embedding are ever used by byte input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F  # noqa: N812 - the PyTorch convention
from torch import nn

from modelhub.datasets import load_text
from modelhub.registry import register

if TYPE_CHECKING:
    from modelhub.models._text import ByteLanguageModeling


@dataclass(frozen=True)
class GPTConfig:
    """Model shape. Defaults are the CPU ``default`` config (~0.8 M parameters)."""

    block_size: int = 128   # context length in bytes
    vocab_size: int = 256   # byte values; 50,304 for the GPT-2-sized ``scale`` config
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0    # the corpus is small: the default config uses 0.1 against over-fitting
    bias: bool = False      # no biases in linears/norms: slightly faster, no worse (nanoGPT's finding)


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where position t attends to positions ≤ t only."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        if cfg.n_embd % cfg.n_head:
            raise ValueError(f"n_embd ({cfg.n_embd}) must be a multiple of n_head ({cfg.n_head})")
        self.n_head = cfg.n_head
        self.qkv = nn.Linear(cfg.n_embd, 3 * cfg.n_embd, bias=cfg.bias)  # Q, K, V for all heads in one matmul
        self.proj = nn.Linear(cfg.n_embd, cfg.n_embd, bias=cfg.bias)
        self.dropout = cfg.dropout
        self.resid_drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, C) → (B, T, C)."""
        b, t, c = x.shape
        q, k, v = self.qkv(x).split(c, dim=2)
        # (B, T, C) → (B, heads, T, head size): each head attends in its own subspace.
        q, k, v = (z.view(b, t, self.n_head, c // self.n_head).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                           dropout_p=self.dropout if self.training else 0.0)
        y = y.transpose(1, 2).contiguous().view(b, t, c)
        return self.resid_drop(self.proj(y))


class MLP(nn.Module):
    """The position-wise feed-forward network: C → 4C → GELU → C."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.fc = nn.Linear(cfg.n_embd, 4 * cfg.n_embd, bias=cfg.bias)
        self.proj = nn.Linear(4 * cfg.n_embd, cfg.n_embd, bias=cfg.bias)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, C) → (B, T, C)."""
        return self.drop(self.proj(F.gelu(self.fc(x))))


class Block(nn.Module):
    """Pre-norm Transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.n_embd, bias=cfg.bias)
        self.attn = CausalSelfAttention(cfg)
        self.ln2 = nn.LayerNorm(cfg.n_embd, bias=cfg.bias)
        self.mlp = MLP(cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Residual stream in, residual stream out."""
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    """Token + position embeddings → blocks → layer norm → logits over the vocabulary (tied weights)."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.wpe = nn.Embedding(cfg.block_size, cfg.n_embd)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.n_embd, bias=cfg.bias)
        self.lm_head = nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying: the same matrix reads and writes tokens
        self.apply(self._init_weights)
        # GPT-2: scale the residual projections by 1/√(2·layers) so the residual stream's variance stays ~1.
        for name, p in self.named_parameters():
            if name.endswith("proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def num_parameters(self, non_embedding: bool = False) -> int:
        """Parameter count (tied weights counted once); ``non_embedding`` leaves out the position table."""
        n = sum(p.numel() for p in self.parameters())
        return n - self.wpe.weight.numel() if non_embedding else n

    def forward(self, idx: torch.Tensor,
                targets: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Logits (B, T, vocab) for token ids (B, T); with targets, also the mean cross-entropy in nats/token."""
        _, t = idx.shape
        if t > self.cfg.block_size:
            raise ValueError(f"sequence of {t} tokens is longer than the context of {self.cfg.block_size}")
        pos = torch.arange(t, device=idx.device)
        x = self.drop(self.wte(idx) + self.wpe(pos))
        for block in self.blocks:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))
        return logits, loss

    @torch.no_grad()
    def generate(self, idx: torch.Tensor, max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """Append ``max_new_tokens`` sampled tokens to ``idx`` (B, T), feeding back the last ``block_size``."""
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, not {temperature}")
        for _ in range(max_new_tokens):
            logits, _ = self(idx[:, -self.cfg.block_size:])
            logits = logits[:, -1, :] / temperature
            if top_k is not None:
                kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]
                logits = logits.masked_fill(logits < kth, float("-inf"))
            nxt = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator)
            idx = torch.cat([idx, nxt], dim=1)
        return idx


def encode(text: str) -> torch.Tensor:
    """UTF-8 bytes of ``text`` as a (1, T) int64 tensor of token ids."""
    return torch.tensor(list(text.encode("utf-8")), dtype=torch.long)[None, :]


def decode(ids: torch.Tensor) -> str:
    """Token ids (bytes) back to text; ids ≥ 256 and broken UTF-8 become U+FFFD."""
    return bytes(int(i) if int(i) < 256 else 63 for i in ids.flatten()).decode("utf-8", errors="replace")


def random_windows(data: torch.Tensor, block_size: int, batch_size: int, generator: torch.Generator) -> tuple[
        torch.Tensor, torch.Tensor]:
    """A batch of (input, next-token target) windows at random offsets of a 1-D token tensor."""
    if len(data) <= block_size:
        raise ValueError(f"the text has {len(data)} tokens, fewer than the context of {block_size} + 1")
    starts = torch.randint(len(data) - block_size - 1, (batch_size,), generator=generator)
    offsets = torch.arange(block_size + 1)
    windows = data[starts[:, None] + offsets[None, :]]
    return windows[:, :-1], windows[:, 1:]


# -- registry entry ---------------------------------------------------------------------------------------------
def _gpt_config(config: dict[str, Any]) -> GPTConfig:
    return GPTConfig(block_size=config["block_size"], vocab_size=config["vocab_size"], n_layer=config["n_layer"],
                     n_head=config["n_head"], n_embd=config["n_embd"], dropout=config["dropout"], bias=config["bias"])


@register(
    "gpt", family="transformer", task="language-modeling", source="004 §3.1.1, §4.1, 004:L151-164, L202-248",
    dataset="pydoc", metric="test_loss", higher_is_better=False, quality_bar=None,
    configs={
        "smoke": {"n_layer": 1, "n_head": 2, "n_embd": 32, "block_size": 32, "steps": 3, "batch_size": 8,
                  "eval_bytes": 4096, "eval_every": 3},
        # ~0.43 M parameters and a 64-byte context (a word trigram sees ~15 bytes): small enough to train on
        # 2 CPU cores, big enough for 325 k training bytes. Small batches (16 × 64 bytes) make more updates per
        # byte seen, which is what a CPU budget buys; lr 3e-3 is stable at this width.
        "default": {"dataset": "pydoc", "vocab_size": 256, "n_layer": 2, "n_head": 4, "n_embd": 128,
                    "block_size": 64, "dropout": 0.0, "bias": False, "steps": 3000, "batch_size": 16, "lr": 3e-3,
                    "warmup_steps": 100, "weight_decay": 0.1, "eval_every": 500, "eval_bytes": 0},
        # GPT-2-124M's shape; meant for a GPU (bf16 autocast there), where its MFU is measured.
        "scale": {"vocab_size": 50_304, "n_layer": 12, "n_head": 12, "n_embd": 768, "block_size": 1024,
                  "steps": 2000, "batch_size": 16, "lr": 6e-4, "warmup_steps": 100, "eval_every": 250},
    },
    description="Byte-level GPT: causal multi-head self-attention (scaled_dot_product_attention), 4× GELU MLP, "
                "pre-norm residual blocks, final layer norm, output weights tied to the token embedding. "
                "Loss in nats per byte; its quality bar is the word N-gram's validation loss on the same bytes.",
)
def gpt(config: dict[str, Any]) -> ByteLanguageModeling:
    """The GPT on the Python documentation (or an uploaded text: ``dataset=upload:text:<sha256>``), as bytes."""
    from modelhub.models._text import ByteLanguageModeling, corpus_options  # _text imports this module

    torch.manual_seed(config["seed"])
    model = GPT(_gpt_config(config))
    return ByteLanguageModeling(model, load_text(config["dataset"], seed=config["seed"]), **corpus_options(config))
