"""The trainer's settings: one frozen dataclass whose comments say why each default is what it is.

Registry configs are flat dicts that mix these keys with a model's own; ``TrainConfig.from_config`` picks
these out, the recipe reads the rest.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 200  # optimiser steps; smoke configs override this to a handful
    batch_size: int = 64  # samples (or sequences) per micro-batch on each process
    accumulate: int = 1  # micro-batches per optimiser step: a bigger effective batch without more memory
    lr: float = 1e-3  # peak learning rate after warm-up (Adam-family default that trains small nets stably)
    min_lr_ratio: float = 0.1  # cosine decays to lr × this, not zero (nanoGPT: min_lr ≈ lr/10)
    warmup_steps: int = 10  # linear warm-up avoids Adam's large first updates on fresh moment estimates
    weight_decay: float = 0.0  # AdamW decoupled decay; 0 for the small classifiers, 0.1 for transformers
    # Adam's first-moment decay. 0.9 is Adam's default; GANs use 0.5 (Radford et al. 2016): the players' targets
    # move every step, and a long momentum keeps pushing along a gradient that is already stale.
    beta1: float = 0.9
    grad_clip: float = 1.0  # clip the global gradient norm; 0 turns clipping off
    eval_every: int = 50  # steps between evaluations (and checkpoints, early-stop checks)
    target: float = 0.0  # stop early once the target metric reaches this; 0 = never stop early
    seed: int = 0  # seeds the model's initial weights and the batch sampler
    threads: int = 0  # torch CPU threads; 0 = idle cores (cores − load average), 1 to 4: see trainer.auto_threads
    compile: bool = False  # torch.compile the model (slower start, faster steps on a GPU)
    # torch.compile's backend: 'inductor' generates kernels (C++ on a CPU: ~25 s for the MLP on this 2-core box);
    # 'eager' captures the same graphs and runs them unfused, which tests the compiled path in seconds.
    compile_backend: str = "inductor"
    precision: str = "auto"  # 'auto' = bf16 autocast on CUDA, fp32 elsewhere; or 'fp32' / 'bf16'

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TrainConfig:
        """The trainer's keys of a flat registry config (the model's own keys are ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in config.items() if k in names})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


TRAIN_DEFAULTS: dict[str, Any] = TrainConfig().as_dict()
TRAIN_KEYS = tuple(TRAIN_DEFAULTS)

# The range each trainer key must fall in, or the run crashes or means nothing (eval_every=0 divided by zero,
# accumulate=0 stepped no gradients, seed=-1 failed in numpy, lr=nan in torch's optimiser, steps=-3 "trained"
# nothing and reported success).
_AT_LEAST_ONE = ("steps", "batch_size", "accumulate", "eval_every")
_NOT_NEGATIVE = ("warmup_steps", "weight_decay", "grad_clip", "threads")
PRECISIONS = ("auto", "fp32", "bf16")
MAX_THREADS = 1024


def setting_problem(key: str, value: Any, default: Any) -> str | None:
    """What ``value`` must be for ``key`` (e.g. "at least 1"), or None when it can run.

    ``default`` is the entry's own value of the key: a model's sizes, counts and rates all default to positive
    numbers (0 for a dropout), so a negative size (a torch traceback) or a zero one (a model that cannot learn)
    is refused by the sign of its default.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        if key == "precision" and value not in PRECISIONS:
            return f"one of {', '.join(PRECISIONS)}"
        if key in ("precision", "compile_backend", "dataset") and not str(value).strip():
            return "not empty"
        return None
    checks = (
        (not math.isfinite(value), "a finite number"),
        (key in _AT_LEAST_ONE and value < 1, "at least 1"),
        (key in _NOT_NEGATIVE and value < 0, "0 or more"),
        (key == "threads" and value > MAX_THREADS, f"at most {MAX_THREADS}"),
        (key == "lr" and value <= 0, "above 0"),
        (key == "min_lr_ratio" and not 0 <= value <= 1, "between 0 and 1"),
        (key == "beta1" and not 0 <= value < 1, "0 or more and below 1"),
        (key == "seed" and not 0 <= value < 2**32, "between 0 and 2**32 - 1"),
    )
    for failed, need in checks:
        if failed:
            return need
    if key in TRAIN_DEFAULTS:
        return None
    if isinstance(default, int) and not isinstance(default, bool) and default > 0 and value < 1:
        return "at least 1"
    if isinstance(default, float) and default > 0 and value <= 0:
        return "above 0"
    return "0 or more" if value < 0 else None
