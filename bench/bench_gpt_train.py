"""GPT training throughput on the CPU: modelhub's trainer + GPT vs a minimal reference loop written here.

Run: ``python -m bench.bench_gpt_train [--steps 10] [--rounds 3] [--threads 1] [--config default]``. Both
sides use the registry's ``gpt`` config (same shape, batch, context, learning rate, weight decay and
clipping), plain eager fp32, and the same batches (the same seeded windows of the Python documentation).
The reference is the textbook GPT: attention written out as softmax(QKᵀ/√d)·V with an explicit mask,
``torch.optim.AdamW`` on every parameter, one Python loop. Before timing, the reference is loaded with our
weights and must give the same loss, so both sides compute the same function. The sides alternate in
rounds, so load from other processes hits both; prints tokens/s for both (median step, and the
10th-percentile step, the least disturbed) and the ratio.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from itertools import pairwise

import torch
import torch.nn.functional as F  # noqa: N812 - the PyTorch convention
from torch import nn

from bench._report import Result, emit
from modelhub import registry, trainer
from modelhub.models.gpt import random_windows


class RefAttention(nn.Module):
    def __init__(self, c: int, heads: int, block: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(c, 3 * c, bias=False)
        self.proj = nn.Linear(c, c, bias=False)
        self.register_buffer("mask", torch.tril(torch.ones(block, block, dtype=torch.bool)), persistent=False)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in self.qkv(x).split(c, dim=2))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))
        att = att.masked_fill(~self.mask[:t, :t], float("-inf")).softmax(dim=-1)
        return self.proj((att @ v).transpose(1, 2).reshape(b, t, c))


class RefMLP(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.fc = nn.Linear(c, 4 * c, bias=False)
        self.proj = nn.Linear(4 * c, c, bias=False)

    def forward(self, x):
        return self.proj(F.gelu(self.fc(x)))


class RefBlock(nn.Module):
    def __init__(self, c: int, heads: int, block: int) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(c, bias=False), nn.LayerNorm(c, bias=False)
        self.attn, self.mlp = RefAttention(c, heads, block), RefMLP(c)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class RefGPT(nn.Module):
    """The same parameter names and shapes as ``modelhub.models.gpt.GPT``, so its weights load here."""

    def __init__(self, cfg: dict) -> None:
        super().__init__()
        c = cfg["n_embd"]
        self.wte, self.wpe = nn.Embedding(cfg["vocab_size"], c), nn.Embedding(cfg["block_size"], c)
        self.blocks = nn.ModuleList(RefBlock(c, cfg["n_head"], cfg["block_size"]) for _ in range(cfg["n_layer"]))
        self.ln_f = nn.LayerNorm(c, bias=False)
        self.lm_head = nn.Linear(c, cfg["vocab_size"], bias=False)
        self.lm_head.weight = self.wte.weight

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.lm_head(self.ln_f(x))


def reference_step_times(cfg: dict, data: torch.Tensor, steps: int, warmup: int, state: dict) -> list[float]:
    """The minimal loop: same batches (seeded windows), AdamW, clip, step; seconds per step after warm-up."""
    torch.manual_seed(cfg["seed"])
    model = RefGPT(cfg)
    model.load_state_dict(state)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"], betas=(0.9, 0.95))
    gen = torch.Generator().manual_seed(cfg["seed"])
    times = []
    for i in range(warmup + steps):
        start = time.perf_counter()
        x, y = random_windows(data, cfg["block_size"], cfg["batch_size"], gen)
        loss = F.cross_entropy(model(x).view(-1, cfg["vocab_size"]), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), cfg["grad_clip"])
        opt.step()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return times


def ours_step_times(config: str, steps: int, warmup: int, threads: int) -> list[float]:
    """modelhub's trainer on the registry's gpt recipe; seconds between consecutive step events after warm-up."""
    recipe = registry.create("gpt", config, steps=warmup + steps, eval_every=10**9, eval_bytes=4096,
                             threads=threads)
    stamps: list[float] = []
    began = time.perf_counter()

    def on_event(event: trainer.TrainEvent) -> None:
        if event.kind == "step":
            stamps.append(time.perf_counter())

    trainer.train(recipe, device="cpu", callbacks=[on_event])
    edges = [began, *stamps]
    return [b - a for a, b in pairwise(edges)][warmup:]


def check_parity(config: str) -> float:
    """|loss(ours) − loss(reference)| on one batch with the same weights (must be ~0)."""
    recipe = registry.create("gpt", config)
    cfg = recipe.config
    ref = RefGPT(cfg)
    ref.load_state_dict(recipe.model.state_dict())
    x, y = recipe.example_batch(cfg["batch_size"])
    with torch.no_grad():
        ours = recipe.loss(recipe.model, (x, y)).item()
        theirs = F.cross_entropy(ref(x).view(-1, cfg["vocab_size"]), y.reshape(-1)).item()
    return abs(ours - theirs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="timed steps per round and side")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (ours, reference, ours, …)")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads for both sides (1: on a shared machine, OpenMP threads waiting for a "
                             "descheduled sibling make 2-thread timings erratic)")
    parser.add_argument("--config", default="default")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    gap = check_parity(args.config)
    if gap > 1e-4:
        raise SystemExit(f"the reference computes a different loss (gap {gap:.2e}); the comparison would be void")
    recipe = registry.create("gpt", args.config)
    cfg = recipe.config
    data = torch.from_numpy(recipe.corpus.bytes("train")).long()
    state = recipe.model.state_dict()
    tokens = cfg["batch_size"] * cfg["block_size"]
    ours: list[float] = []
    ref: list[float] = []
    for _ in range(args.rounds):  # interleaved, so a burst of load on the shared machine hits both sides
        ours += ours_step_times(args.config, args.steps, args.warmup, args.threads)
        ref += reference_step_times(cfg, data, args.steps, args.warmup, state)
    # The median is the typical step; the 10th percentile is the step least disturbed by other processes.
    med_ours, med_ref = statistics.median(ours), statistics.median(ref)
    fast_ours, fast_ref = (statistics.quantiles(t, n=10)[0] for t in (ours, ref))
    print(f"GPT {args.config}: {cfg['n_layer']} layers × {cfg['n_embd']}, context {cfg['block_size']}, batch "
          f"{cfg['batch_size']} ({tokens} tokens/step), {args.threads} CPU thread(s), {len(ours)} timed steps a "
          f"side in {args.rounds} interleaved rounds; loss parity {gap:.1e}")
    print(f"modelhub trainer  {tokens / med_ours:10,.0f} tokens/s median  {tokens / fast_ours:10,.0f} p10")
    print(f"reference loop    {tokens / med_ref:10,.0f} tokens/s median  {tokens / fast_ref:10,.0f} p10")
    print(f"ratio             {med_ref / med_ours:.2f}× median  {fast_ref / fast_ours:.2f}× p10  (target ≥ 1.0)")
    emit(Result("gpt_train", f"GPT {args.config} training step ({tokens} tokens, CPU fp32, median)", med_ours,
                med_ref, reference="textbook attention + plain AdamW loop"))


if __name__ == "__main__":
    main()
