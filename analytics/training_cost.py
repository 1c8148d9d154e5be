"""Training cost: FLOPs, memory, GPU-hours, wall-clock time and dollars, low / base / high.

Formulas (``shared/REFERENCE.md`` A6/A7): C = 6·N·D (+ 12·L·d·s per token for attention, nanoGPT
``estimate_mfu``), MoE uses active parameters for FLOPs (and for the inferred shape: a mixture of
experts is as deep and wide as its active part) and total parameters for memory;
GPU-hours = C / (peak × MFU) / 3600; mixed-precision Adam keeps 16 bytes per parameter
(Transformer Math 101); activations s·b·h·L·(34 + 5·a·s/h) bytes without recomputation and 2·s·b·h·L
with full recomputation (Korthikanti et al. 2022, tensor parallel 1); + 1 GB CUDA context and 15 %.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.gpu_catalogue import Gpu

BYTES_PER_PARAM_TRAIN = 16  # bf16 weights 2 + grads 2 + fp32 master, Adam m and v 12 (Transformer Math 101)
BYTES_PER_PARAM_CHECKPOINT = 14  # bf16 weights + fp32 master + two Adam moments; gradients are not saved
CUDA_CONTEXT_GB = 1.0  # REFERENCE A7
MEMORY_OVERHEAD = 0.15  # allocator fragmentation and buffers, REFERENCE A7
HEAD_DIM = 128  # Llama / GPT-3 style; used only when the shape is inferred
ASPECT = 128  # d_model ≈ 128 × n_layers fits Llama-7B (4096/32) and GPT-3 175B (12288/96)
HOURS_PER_MONTH = 730.0


class EstimateError(ValueError):
    """An input is outside its range; the message names the field."""


@dataclass(frozen=True)
class TrainingInputs:
    """What to train, on what, at what price. Sizes are counts; prices USD per GPU-hour."""

    params: float  # total parameters N
    tokens: float | None = None  # training tokens D (transformers)
    active_params: float | None = None  # mixture-of-experts: parameters used per token; None = dense
    samples: float | None = None  # non-transformer: samples seen (epochs × data set size)
    flops_per_sample: float | None = None  # measured forward+backward FLOPs per sample
    flops_per_token: float | None = None  # measured (calibrated) forward+backward FLOPs per token
    n_gpus: int = 8
    precision: str = "bf16"
    mfu: float = 0.40
    mfu_low: float | None = None  # None: same as mfu
    mfu_high: float | None = None
    price: float = 2.49  # base $/GPU-hour
    price_low: float | None = None
    price_high: float | None = None
    seq_len: int = 2048
    micro_batch: int = 1  # sequences per GPU per step
    n_layers: int | None = None  # None: inferred from the active params (d_model = 128 × n_layers, N ≈ 12·L·d²)
    d_model: int | None = None
    attention: bool = True  # add the attention FLOPs term (needs the shape; inferred if not given)
    failure_overhead: float = 0.10  # lost to failures/restarts; Llama 3 405B reported >90 % effective time
    checkpoint_overhead: float = 0.02  # time spent writing checkpoints (illustrative)
    checkpoints_kept: int = 3
    data_bytes_per_token: float = 4.0  # uint32 token ids on disk (illustrative)
    storage_usd_per_gb_month: float = 0.023  # S3 Standard, first 50 TB (aws.amazon.com/s3/pricing, 2025)


@dataclass(frozen=True)
class Memory:
    """Per-GPU training memory in GB with states sharded over ``n_gpus`` (ZeRO-3 / FSDP)."""

    weights_gb: float
    grads_gb: float
    optimiser_gb: float
    activations_gb: float
    overhead_gb: float
    min_gpus: int | None  # fewest GPUs whose memory holds it; None: activations alone exceed one GPU

    @property
    def total_gb(self) -> float:
        return self.weights_gb + self.grads_gb + self.optimiser_gb + self.activations_gb + self.overhead_gb


@dataclass(frozen=True)
class TrainingEstimate:
    flops: float  # model FLOPs of the whole run
    flops_method: str
    gpu_hours: float  # compute only, at the base MFU
    billed_gpu_hours: float  # + failure/restart and checkpoint overhead
    wall_clock_hours: float
    gpu_hours_low: float  # at the high MFU
    gpu_hours_high: float  # at the low MFU
    cost_low_usd: float
    cost_base_usd: float
    cost_high_usd: float
    storage_gb: float
    storage_usd: float
    memory: Memory  # without activation recomputation
    memory_recompute: Memory  # with full recomputation
    n_layers: int
    d_model: int
    n_gpus: int
    unit: str  # "token" or "sample": what the run counts and the throughput is in
    units_per_s_per_gpu: float  # training throughput per GPU at the base MFU (compute time, overheads excluded)
    assumptions: list[dict[str, str]] = field(default_factory=list)

    @property
    def wall_clock_days(self) -> float:
        return self.wall_clock_hours / 24.0

    @property
    def fits(self) -> bool:
        """Whether the chosen GPU count holds the run with full recomputation."""
        need = self.memory_recompute.min_gpus
        return need is not None and need <= self.n_gpus


def _positive(name: str, value: float | None, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if value is None or not math.isfinite(float(value)) or float(value) <= 0:
        raise EstimateError(f"'{name}' must be a positive number, got {value!r}")


def _fraction(name: str, value: float | None) -> None:
    if value is not None and not (0 < float(value) <= 1):
        raise EstimateError(f"'{name}' must be in (0, 1], got {value!r}")


def check_inputs(t: TrainingInputs) -> None:
    """Refuse zero/negative sizes, MFU outside (0, 1] and missing work; messages name the field."""
    _positive("params", t.params)
    for name in ("tokens", "active_params", "samples", "flops_per_sample", "flops_per_token", "price_low",
                 "price_high"):
        _positive(name, getattr(t, name), allow_none=True)
    for name in ("n_gpus", "price", "seq_len", "micro_batch"):
        _positive(name, getattr(t, name))
    for name in ("mfu", "mfu_low", "mfu_high"):
        _fraction(name, getattr(t, name))
    for name in ("n_layers", "d_model"):
        value = getattr(t, name)
        if value is not None and (not float(value).is_integer() or value <= 0):
            raise EstimateError(f"'{name}' must be a positive whole number, got {value!r}")
    # A range reads low ≤ base ≤ high; a swapped range would make "low" the dearest case.
    for low, base, high in (("mfu_low", "mfu", "mfu_high"), ("price_low", "price", "price_high")):
        if getattr(t, low) is not None and getattr(t, low) > getattr(t, base):
            raise EstimateError(f"'{low}' ({getattr(t, low):g}) cannot exceed '{base}' ({getattr(t, base):g})")
        if getattr(t, high) is not None and getattr(t, high) < getattr(t, base):
            raise EstimateError(f"'{high}' ({getattr(t, high):g}) cannot be below '{base}' ({getattr(t, base):g})")
    if t.active_params is not None and t.active_params > t.params:
        raise EstimateError("'active_params' cannot exceed 'params' (total parameters)")
    if t.samples is None and t.tokens is None:
        raise EstimateError("give 'tokens' (transformers) or 'samples' with 'flops_per_sample'")
    if t.samples is not None and t.flops_per_sample is None and t.tokens is None:
        raise EstimateError("'samples' needs 'flops_per_sample' (measure it with the modelhub)")
    for name in ("failure_overhead", "checkpoint_overhead"):
        if not 0 <= getattr(t, name) < 1:
            raise EstimateError(f"'{name}' must be in [0, 1), got {getattr(t, name)!r}")


def shape(params: float, n_layers: int | None = None, d_model: int | None = None) -> tuple[int, int]:
    """(layers, d_model) given or inferred from N ≈ 12·L·d² with d = 128·L (assumed aspect ratio)."""
    if n_layers and d_model:
        return int(n_layers), int(d_model)
    if d_model:
        return max(1, round(params / (12 * d_model**2))), int(d_model)
    if n_layers:
        return int(n_layers), max(HEAD_DIM, round(math.sqrt(params / (12 * n_layers)) / HEAD_DIM) * HEAD_DIM)
    layers = max(1, round((params / (12 * ASPECT**2)) ** (1 / 3)))
    return layers, max(HEAD_DIM, round(ASPECT * layers / HEAD_DIM) * HEAD_DIM)


def training_flops(t: TrainingInputs, n_layers: int, d_model: int) -> tuple[float, str]:
    """Model FLOPs of the run and the rule used (measured per sample/token, or 6·N·D + attention)."""
    if t.flops_per_sample is not None and t.samples is not None:
        return t.flops_per_sample * t.samples, "measured FLOPs per sample × samples"
    assert t.tokens is not None
    if t.flops_per_token is not None:
        return t.flops_per_token * t.tokens, "measured FLOPs per token × tokens (calibrated)"
    n = t.active_params or t.params
    per_token = 6.0 * n + (12.0 * n_layers * d_model * t.seq_len if t.attention else 0.0)
    rule = "6·N·D" + (" + 12·L·d·s·D attention" if t.attention else "") + (" (N = active)" if t.active_params else "")
    return per_token * t.tokens, rule


def gpu_hours(flops: np.ndarray | float, peak_flops: np.ndarray | float, mfu: np.ndarray | float) -> np.ndarray:
    """GPU-hours = FLOPs / (peak FLOP/s × MFU) / 3600 (vectorised)."""
    rate = np.asarray(peak_flops, dtype=float) * np.asarray(mfu, dtype=float)
    return np.asarray(flops, dtype=float) / rate / 3600.0


def activation_bytes(seq: int, micro_batch: int, d_model: int, n_layers: int, recompute: bool) -> float:
    """Activation memory per GPU (bytes), tensor parallel 1 (Korthikanti et al. 2022)."""
    if recompute:
        return 2.0 * seq * micro_batch * d_model * n_layers
    heads = max(1, d_model // HEAD_DIM)
    return seq * micro_batch * d_model * n_layers * (34.0 + 5.0 * heads * seq / d_model)


def memory(params: float, n_gpus: int, gpu_memory_gb: float, act_bytes: float) -> Memory:
    """Per-GPU memory with weights, grads and optimiser sharded over ``n_gpus``; minimum GPUs that fit."""
    shard = params / n_gpus / 1e9
    act = act_bytes / 1e9
    states = BYTES_PER_PARAM_TRAIN * shard
    overhead = CUDA_CONTEXT_GB + MEMORY_OVERHEAD * (states + act)
    room = (gpu_memory_gb - CUDA_CONTEXT_GB) / (1 + MEMORY_OVERHEAD) - act  # GB left per GPU for states
    min_gpus = math.ceil(BYTES_PER_PARAM_TRAIN * params / 1e9 / room) if room > 0 else None
    return Memory(weights_gb=2 * shard, grads_gb=2 * shard, optimiser_gb=12 * shard, activations_gb=act,
                  overhead_gb=overhead, min_gpus=min_gpus)


def _overhead(t: TrainingInputs) -> float:
    return 1.0 + t.failure_overhead + t.checkpoint_overhead


def estimate_training(t: TrainingInputs, gpu: Gpu) -> TrainingEstimate:
    """Every training figure for ``t`` on ``gpu``; raises :class:`EstimateError` naming a bad field."""
    check_inputs(t)
    layers, d_model = shape(t.active_params or t.params, t.n_layers, t.d_model)
    flops, method = training_flops(t, layers, d_model)
    by_sample = t.flops_per_sample is not None and t.samples is not None  # as training_flops counts
    units = float(t.samples if by_sample else t.tokens)
    peak = gpu.peak_flops(t.precision)
    mfu_low, mfu_high = t.mfu_low or t.mfu, t.mfu_high or t.mfu
    p_low, p_high = t.price_low or t.price, t.price_high or t.price
    hours = gpu_hours(flops, peak, np.array([t.mfu, mfu_high, mfu_low]))
    billed = hours * _overhead(t)
    wall = float(billed[0]) / t.n_gpus
    storage_gb = (BYTES_PER_PARAM_CHECKPOINT * t.params * t.checkpoints_kept
                  + (t.tokens or 0.0) * t.data_bytes_per_token) / 1e9
    storage_usd = storage_gb * t.storage_usd_per_gb_month * max(1.0, wall / HOURS_PER_MONTH)
    mem = [memory(t.params, t.n_gpus, gpu.memory_gb, activation_bytes(t.seq_len, t.micro_batch, d_model, layers, r))
           for r in (False, True)]
    inferred = not (t.n_layers and t.d_model)
    assumptions = [
        {"assumption": "FLOPs rule", "value": method, "source": "Kaplan et al. 2020 / nanoGPT estimate_mfu (A7)"},
        {"assumption": f"peak {t.precision} (dense)", "value": f"{peak / 1e12:,.0f} TFLOP/s on {gpu.name}",
         "source": f"{gpu.source} ({gpu.as_of})"},
        {"assumption": "MFU low / base / high", "value": f"{mfu_low:.0%} / {t.mfu:.0%} / {mfu_high:.0%}",
         "source": "input (defaults: analytics.gpu_catalogue.default_mfu)"},
        {"assumption": "$/GPU-hour low / base / high", "value": f"${p_low:.2f} / ${t.price:.2f} / ${p_high:.2f}",
         "source": "input (defaults: dated price catalogue)"},
        {"assumption": "failure/restart overhead", "value": f"{t.failure_overhead:.0%}",
         "source": "Llama 3 paper (2024) §3.3.4: >90 % effective training time at 16k H100s"},
        {"assumption": "checkpoint overhead", "value": f"{t.checkpoint_overhead:.0%}", "source": "illustrative"},
        {"assumption": "model shape", "value": f"{layers} layers × d_model {d_model}",
         "source": f"inferred from the {'active ' if t.active_params else ''}parameters: d_model = 128 × layers, "
                   "N ≈ 12·L·d² (given values kept)" if inferred else "input"},
        {"assumption": "training memory", "value": "16 B/param + activations + 1 GB + 15 %",
         "source": "Transformer Math 101; Korthikanti et al. 2022 (A7)"},
        {"assumption": "storage", "value": f"{t.checkpoints_kept} checkpoints × 14 B/param + "
         f"{t.data_bytes_per_token:g} B/token at ${t.storage_usd_per_gb_month}/GB-month",
         "source": "S3 Standard price (aws.amazon.com/s3/pricing, 2025); bytes/token illustrative"},
    ]
    return TrainingEstimate(
        flops=flops, flops_method=method, gpu_hours=float(hours[0]), billed_gpu_hours=float(billed[0]),
        wall_clock_hours=wall, gpu_hours_low=float(hours[1]), gpu_hours_high=float(hours[2]),
        cost_low_usd=float(billed[1]) * p_low + storage_usd, cost_base_usd=float(billed[0]) * t.price + storage_usd,
        cost_high_usd=float(billed[2]) * p_high + storage_usd, storage_gb=storage_gb, storage_usd=storage_usd,
        memory=mem[0], memory_recompute=mem[1], n_layers=layers, d_model=d_model, assumptions=assumptions,
        n_gpus=t.n_gpus, unit="sample" if by_sample else "token",
        units_per_s_per_gpu=peak * t.mfu / (flops / units),
    )


def sweep_training(
    *, params: np.ndarray | float, tokens: np.ndarray | float, peak_flops: np.ndarray | float,
    mfu: np.ndarray | float, price: np.ndarray | float, n_gpus: np.ndarray | float, overhead: float = 0.12,
) -> pd.DataFrame:
    """Vectorised 6·N·D estimate over broadcast arrays (one row per configuration) for the charts.

    Columns: flops, gpu_hours (compute), billed_gpu_hours (× (1 + overhead)), wall_clock_days, cost_usd.
    """
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (params, tokens, peak_flops, mfu, price,
                                                                         n_gpus)))
    n, d, peak, u, usd, g = (a.ravel() for a in arrays)
    if (n <= 0).any() or (d <= 0).any() or (g <= 0).any() or (usd < 0).any():
        raise EstimateError("sweep sizes, GPU counts and prices must be positive")
    if ((u <= 0) | (u > 1)).any():
        raise EstimateError("'mfu' must be in (0, 1]")
    flops = 6.0 * n * d
    hours = gpu_hours(flops, peak, u)
    billed = hours * (1.0 + overhead)
    return pd.DataFrame({"params": n, "tokens": d, "peak_flops": peak, "mfu": u, "price": usd, "n_gpus": g,
                         "flops": flops, "gpu_hours": hours, "billed_gpu_hours": billed,
                         "wall_clock_days": billed / g / 24.0, "cost_usd": billed * usd})
