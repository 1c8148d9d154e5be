"""The dated GPU, GPU-price and API-price catalogues, and a workspace's own rows merged over them.

Tables live in ``analytics/data/*.csv``; every row keeps its ``source`` and ``as_of`` date so a page can
show where each number comes from. Peaks are *dense* (no 2:4 sparsity), in TFLOP/s; memory in GB
(1e9 bytes); bandwidth in TB/s (1e12 bytes/s); prices in USD per GPU-hour or per 1M tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parent / "data"
PRECISIONS = ("bf16", "fp8", "fp32")
PRICE_KINDS = ("on_demand", "reserved", "spot")
GPU_KEY = re.compile(r"^[a-z0-9][a-z0-9.\-]{0,39}$")
_GPU_NUMBERS = ("bf16_tflops", "fp8_tflops", "fp32_tflops", "memory_gb", "bandwidth_tbs")


class CatalogueError(ValueError):
    """A catalogue row or a lookup is wrong; the message names the GPU and the field."""


@dataclass(frozen=True)
class Gpu:
    """One accelerator: dense peaks (TFLOP/s), memory (GB), bandwidth (TB/s), where the figures come from."""

    key: str
    name: str
    bf16_tflops: float
    fp8_tflops: float | None
    fp32_tflops: float | None
    memory_gb: float
    bandwidth_tbs: float
    source: str
    as_of: str

    def peak_flops(self, precision: str = "bf16") -> float:
        """Dense peak in FLOP/s for ``precision``; refuses a precision the GPU lacks."""
        if precision not in PRECISIONS:
            raise CatalogueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
        tflops = getattr(self, f"{precision}_tflops")
        if tflops is None or not tflops > 0:
            raise CatalogueError(f"precision: {self.key} has no {precision} peak in the catalogue; choose another "
                                 "precision or GPU")
        return float(tflops) * 1e12


@cache
def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name, dtype={"as_of": str})


def gpu_table() -> pd.DataFrame:
    """The bundled GPU catalogue, indexed by key (a copy: callers may change it)."""
    return _read("gpus.csv").set_index("gpu").copy()


def price_table() -> pd.DataFrame:
    """Bundled $/GPU-hour rows: provider, gpu, kind, usd_per_gpu_hour, source, as_of."""
    return _read("gpu_prices.csv").copy()


def api_price_table() -> pd.DataFrame:
    """Bundled public API prices in $ per 1M input / output / cached-input tokens, with source and date."""
    return _read("api_prices.csv").copy()


def validate_gpu_row(key: str, row: dict) -> list[str]:
    """Problems with one catalogue row, each naming the field (empty when the row is usable)."""
    problems = []
    if not GPU_KEY.match(str(key)):
        problems.append(f"GPU {key!r}: 'gpu' must be lower-case letters, digits, '.' or '-' (at most 40)")
    for field in _GPU_NUMBERS:
        value = row.get(field)
        required = field in {"bf16_tflops", "memory_gb", "bandwidth_tbs"}
        missing = value is None or (isinstance(value, float) and pd.isna(value))
        if missing:
            if required:
                problems.append(f"GPU {key!r}: '{field}' is required")
            continue
        if not float(value) > 0:
            problems.append(f"GPU {key!r}: '{field}' must be greater than 0, got {value!r}")
    for field in ("source", "as_of"):
        if not str(row.get(field) or "").strip():
            problems.append(f"GPU {key!r}: '{field}' is required (every figure keeps its source and date)")
    return problems


def merged_gpus(overrides: pd.DataFrame | None = None) -> pd.DataFrame:
    """Catalogue with a workspace's rows on top: same key replaces the bundled row, a new key adds one.

    ``overrides`` is indexed by key with the catalogue's columns (plus optional ``usd_per_gpu_hour``);
    the result has an ``origin`` column: ``catalogue``, ``workspace`` (new) or ``override``.
    """
    base = gpu_table().assign(origin="catalogue")
    if overrides is None or overrides.empty:
        return base
    own = overrides[[c for c in base.columns if c in overrides.columns]].copy()
    own["origin"] = ["override" if k in base.index else "workspace" for k in own.index]
    return pd.concat([base.drop(index=[k for k in own.index if k in base.index]), own])


def gpu(key: str, table: pd.DataFrame | None = None) -> Gpu:
    """The GPU ``key`` from ``table`` (default: the bundled catalogue); refuses an unknown name."""
    table = gpu_table() if table is None else table
    if key not in table.index:
        raise CatalogueError(f"unknown GPU {key!r}; known: {', '.join(sorted(table.index))}")
    row = table.loc[key]

    def opt(field: str) -> float | None:
        value = row.get(field)
        return None if value is None or pd.isna(value) else float(value)

    return Gpu(key=key, name=str(row["name"]), bf16_tflops=float(row["bf16_tflops"]), fp8_tflops=opt("fp8_tflops"),
               fp32_tflops=opt("fp32_tflops"), memory_gb=float(row["memory_gb"]),
               bandwidth_tbs=float(row["bandwidth_tbs"]), source=str(row["source"]), as_of=str(row["as_of"]))


PRICE_COLUMNS = ["provider", "gpu", "kind", "usd_per_gpu_hour", "source", "as_of"]
# Where a merged price row comes from: the bundled table, a workspace price row, or a workspace GPU row's one price.
CATALOGUE, WORKSPACE, GPU_ROW = "catalogue", "workspace", "workspace GPU row"


def merge_prices(bundled: pd.DataFrame, own: pd.DataFrame | None = None,
                 gpu_rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """The price table a workspace's estimates read: ``bundled`` with the workspace's own prices on top.

    Precedence for one (GPU, kind), highest first (a typed-in price on the form beats all three):

    1. ``own``: the workspace's price rows (provider, gpu, kind, usd_per_gpu_hour, source, as_of). Its rows
       for a (GPU, kind) *replace* the bundled rows of that (GPU, kind): a negotiated price is the price, not
       one more sample for the median. A kind the catalogue lacks is added.
    2. ``gpu_rows``: the workspace's GPU catalogue rows (indexed by key, with ``usd_per_gpu_hour``, ``source``
       and ``as_of``). One price with no provider or kind, so it stands for every kind that (1) leaves open.
    3. The bundled rows.

    Kinds nobody priced keep the catalogue's rows. The result has the bundled columns plus ``origin``
    (``catalogue``, ``workspace`` or ``workspace GPU row``); a table with ``origin`` is already merged, so
    :func:`analytics.compute_report.build_report` does not apply the GPU rows' price a second time.
    """
    base = bundled[PRICE_COLUMNS].assign(origin=CATALOGUE)
    parts = []
    if own is not None and not own.empty:
        parts.append(own[PRICE_COLUMNS].assign(origin=WORKSPACE))
    taken = {(g, k) for part in parts for g, k in zip(part["gpu"], part["kind"], strict=True)}
    if gpu_rows is not None and not gpu_rows.empty and "usd_per_gpu_hour" in gpu_rows.columns:
        priced = gpu_rows[gpu_rows["usd_per_gpu_hour"].notna()]
        single = [{"provider": GPU_ROW, "gpu": key, "kind": kind, "usd_per_gpu_hour": float(row["usd_per_gpu_hour"]),
                   "source": f"{row['source']} (one price, used for every kind)", "as_of": str(row["as_of"]),
                   "origin": GPU_ROW}
                  for key, row in priced.iterrows() for kind in PRICE_KINDS if (key, kind) not in taken]
        if single:
            parts.append(pd.DataFrame(single))
            taken |= {(r["gpu"], r["kind"]) for r in single}
    if not parts:
        return base
    keep = [(g, k) not in taken for g, k in zip(base["gpu"], base["kind"], strict=True)]
    return pd.concat([base[keep], *parts], ignore_index=True)


@dataclass(frozen=True)
class PriceRange:
    """$/GPU-hour low / base / high for one GPU and the rows they come from."""

    low: float
    base: float
    high: float
    source: str


def _cite(provider: str, usd: float, as_of: str, origin: str, source: str) -> str:
    # A workspace's own price names its source too: the bundled rows' sources are on the price table.
    own = "" if origin == CATALOGUE else f"; {origin}: {source}"
    return f"{provider} ${usd:.2f} ({as_of}{own})"


def price_range(key: str, prices: pd.DataFrame | None = None, kind: str = "on_demand") -> PriceRange | None:
    """Cheapest, median and dearest price of ``kind`` for a GPU (None when the table has none).

    ``prices`` is the bundled table (default) or a workspace's :func:`merge_prices` table.
    """
    if kind not in PRICE_KINDS:
        raise CatalogueError(f"price kind must be one of {', '.join(PRICE_KINDS)}, got {kind!r}")
    prices = price_table() if prices is None else prices
    rows = prices[(prices["gpu"] == key) & (prices["kind"] == kind)]
    if rows.empty:
        return None
    usd = rows["usd_per_gpu_hour"].astype(float)
    origins = rows["origin"] if "origin" in rows.columns else [CATALOGUE] * len(rows)
    cited = "; ".join(_cite(p, u, d, o, s) for p, u, d, o, s in zip(rows["provider"], usd, rows["as_of"], origins,
                                                                   rows["source"], strict=True))
    return PriceRange(low=float(usd.min()), base=float(usd.median()), high=float(usd.max()), source=cited)


@dataclass(frozen=True)
class MfuDefault:
    """A default model-FLOPs utilisation with its plausible range and its source."""

    low: float
    base: float
    high: float
    source: str


# Keyed by (GPU family, model class). Transformers of >= 1B parameters at seq 2k unless noted.
_MFU: dict[tuple[str, str], MfuDefault] = {
    ("hopper", "llm"): MfuDefault(0.35, 0.40, 0.46, "llm-foundry benchmarking README, H100 BF16 1b-70b: 36-46% "
                                  "(REFERENCE A3); torchtitan Llama 3.1 8B 33-39% (A4)"),
    ("hopper", "small_llm"): MfuDefault(0.30, 0.35, 0.40, "llm-foundry H100 BF16 760m: 34.9-40.4% (REFERENCE A3)"),
    ("ampere", "llm"): MfuDefault(0.45, 0.50, 0.60, "llm-foundry A100 80GB BF16 1b-70b: 46-64% (REFERENCE A3)"),
    ("ampere", "small_llm"): MfuDefault(0.43, 0.50, 0.54, "llm-foundry A100 BF16 125m-350m: 42.6-54.1% (A3)"),
    ("other", "llm"): MfuDefault(0.20, 0.30, 0.40, "Epoch default utilisation 30% for LLMs; LLM Explorer 0.3 (A4)"),
    ("other", "small_llm"): MfuDefault(0.20, 0.30, 0.40, "Epoch default utilisation 30% for LLMs (REFERENCE A4)"),
    ("any", "other"): MfuDefault(0.05, 0.10, 0.30, "no public figure for small CNN/GAN/VAE; REFERENCE A4 expects "
                                 "single-digit to low-tens %: measure it with the modelhub"),
}
_FAMILY = {"h100-sxm": "hopper", "h100-pcie": "hopper", "h200": "hopper", "a100-80gb": "ampere",
           "a100-40gb": "ampere"}
MODEL_CLASSES = ("llm", "small_llm", "other")


def model_class(params: float, transformer: bool = True) -> str:
    """``small_llm`` under 1B parameters, ``llm`` from 1B; ``other`` for non-transformer models."""
    if not transformer:
        return "other"
    return "small_llm" if params < 1e9 else "llm"


# fp8 MFU is measured against the (twice as high) fp8 peak, so it is much lower than bf16 MFU.
_FP8_MFU = MfuDefault(0.15, 0.30, 0.36, "llm-foundry H100 FP8 1b-3b: 14-30% of fp8 peak (REFERENCE A3); NeMo "
                      "24.12 Llama3-8B FP8 711 TFLOP/s = 36% of 1979 (A4)")


def default_mfu(gpu_key: str, klass: str, precision: str = "bf16") -> MfuDefault:
    """Default MFU range for a GPU, model class and precision, with its source (REFERENCE A3/A4)."""
    if klass not in MODEL_CLASSES:
        raise CatalogueError(f"model class must be one of {', '.join(MODEL_CLASSES)}, got {klass!r}")
    if klass == "other":
        return _MFU[("any", "other")]
    if precision == "fp8":
        return _FP8_MFU
    return _MFU[(_FAMILY.get(gpu_key, "other"), klass)]
