"""Modelhub trainer: its loop against a minimal reference loop, and its thread choice against torch's default.

Run: ``python -m bench.bench_trainer``. Both loops train the MLP on digits with the same config, seed, batches
and AdamW; the trainer adds the LR schedule, clipping, progress callbacks and evaluations. Prints samples/s
of each and the ratio (≥ 1.0 means the trainer costs nothing extra), checks both reach the same weights'
quality, then times a step with ``auto_threads`` against torch's default thread count (one per core).
"""

from __future__ import annotations

import os
import time

import torch
import torch.nn.functional as F  # noqa: N812 - the usual PyTorch alias

from bench._report import Result, emit
from modelhub import registry, trainer
from modelhub.bench import time_torch_steps
from modelhub.config import TrainConfig

STEPS = 300
SETTINGS = {"steps": STEPS, "eval_every": STEPS, "threads": 1, "warmup_steps": 0, "grad_clip": 0.0,
            "min_lr_ratio": 1.0}  # constant LR, no clipping: the reference loop does the same maths


def _reference(recipe) -> float:
    """The plain loop: sample a batch, forward, cross-entropy, backward, AdamW step; one evaluation at the end
    (as the trainer does with eval_every = steps). Returns seconds."""
    tc = TrainConfig.from_config(recipe.config)
    model = recipe.model
    optimizer = torch.optim.AdamW(model.parameters(), lr=tc.lr, weight_decay=0.0)
    generator = torch.Generator().manual_seed(tc.seed)
    start = time.perf_counter()
    for _ in range(STEPS):
        x, y = recipe.get_batch("train", tc.batch_size, generator)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    recipe.evaluate(model)
    return time.perf_counter() - start


def _step_seconds(threads: int, steps: int = 50) -> float:
    recipe = registry.create("mlp", "default", threads=threads)
    torch.set_num_threads(threads)
    times, _ = time_torch_steps(recipe, torch.device("cpu"), steps=steps, warmup=5, precision="fp32", compile=False)
    return sorted(times)[len(times) // 2]


def main() -> None:
    torch.set_num_threads(1)
    ours_recipe = registry.create("mlp", "default", **SETTINGS)
    ref_recipe = registry.create("mlp", "default", **SETTINGS)
    _reference(registry.create("mlp", "default", **SETTINGS))  # warm-up: first calls allocate and pick kernels
    t_ref = _reference(ref_recipe)
    result = trainer.train(ours_recipe, device="cpu")
    t_ours = result.seconds
    ref_acc = ref_recipe.evaluate(ref_recipe.model)["test_accuracy"]
    same = all(torch.equal(a, b) for a, b in zip(ours_recipe.model.state_dict().values(),
                                                  ref_recipe.model.state_dict().values(), strict=True))
    assert same, "the trainer and the reference loop must end with identical weights"
    samples = STEPS * ours_recipe.config["batch_size"]
    print(f"MLP on digits, {STEPS} steps of {ours_recipe.config['batch_size']} samples, 1 thread")
    acc = result.metrics["test_accuracy"]
    print(f"  modelhub trainer: {samples / t_ours:10,.0f} samples/s  test accuracy {acc:.4f}")
    print(f"  reference loop:   {samples / t_ref:10,.0f} samples/s  test accuracy {ref_acc:.4f}")
    print(f"  ratio (trainer ÷ reference throughput): {t_ref / t_ours:.2f}; identical final weights")
    emit(Result("trainer", f"MLP training loop, {STEPS} steps", t_ours, t_ref, reference="minimal loop"))

    cores = os.cpu_count() or 1
    auto = trainer.auto_threads()
    t_auto, t_all = _step_seconds(auto), _step_seconds(cores)
    print(f"one MLP step (batch 64): auto_threads={auto}: {t_auto * 1e3:.3f} ms, all {cores} cores: "
          f"{t_all * 1e3:.3f} ms, ratio {t_all / t_auto:.1f}x (load average {os.getloadavg()[0]:.1f})")
    emit(Result("trainer", f"MLP step, auto threads ({auto}) vs {cores}", t_auto, t_all, reference="all cores"))


if __name__ == "__main__":
    main()
