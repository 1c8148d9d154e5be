"""One training loop for every torch recipe (minGPT-style: it knows nothing about the model).

Device auto (CUDA → MPS → CPU), bf16 autocast on CUDA, optional ``torch.compile``, gradient accumulation and
clipping, linear warm-up then cosine decay, atomic checkpoints (a plain dict), exact resume, early stop at a
target metric, callbacks for progress, and DDP: run the same code under ``torchrun`` (gloo on CPU, NCCL on GPUs).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from modelhub.config import TrainConfig
from modelhub.recipes import TorchRecipe, to_device

MAX_AUTO_THREADS = 4  # past 4 threads the small models here gain little and neighbours lose a lot


class StopTraining(Exception):  # noqa: N818 - a signal, not an error
    """Raised by a callback to end training cleanly after the current step (e.g. the job was cancelled)."""


@dataclass(frozen=True)
class TrainEvent:
    """What callbacks receive: ``kind`` is 'step', 'eval' or 'end'; loss in nats, lr, units/s since start."""

    kind: str
    step: int
    total_steps: int
    loss: float | None = None
    lr: float | None = None
    units_per_second: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)


Callback = Callable[[TrainEvent], None]


@dataclass
class TrainResult:
    steps: int  # optimiser steps completed (including those before a resume)
    metrics: dict[str, float]  # the last evaluation
    history: list[dict[str, float]]  # one row per step: step, loss, lr
    evals: list[dict[str, float]]  # one row per evaluation: step and every metric
    stopped_early: bool
    seconds: float  # wall time of this call (not of the steps before a resume)
    time_to_target: float | None  # seconds from this call's start until the target was reached
    device: str
    world_size: int
    checkpoint: str | None
    stopped: bool = False  # a callback raised StopTraining (e.g. the job was cancelled): the run is unfinished


def pick_device(requested: str = "auto") -> torch.device:
    """'auto' picks CUDA, then Apple's MPS, then the CPU; anything else is passed to ``torch.device``."""
    if requested != "auto":
        device = torch.device(requested)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device {requested!r} was asked for but this machine has no CUDA GPU")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def auto_threads(world_size: int = 1) -> int:
    """Idle cores ÷ processes, between 1 and 4.

    Idle = cores minus the 1-minute load average: on a busy shared machine OpenMP threads wait at every
    barrier for a descheduled sibling (measured here: a tiny MLP step took 0.4 ms on 1 thread and 400 ms on
    2 threads with the load at 7 on 2 cores), so a busy machine gets one thread.
    """
    cores = os.cpu_count() or 1
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return max(1, min(MAX_AUTO_THREADS, int(cores - load) // world_size))


def set_threads(threads: int, world_size: int = 1) -> int:
    """Set torch's CPU threads: ``threads`` if > 0, else ``auto_threads``; returns the count."""
    count = threads if threads > 0 else auto_threads(world_size)
    torch.set_num_threads(count)
    return count


def lr_at(step: int, tc: TrainConfig) -> float:
    """Learning rate for an optimiser step: linear warm-up to ``lr``, then cosine down to ``lr × min_lr_ratio``."""
    if tc.warmup_steps > 0 and step < tc.warmup_steps:
        return tc.lr * (step + 1) / tc.warmup_steps
    span = max(1, tc.steps - tc.warmup_steps)
    progress = min(1.0, (step - tc.warmup_steps) / span)
    floor = tc.lr * tc.min_lr_ratio
    return floor + 0.5 * (1 + math.cos(math.pi * progress)) * (tc.lr - floor)


def make_optimizer(model: nn.Module, tc: TrainConfig, device: torch.device) -> torch.optim.Optimizer:
    """AdamW; weight decay only on matrices and kernels (≥ 2-D), never on biases and norms (nanoGPT's rule)."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": tc.weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=tc.lr, betas=(tc.beta1, 0.95 if tc.weight_decay else 0.999),
                             fused=device.type == "cuda")


def autocast_for(device: torch.device, precision: str) -> Any:
    """bf16 autocast on CUDA ('auto' or 'bf16'), on CPU only when asked for; otherwise fp32."""
    if precision == "bf16" or (precision == "auto" and device.type == "cuda"):
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return nullcontext()


def target_key(metrics: dict[str, float], metric: str) -> str:
    """Early stopping watches the validation twin of the reported metric when there is one (no test leakage)."""
    twin = metric.replace("test_", "val_", 1)
    return twin if twin in metrics else metric


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Write atomically: a crash mid-write leaves the previous checkpoint intact, never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """A checkpoint dict (tensors and plain values only, loaded with ``weights_only``)."""
    return torch.load(path, map_location="cpu", weights_only=True)


def _distributed() -> tuple[int, int, int]:
    """(rank, world size, local rank) from torchrun's environment; (0, 1, 0) when run alone."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return 0, 1, 0
    return int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0"))


def train(
    recipe: TorchRecipe,
    *,
    device: str = "auto",
    checkpoint: str | Path | None = None,
    resume: bool = False,
    callbacks: Sequence[Callback] = (),
    metric: str | None = None,
) -> TrainResult:
    """Train ``recipe.model`` with the trainer keys of ``recipe.config``; see the module docstring.

    ``checkpoint``: file written at each evaluation (rank 0); with ``resume`` and an existing file, training
    continues from it and ends with the same weights as an uninterrupted run with the same seed.
    ``metric``: the evaluation key compared with ``target`` (default: the registry entry's metric).
    """
    tc = TrainConfig.from_config(recipe.config)
    rank, world, local_rank = _distributed()
    dev = pick_device(device)
    if world > 1:
        if dev.type == "cuda":
            dev = torch.device("cuda", local_rank)
            torch.cuda.set_device(dev)
        if not dist.is_initialized():
            dist.init_process_group(backend="nccl" if dev.type == "cuda" else "gloo")
    if dev.type == "cpu":
        set_threads(tc.threads, world)
    if metric is None:
        from modelhub.registry import get

        metric = get(recipe.name).metric if recipe.name else ""

    raw = recipe.model.to(dev)
    optimizer = make_optimizer(raw, tc, dev)
    # Each process draws different batches: seed + rank (rank 0 of a DDP run sees the single-process data).
    generator = torch.Generator().manual_seed(tc.seed + rank)
    start, history, evals, metrics = 0, [], [], {}
    path = Path(checkpoint) if checkpoint else None
    if resume and path is not None and path.exists():
        state = load_checkpoint(path)
        raw.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if rank == 0:
            generator.set_state(state["generator"])
        else:  # only rank 0's stream is saved; the others restart a fresh stream unique to (rank, step)
            generator.manual_seed(tc.seed + rank + 1000 * state["step"])
        torch.set_rng_state(state["rng"])
        if dev.type == "cuda" and state.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(state["cuda_rng"])
        start, history, evals, metrics = state["step"], state["history"], state["evals"], state["metrics"]

    model: nn.Module = raw
    ddp = None
    if world > 1:
        ddp = model = nn.parallel.DistributedDataParallel(raw, device_ids=[dev.index] if dev.type == "cuda" else None)
    if tc.compile:
        model = torch.compile(model, backend=tc.compile_backend)

    def emit(event: TrainEvent) -> None:
        if rank == 0:
            for cb in callbacks:
                cb(event)

    began = time.perf_counter()
    units, stopped_early, time_to_target, step, stopped = 0, False, None, start, False
    model.train()
    try:
        for step in range(start, tc.steps):
            lr = lr_at(step, tc)
            for group in optimizer.param_groups:
                group["lr"] = lr
            total = None
            for micro in range(tc.accumulate):
                batch = to_device(recipe.get_batch("train", tc.batch_size, generator), dev)
                units += recipe.units_in(batch) * world
                # Gradients are all-reduced only on the last micro-batch of a step (DDP's no_sync).
                sync = world == 1 or micro == tc.accumulate - 1
                with (nullcontext() if sync or ddp is None else ddp.no_sync()), autocast_for(dev, tc.precision):
                    loss = recipe.loss(model, batch) / tc.accumulate
                loss.backward()
                total = loss.detach() if total is None else total + loss.detach()
            if tc.grad_clip > 0:
                nn.utils.clip_grad_norm_(raw.parameters(), tc.grad_clip)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            loss_value = total.item()
            history.append({"step": step + 1, "loss": loss_value, "lr": lr})
            elapsed = time.perf_counter() - began
            emit(TrainEvent("step", step + 1, tc.steps, loss_value, lr, units / elapsed if elapsed > 0 else None))
            last = step + 1 == tc.steps
            if (step + 1) % tc.eval_every == 0 or last:
                metrics = recipe.evaluate(raw) if rank == 0 else {}
                evals.append({"step": step + 1, **metrics})
                reached = bool(tc.target and metrics) and _reached(metrics, metric, tc.target, recipe)
                if world > 1:  # every rank must stop at the same step, or the others hang in all-reduce
                    flag = torch.tensor([int(reached)], device=dev)
                    dist.broadcast(flag, src=0)
                    reached = bool(flag.item())
                if path is not None and rank == 0:
                    save_checkpoint(path, _payload(recipe, raw, optimizer, generator, step + 1, history, evals,
                                                   metrics, dev))
                # After the checkpoint, so a callback that stops the run leaves it resumable from here.
                emit(TrainEvent("eval", step + 1, tc.steps, loss_value, lr, metrics=metrics))
                if reached:
                    stopped_early, time_to_target = not last, time.perf_counter() - began
                    break
    except StopTraining:  # ended cleanly after a step; the caller decides what an unfinished run means
        stopped = True
    seconds = time.perf_counter() - began
    done = history[-1]["step"] if history else start
    emit(TrainEvent("end", done, tc.steps, metrics=metrics))
    return TrainResult(steps=done, metrics=metrics, history=history, evals=evals, stopped_early=stopped_early,
                       seconds=seconds, time_to_target=time_to_target, device=str(dev), world_size=world,
                       checkpoint=str(path) if path else None, stopped=stopped)


def _reached(metrics: dict[str, float], metric: str, target: float, recipe: TorchRecipe) -> bool:
    from modelhub.registry import get

    key = target_key(metrics, metric)
    higher = get(recipe.name).higher_is_better if recipe.name else True
    return metrics.get(key, float("nan")) >= target if higher else metrics.get(key, float("inf")) <= target


def _payload(recipe: TorchRecipe, model: nn.Module, optimizer: torch.optim.Optimizer, generator: torch.Generator,
             step: int, history: list, evals: list, metrics: dict, dev: torch.device) -> dict[str, Any]:
    """The checkpoint: a plain dict with everything a resume or a later evaluation needs."""
    return {
        "model_name": recipe.name, "config_name": recipe.config_name, "config": dict(recipe.config),
        "model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step,
        "generator": generator.get_state(), "rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state(dev) if dev.type == "cuda" else None,
        "history": history, "evals": evals, "metrics": metrics,
    }
