"""Calibration: project a measured benchmark run to a larger model, more data and another cluster.

A run measured FLOPs per unit (sample or token, forward + backward) for a model of ``params`` parameters
and its MFU on its device. The projection keeps the architecture's FLOPs per parameter per unit
(FLOPs per unit scale linearly with parameters, as 6·N does). The measured MFU is used as measured when
the run's device is the target GPU model, carried over (and said so) from another GPU, and *not* used
from a CPU or an unrecognised device, where a matmul-probe MFU says nothing about a GPU's: the default
MFU is used with a note, unless the caller asks for the measured one anyway. Each figure of the result
says whether it was measured or assumed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from analytics.gpu_catalogue import Gpu, default_mfu
from analytics.training_cost import EstimateError, TrainingInputs

UNITS = ("sample", "token")


@dataclass(frozen=True)
class MeasuredRun:
    """One benchmark measurement (the modelhub's ``BenchmarkRun`` row mapped to plain values)."""

    model_name: str
    device_name: str
    params: int
    flops_per_unit: float  # forward + backward FLOPs per sample or token
    unit: str  # "sample" or "token"
    units_per_second: float
    peak_flops: float | None = None  # device peak the MFU was measured against (FLOP/s)
    mfu: float | None = None  # None: computed as achieved ÷ peak when the peak is known
    run_id: int | None = None
    config_name: str = ""
    device_type: str | None = None  # "cuda", "mps", "cpu" (the modelhub's column); else judged from the name

    @property
    def achieved_flops(self) -> float:
        """Measured model FLOP/s."""
        return self.flops_per_unit * self.units_per_second

    @property
    def measured_mfu(self) -> float | None:
        """The stored MFU, or achieved ÷ peak; None when neither is known (or it is not in (0, 1])."""
        value = self.mfu
        if value is None and self.peak_flops:
            value = self.achieved_flops / self.peak_flops
        return value if value is not None and 0 < value <= 1 else None


@dataclass(frozen=True)
class Calibration:
    inputs: TrainingInputs  # ready for estimate_training
    provenance: list[dict[str, str]]  # figure, value, measured/assumed, note
    mfu_basis: str  # same_gpu, other_gpu, not_gpu_default, not_gpu_forced, no_mfu
    mfu_note: str  # one sentence for the page: where the MFU comes from


# Words in accelerator names (torch.cuda.get_device_name, ROCm) that a CPU's marketing name never has.
_GPU_WORDS = {"nvidia", "geforce", "tesla", "quadro", "instinct", "radeon", "cuda"}


def _tokens(name: str) -> set[str]:
    return set(re.split(r"[^a-z0-9]+", name.lower())) - {""}


def device_relation(run: MeasuredRun, gpu: Gpu) -> str:
    """``same_gpu`` (the run's device is the target's model), ``other_gpu`` or ``not_gpu`` (CPU, MPS, unknown).

    The target matches when every model segment of its key is in the device name ('h100-sxm' → 'h100' in
    'NVIDIA H100 80GB HBM3'); form factor and memory size ('sxm', 'pcie', '80gb') are ignored, as the
    modelhub's catalogue match does.
    """
    tokens = _tokens(run.device_name)
    kind = (run.device_type or "").lower()
    is_gpu = kind == "cuda" if kind in {"cuda", "cpu", "mps"} else bool(tokens & _GPU_WORDS)
    if not is_gpu:
        return "not_gpu"
    segments = [s for s in gpu.key.split("-") if s not in {"sxm", "pcie"} and not re.fullmatch(r"\d+gb", s)]
    return "same_gpu" if segments and all(s in tokens for s in segments) else "other_gpu"


def _check(run: MeasuredRun) -> None:
    if run.unit not in UNITS:
        raise EstimateError(f"run {run.run_id}: 'unit' must be 'sample' or 'token', got {run.unit!r}")
    for name in ("params", "flops_per_unit", "units_per_second"):
        value = getattr(run, name)
        if not (math.isfinite(float(value)) and float(value) > 0):
            raise EstimateError(f"run {run.run_id}: '{name}' must be a positive number, got {value!r}")


def _label(run: MeasuredRun) -> str:
    parts = [f"run {run.run_id}" if run.run_id is not None else "", run.model_name, run.config_name]
    return " ".join(p for p in parts if p) + f" on {run.device_name}"


def calibrate(run: MeasuredRun, base: TrainingInputs, gpu: Gpu, units: float,
              use_measured_mfu: bool = False) -> Calibration:
    """Training inputs for ``base.params`` parameters and ``units`` samples/tokens, calibrated by ``run``.

    ``base`` carries the cluster, price and overheads; its FLOPs rule is replaced by the run's, and its MFU
    by the run's when the device allows it (see the module docstring; ``use_measured_mfu`` overrides the
    refusal to carry a CPU's MFU over).
    """
    _check(run)
    if not (math.isfinite(units) and units > 0):
        raise EstimateError(f"'{run.unit}s' must be a positive number, got {units!r}")
    scale = base.params / run.params
    per_unit = run.flops_per_unit * scale
    mfu = run.measured_mfu
    provenance = [
        {"figure": f"FLOPs per {run.unit} (measured model)", "value": f"{run.flops_per_unit:.3g}",
         "status": "measured", "note": _label(run)},
        {"figure": "measured model parameters", "value": f"{run.params:,}", "status": "measured", "note": ""},
        {"figure": f"FLOPs per {run.unit} (target)", "value": f"{per_unit:.3g}", "status": "assumed",
         "note": f"scaled linearly with parameters (× {scale:,.3g}), as 6·N does"},
        {"figure": f"{run.unit}s", "value": f"{units:.3g}", "status": "assumed", "note": "input"},
    ]
    relation = device_relation(run, gpu)
    if mfu is not None and (relation != "not_gpu" or use_measured_mfu):
        basis = {"same_gpu": "same_gpu", "other_gpu": "other_gpu"}.get(relation, "not_gpu_forced")
        note = {"same_gpu": f"measured on {run.device_name}, the same GPU model as {gpu.name}",
                "other_gpu": f"carried over from another device: measured on {run.device_name}, applied to "
                             f"{gpu.name} (an assumption)",
                "not_gpu_forced": f"carried over from a non-GPU device at your request: measured on "
                                  f"{run.device_name}, applied to {gpu.name} (CPU and GPU MFU are different "
                                  "yardsticks)"}[basis]
        low, high = max(mfu * 0.8, 1e-6), min(mfu * 1.2, 1.0)
        provenance.append({"figure": "MFU", "value": f"{mfu:.1%}",
                           "status": "measured" if basis == "same_gpu" else "assumed",
                           "note": f"{note}; range ±20 %"})
    else:
        klass = "llm" if run.unit == "token" and base.params >= 1e9 else ("small_llm" if run.unit == "token"
                                                                             else "other")
        d = default_mfu(gpu.key, klass, base.precision)
        if mfu is None:
            basis, note = "no_mfu", f"the run has no MFU (device peak unknown): the default MFU is used ({d.source})"
        else:
            basis = "not_gpu_default"
            note = (f"the run's MFU ({mfu:.1%}) was measured on {run.device_name}, not a GPU, and does not carry "
                    f"over to {gpu.name}: the default MFU is used ({d.source}); tick 'use the measured MFU anyway' "
                    "to override")
            provenance.append({"figure": "MFU (measured, not used)", "value": f"{mfu:.1%}", "status": "measured",
                               "note": f"on {run.device_name}"})
        mfu, low, high = d.base, d.low, d.high
        provenance.append({"figure": "MFU", "value": f"{mfu:.0%}", "status": "assumed", "note": note})
    provenance.append({"figure": "peak FLOP/s", "value": f"{gpu.peak_flops(base.precision) / 1e12:,.0f} TFLOP/s",
                       "status": "assumed", "note": f"catalogue: {gpu.source} ({gpu.as_of})"})
    if run.unit == "token":
        inputs = replace(base, tokens=units, samples=None, flops_per_sample=None, flops_per_token=per_unit,
                         mfu=mfu, mfu_low=low, mfu_high=high)
    else:
        inputs = replace(base, tokens=None, samples=units, flops_per_sample=per_unit, flops_per_token=None,
                         mfu=mfu, mfu_low=low, mfu_high=high)
    return Calibration(inputs=inputs, provenance=provenance, mfu_basis=basis, mfu_note=note)
