"""The trainer's settings: one frozen dataclass whose comments say why each default is what it is.

Registry configs are flat dicts that mix these keys with a model's own; ``TrainConfig.from_config`` picks
these out, the recipe reads the rest.
"""

from __future__ import annotations

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
