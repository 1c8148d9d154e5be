"""What machine a measurement ran on, and the peak FLOP/s its MFU is measured against.

GPU peaks are dense (no 2:4 sparsity) and come from the cost engine's catalogue ``analytics/data/gpus.csv``
when it is there, else from the small table below (same public sources, REFERENCE.md A1). A CPU has no
trustworthy datasheet peak, so its "peak" is a measured fp32 matmul probe, and every result says so.
"""

from __future__ import annotations

import contextlib
import csv
import os
import platform
import re
import subprocess
import time
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata

import torch

from modelhub.paths import ROOT

CATALOGUE = ROOT / "analytics" / "data" / "gpus.csv"
# Fallback when the catalogue is absent: (bf16 dense, fp32) TFLOP/s.
FALLBACK_PEAKS: dict[str, tuple[float, float, str]] = {
    "h100-sxm": (989.0, 67.0, "REFERENCE.md A1: cli99/llm-analysis h100-sxm-80gb.json; NVIDIA H100 datasheet"),
    "h100-pcie": (756.0, 51.0, "REFERENCE.md A1: isEmmanuelOlowe/llm-cost-estimator gpu-catalog overrides"),
    "h200": (989.0, 67.0, "REFERENCE.md A1: isEmmanuelOlowe/llm-cost-estimator gpu-catalog"),
    "a100-80gb": (312.0, 19.5, "REFERENCE.md A1: cli99/llm-analysis a100-sxm-80gb.json"),
    "rtx-4090": (165.2, 82.6, "REFERENCE.md A1: karpathy/nanochat issue #60"),
}
PROBE_SIZE = 1024  # n of the n×n fp32 matmul probe: big enough to reach BLAS speed, a few ms per call


@dataclass(frozen=True)
class Peak:
    """Peak FLOP/s of one device for one precision, with where the number comes from."""

    flops: float | None
    source: str
    measured: bool  # True for the CPU probe: an achieved ceiling, not a datasheet figure


def _run(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=5, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def cpu_model() -> str:
    """The CPU's marketing name (Linux /proc/cpuinfo, else platform)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_name(device: torch.device) -> str:
    """A human name: the GPU's name, or the CPU model."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return f"Apple MPS ({cpu_model()})"
    return cpu_model()


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """HEAD's commit, with '+dirty' when tracked files have changed; None outside a git checkout."""
    head = _run(["git", "-C", str(ROOT), "rev-parse", "HEAD"])
    if not head:
        return None
    dirty = _run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"])
    return head + ("+dirty" if dirty else "")


def versions() -> dict[str, str]:
    """Versions of Python and the libraries a measurement depends on."""
    out = {"python": platform.python_version(), "torch": torch.__version__}
    for dist in ("numpy", "scikit-learn"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[dist] = metadata.version(dist)
    return out


def fingerprint(device: torch.device) -> dict[str, object]:
    """Device name and count, driver/CUDA versions, CPU model and cores, OS: enough to compare runs."""
    info: dict[str, object] = {
        "device_type": device.type, "device_name": device_name(device), "cpu_model": cpu_model(),
        "cpu_cores": os.cpu_count(), "torch_threads": torch.get_num_threads(), "os": platform.platform(),
    }
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        info.update(devices_on_machine=torch.cuda.device_count(), cuda=torch.version.cuda,
                    memory_gb=round(props.total_memory / 2**30, 1), capability=f"{props.major}.{props.minor}",
                    driver=_run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"]).split("\n")[0]
                    or None)
    return info


def _catalogue_rows() -> list[dict[str, str]]:
    if not CATALOGUE.exists():
        return []
    with open(CATALOGUE, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def match_gpu(name: str, keys: list[str]) -> str | None:
    """The catalogue key for a CUDA device name ('NVIDIA H100 80GB HBM3' → 'h100-sxm'), or None."""
    tokens = set(re.split(r"[^a-z0-9]+", name.lower()))
    # A key's model segments ('h100', or 'rtx' and '4090') must all be in the name; form factor and memory
    # size ('sxm', 'pcie', '80gb') only choose between variants of the same model.
    family = [k for k in keys if all(s in tokens for s in k.split("-") if s not in {"sxm", "pcie"}
                                     and not s.endswith("gb"))]
    if len(family) <= 1:
        return family[0] if family else None
    if "pcie" in tokens:
        pcie = [k for k in family if "pcie" in k]
        return pcie[0] if pcie else family[0]
    sized = [k for k in family if any(t in k for t in tokens if t.endswith("gb"))]
    return (sized or [k for k in family if "pcie" not in k] or family)[0]


def gpu_peak(name: str, precision: str) -> Peak:
    """Dense peak FLOP/s for a GPU name and 'bf16' or 'fp32', from the catalogue or the fallback table."""
    column = "bf16_tflops" if precision == "bf16" else "fp32_tflops"
    rows = {r["gpu"]: r for r in _catalogue_rows()}
    key = match_gpu(name, list(rows))
    if key and rows[key].get(column):
        row = rows[key]
        return Peak(float(row[column]) * 1e12, f"analytics/data/gpus.csv {key} {column} ({row.get('source', '')})",
                    False)
    key = match_gpu(name, list(FALLBACK_PEAKS))
    if key:
        bf16, fp32, source = FALLBACK_PEAKS[key]
        return Peak((bf16 if precision == "bf16" else fp32) * 1e12, f"{key} {precision}: {source}", False)
    return Peak(None, f"no dense peak known for {name!r}: MFU not computed", False)


@lru_cache(maxsize=4)
def cpu_matmul_probe(threads: int, n: int = PROBE_SIZE, repeats: int = 5) -> float:
    """Best achieved fp32 FLOP/s of an n×n matmul with ``threads`` torch threads (2·n³ FLOPs per call)."""
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        a, b = torch.randn(n, n), torch.randn(n, n)
        torch.mm(a, b)  # warm-up: first call allocates and picks a kernel
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            torch.mm(a, b)
            best = min(best, time.perf_counter() - start)
        return 2 * n**3 / best
    finally:
        torch.set_num_threads(old)


def peak_for(device: torch.device, precision: str) -> Peak:
    """The peak a benchmark's MFU divides by, for this device and precision."""
    if device.type == "cuda":
        return gpu_peak(torch.cuda.get_device_name(device), precision)
    if device.type == "cpu":
        threads = torch.get_num_threads()
        flops = cpu_matmul_probe(threads)
        return Peak(flops, f"measured: best of 5 fp32 {PROBE_SIZE}×{PROBE_SIZE} matmuls on {threads} thread(s)",
                    True)
    return Peak(None, f"no peak known for {device.type}: MFU not computed", False)
