"""The benchmark harness: parameters, FLOPs per unit, timed training steps, MFU, memory, quality.

Torch recipes: FLOPs of one forward+backward come from ``torch.utils.flop_counter.FlopCounterMode`` (ops it
does not know count zero, so FLOPs are a lower bound; recurrent layers and the CPU attention kernel, which it
does not know, are added analytically and the result's ``flops_source`` says so); then ``warmup`` untimed
and ``steps`` timed full optimiser steps, each ended by a device synchronisation, reported as the median
with the 10th–90th percentile spread. MFU = achieved FLOP/s ÷ the device's dense peak (``modelhub.hardware.peak_for``).
Optionally the entry is then trained with its config for the final metric and time to target.

Fit recipes (scikit-learn, counting models): ``fit`` and ``predict`` are timed ``repeats`` times each.

``should_stop`` (a job's cancel flag) is checked between the phases, at every timed step and fit, and after
training; once it is set the harness raises ``trainer.StopTraining`` instead of returning a result, so a
cancelled benchmark never becomes a stored run.
"""

from __future__ import annotations

import math
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from modelhub import figure_store, hardware, registry, trainer
from modelhub.config import TrainConfig
from modelhub.recipes import FitRecipe, TorchRecipe, to_device


@dataclass(frozen=True)
class BenchResult:
    """One benchmark of one model on one device; the fields map onto the ``benchmark_run`` table."""

    model_name: str
    config_name: str
    device_name: str
    device_type: str
    device_count: int  # devices the measurement used (the harness times one)
    precision: str
    compiled: bool
    params: int
    unit: str  # 'sample' or 'token'
    flops_per_unit: float | None  # forward+backward FLOPs per unit (None for fit recipes)
    flops_source: str  # how they were counted: the counter, and what was added analytically (see count_flops)
    batch_units: int  # units in one timed step
    step_time_median: float  # seconds per timed step (fit: per fit call)
    step_time_p10: float
    step_time_p90: float
    units_per_second: float
    achieved_flops: float | None  # FLOP/s
    peak_flops: float | None  # FLOP/s the MFU divides by
    peak_source: str
    mfu: float | None  # 0..1
    peak_memory_bytes: int | None
    memory_source: str
    metric_name: str
    metric_value: float | None
    metrics: dict[str, float] = field(default_factory=dict)
    # Seconds of training until the validation metric first met the target (the config's ``target``, else the
    # entry's quality bar), at evaluation granularity; None when it never did.
    time_to_target: float | None = None
    train_seconds: float | None = None
    predict_units_per_second: float | None = None  # fit recipes: prediction throughput
    hardware: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    git_commit: str | None = None
    samples: list[Any] = field(default_factory=list)  # text samples, then figures

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


StopCheck = Callable[[], bool]


def _check_stop(should_stop: StopCheck | None) -> None:
    """Raise StopTraining when the caller asked to stop (a cancelled job): no half-measured result comes back."""
    if should_stop is not None and should_stop():
        raise trainer.StopTraining


def parameter_count(model: torch.nn.Module) -> int:
    """Trainable parameters (weights shared by tying are counted once, as ``parameters()`` yields them once)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


GATES = {torch.nn.LSTM: 4, torch.nn.GRU: 3, torch.nn.RNN: 1}


def _recurrent_forward_flops(module: torch.nn.RNNBase, x: Any) -> float:
    """Matmul FLOPs of one forward pass of a recurrent layer stack: 2·gates·H·(in + H) per step, layer, direction."""
    if isinstance(x, torch.nn.utils.rnn.PackedSequence):
        steps_times_batch = x.data.shape[0]  # packed: one row per real (unpadded) time step
    else:
        steps_times_batch = x.shape[0] * x.shape[1] if x.dim() == 3 else x.shape[0]
    gates, hidden = GATES[type(module)], module.hidden_size
    directions = 2 if module.bidirectional else 1
    total, width = 0.0, module.input_size
    for _ in range(module.num_layers):
        total += 2 * gates * hidden * (width + hidden) * directions * steps_times_batch
        width = hidden * directions
    return total


def _attention_shapes(query: Any, key: Any, value: Any) -> tuple[int, int, int, int, int]:
    """(batch × heads, query length, key length, query/key width, value width) from SDPA's (…, T, d) shapes."""
    return math.prod(query[:-2]), query[-2], key[-2], query[-1], value[-1]


def _attention_forward_flops(query: Any, key: Any, value: Any, *args: Any, out_shape: Any = None,
                             **kwargs: Any) -> int:
    """QKᵀ and (softmax)V: 2·BH·Tq·Tk·(d + d_v). The causal mask's skipped half is counted, as FlopCounterMode
    counts the GPU attention kernels and nanoGPT's 12·L·H·d·T per token does."""
    bh, tq, tk, d, dv = _attention_shapes(query, key, value)
    return 2 * bh * tq * tk * (d + dv)


def _attention_backward_flops(grad_out: Any, query: Any, key: Any, value: Any, *args: Any, out_shape: Any = None,
                              **kwargs: Any) -> int:
    """dV = Pᵀ·dO, dP = dO·Vᵀ, dQ = dS·K, dK = dSᵀ·Q: 2·BH·Tq·Tk·(2d + 2d_v), twice the forward."""
    bh, tq, tk, d, dv = _attention_shapes(query, key, value)
    return 2 * bh * tq * tk * (2 * d + 2 * dv)


# FlopCounterMode knows the CUDA attention kernels but not the CPU one (it counts it as 0); the math fallback
# (dropout on a CPU) runs as bmm, which it does count, so only these two ops need a formula.
_CPU_ATTENTION = {
    torch.ops.aten._scaled_dot_product_flash_attention_for_cpu: _attention_forward_flops,
    torch.ops.aten._scaled_dot_product_flash_attention_for_cpu_backward: _attention_backward_flops,
}
COUNTER_SOURCE = "torch.utils.flop_counter.FlopCounterMode"


def count_flops(recipe: TorchRecipe, batch: Any) -> tuple[float, str]:
    """Forward+backward FLOPs of ``recipe.loss`` on ``batch`` per unit, and how they were counted (in words).

    FlopCounterMode counts ops it has no formula for as zero. Two matter here and are added analytically:
    recurrent layers (``aten.lstm``): forward as in ``_recurrent_forward_flops``, backward twice that (the 6N
    rule's 1 : 2 split); and ``scaled_dot_product_attention``'s CPU kernel (``_attention_forward_flops`` and
    ``_attention_backward_flops``, the formulas FlopCounterMode uses for the GPU kernels).
    """
    model = recipe.model
    recurrent: list[float] = []
    attention: list[int] = []
    hooks = [m.register_forward_hook(lambda mod, inp, _out: recurrent.append(_recurrent_forward_flops(mod, inp[0])))
             for m in model.modules() if type(m) in GATES]

    def noted(formula: Callable[..., int]) -> Callable[..., int]:
        def count(*args: Any, **kwargs: Any) -> int:
            attention.append(formula(*args, **kwargs))
            return attention[-1]
        return count

    try:
        with FlopCounterMode(display=False, custom_mapping={op: noted(f) for op, f in _CPU_ATTENTION.items()}) \
                as counter:
            recipe.loss(model, batch).backward()
    finally:
        for hook in hooks:
            hook.remove()
    model.zero_grad(set_to_none=True)
    added = []
    if attention:
        added.append("scaled_dot_product_attention on the CPU, which FlopCounterMode counts as 0: "
                     "2·BH·T²·(d + d_v) forward, twice that backward")
    if recurrent:
        added.append("recurrent layers, which FlopCounterMode counts as 0: 2·gates·H·(in + H) per step and "
                     "layer forward, twice that backward")
    source = COUNTER_SOURCE + ("; added analytically: " + "; ".join(added) if added else "")
    return (counter.get_total_flops() + 3 * sum(recurrent)) / recipe.units_in(batch), source


def flops_per_unit(recipe: TorchRecipe, batch: Any) -> float:
    """Forward+backward FLOPs of ``recipe.loss`` on ``batch`` divided by the units in it (see ``count_flops``)."""
    return count_flops(recipe, batch)[0]


def _spread(times: list[float]) -> tuple[float, float, float]:
    arr = np.asarray(times)
    return float(np.median(arr)), float(np.percentile(arr, 10)), float(np.percentile(arr, 90))


def _memory(device: torch.device) -> tuple[int | None, str]:
    if device.type == "cuda":
        return int(torch.cuda.max_memory_allocated(device)), "torch.cuda.max_memory_allocated"
    # ru_maxrss is kB on Linux, bytes on macOS; it is the whole process's peak, model or not.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(rss * (1 if sys.platform == "darwin" else 1024)), "process peak RSS (whole process)"


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


class TargetWatch:
    """Training callback noting when the validation metric first meets a target, without stopping the run."""

    def __init__(self, entry: registry.ModelEntry, target: float | None) -> None:
        self.entry, self.target = entry, target
        self.start = time.perf_counter()
        self.seconds: float | None = None

    def __call__(self, event: trainer.TrainEvent) -> None:
        if event.kind != "eval" or self.target is None or self.seconds is not None or not event.metrics:
            return
        value = event.metrics.get(trainer.target_key(event.metrics, self.entry.metric))
        better = value is not None and (value >= self.target if self.entry.higher_is_better else value <= self.target)
        if better:
            self.seconds = time.perf_counter() - self.start


def time_torch_steps(recipe: TorchRecipe, device: torch.device, *, steps: int, warmup: int,
                     precision: str, compile: bool, should_stop: StopCheck | None = None,
                     backend: str = "inductor") -> tuple[list[float], int]:
    """Seconds per full optimiser step (fwd, bwd, AdamW) after warm-up, and units per step."""
    tc = TrainConfig.from_config(recipe.config)
    model = recipe.model.to(device)
    optimizer = trainer.make_optimizer(model, tc, device)
    step_model = torch.compile(model, backend=backend) if compile else model
    generator = torch.Generator().manual_seed(tc.seed)
    batch = to_device(recipe.get_batch("train", tc.batch_size, generator), device)
    units = recipe.units_in(batch)
    times: list[float] = []
    for i in range(warmup + steps):
        _check_stop(should_stop)
        _sync(device)
        start = time.perf_counter()
        with trainer.autocast_for(device, precision):
            loss = recipe.loss(step_model, batch)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        _sync(device)
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return times, units


def bench_torch(recipe: TorchRecipe, *, device: str = "auto", steps: int = 20, warmup: int = 5,
                train: bool = True, progress: Callable[[trainer.TrainEvent], None] | None = None,
                should_stop: StopCheck | None = None) -> BenchResult:
    """Benchmark a torch recipe (see the module docstring); ``train`` also trains it for the metric."""
    entry = registry.get(recipe.name)
    tc = TrainConfig.from_config(recipe.config)
    dev = trainer.pick_device(device)
    if dev.type == "cpu":
        trainer.set_threads(tc.threads)
    precision = "bf16" if tc.precision == "bf16" or (tc.precision == "auto" and dev.type == "cuda") else "fp32"
    params = parameter_count(recipe.model)
    # FLOPs per sample/token do not depend on the batch size, so count a batch of 2 (BatchNorm needs > 1), on
    # the device: a GPT-2-sized batch counted on a CPU would take minutes.
    recipe.model.to(dev)
    _check_stop(should_stop)
    fpu, flops_source = count_flops(recipe, to_device(recipe.example_batch(2), dev))
    _check_stop(should_stop)
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)
    times, units = time_torch_steps(recipe, dev, steps=steps, warmup=warmup, precision=precision,
                                    compile=tc.compile, should_stop=should_stop, backend=tc.compile_backend)
    median, p10, p90 = _spread(times)
    memory, memory_source = _memory(dev)
    ups = units / median
    achieved = fpu * ups if fpu > 0 else None
    peak = hardware.peak_for(dev, precision)
    metrics, ttt, train_seconds, samples = {}, None, None, []
    if train:
        fresh = registry.create(recipe.name, recipe.config_name, **{k: v for k, v in recipe.config.items()})
        watch = TargetWatch(entry, tc.target or entry.quality_bar)
        callbacks = [watch, progress] if progress else [watch]
        result = trainer.train(fresh, device=str(dev), callbacks=callbacks)
        if result.stopped:  # the trainer ends a stopped run cleanly; for the harness it is no result
            raise trainer.StopTraining
        _check_stop(should_stop)
        metrics, train_seconds = result.metrics, result.seconds
        ttt = result.time_to_target if result.time_to_target is not None else watch.seconds
        samples = figure_store.outputs(fresh, 2)
    return BenchResult(
        model_name=recipe.name, config_name=recipe.config_name, device_name=hardware.device_name(dev),
        device_type=dev.type, device_count=1, precision=precision, compiled=tc.compile, params=params,
        unit=recipe.unit,
        flops_per_unit=fpu, flops_source=flops_source, batch_units=units, step_time_median=median,
        step_time_p10=p10, step_time_p90=p90,
        units_per_second=ups, achieved_flops=achieved, peak_flops=peak.flops, peak_source=peak.source,
        mfu=achieved / peak.flops if achieved and peak.flops else None, peak_memory_bytes=memory,
        memory_source=memory_source, metric_name=entry.metric, metric_value=metrics.get(entry.metric),
        metrics=metrics, time_to_target=ttt, train_seconds=train_seconds, hardware=hardware.fingerprint(dev),
        # The table has no column for the FLOP source yet; the versions record the measurement's software, and
        # the count depends on which ops this torch's FlopCounterMode knows.
        versions={**hardware.versions(), "flop_counter": flops_source}, git_commit=hardware.git_commit(),
        samples=samples,
    )


def bench_fit(recipe: FitRecipe, *, repeats: int = 3, should_stop: StopCheck | None = None) -> BenchResult:
    """Benchmark a fit recipe: median ``fit`` time (training units/s) and ``predict`` throughput."""
    entry = registry.get(recipe.name)
    fit_times, predict_times = [], []
    for _ in range(repeats):
        _check_stop(should_stop)
        start = time.perf_counter()
        recipe.fit()
        fit_times.append(time.perf_counter() - start)
    inputs = recipe.predict_inputs()
    for _ in range(repeats):
        _check_stop(should_stop)
        start = time.perf_counter()
        recipe.predict(inputs)
        predict_times.append(time.perf_counter() - start)
    median, p10, p90 = _spread(fit_times)
    _check_stop(should_stop)
    metrics = recipe.evaluate()
    memory, memory_source = _memory(torch.device("cpu"))
    units = recipe.fit_units()
    return BenchResult(
        model_name=recipe.name, config_name=recipe.config_name, device_name=hardware.cpu_model(), device_type="cpu",
        device_count=1,
        precision="fp64", compiled=False, params=recipe.parameter_count(), unit=recipe.unit, flops_per_unit=None,
        flops_source="not counted: fit recipes (scikit-learn, counting) are timed, not counted in FLOPs",
        batch_units=units, step_time_median=median, step_time_p10=p10, step_time_p90=p90,
        units_per_second=units / median, achieved_flops=None, peak_flops=None,
        peak_source="not applicable: fit recipes are not counted in FLOPs", mfu=None, peak_memory_bytes=memory,
        memory_source=memory_source, metric_name=entry.metric, metric_value=metrics.get(entry.metric),
        metrics=metrics, train_seconds=statistics.fsum(fit_times) / repeats,
        predict_units_per_second=recipe.predict_units(inputs) / float(np.median(predict_times)),
        hardware=hardware.fingerprint(torch.device("cpu")), versions=hardware.versions(),
        git_commit=hardware.git_commit(), samples=figure_store.outputs(recipe, 2),
    )


def benchmark(name: str, config: str = "default", *, device: str = "auto", timed_steps: int = 20, warmup: int = 5,
              train: bool = True, progress: Callable[[trainer.TrainEvent], None] | None = None,
              should_stop: StopCheck | None = None, **overrides: Any) -> BenchResult:
    """Build ``name`` with ``config`` and overrides and benchmark it with the harness that fits its kind.

    ``timed_steps`` and ``warmup``: optimiser steps timed and untimed before them; ``overrides`` are config keys
    (``steps=`` there is the training run's length, as in every other command). ``should_stop``: checked
    throughout (see the module docstring); raises ``trainer.StopTraining`` once true.
    """
    recipe = registry.create(name, config, **overrides)
    if recipe.kind == "fit":
        return bench_fit(recipe, should_stop=should_stop)
    return bench_torch(recipe, device=device, steps=timed_steps, warmup=warmup, train=train, progress=progress,
                       should_stop=should_stop)
