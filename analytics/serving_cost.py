"""Serving cost: roofline prefill/decode throughput, $ per 1M tokens, fleet size and API break-even.

Formulas (``shared/REFERENCE.md`` A5.1/A7): a decode step of batch B on G GPUs takes
t = max(2·P_active·B / (G·F·eff_c), (P·bytes_w + KV bytes) / (G·BW·eff_m)); throughput = B / t.
Prefill costs 2·P_active + 2·L·prompt·d FLOPs per token; one prompt (a prefill chunk) takes
max(compute time, time to read the weights once), so short prompts are memory-bound. KV bytes per
token = 2·L·n_kv·d_head·bytes. Inference memory ≈ 1.2 × weights + KV. The model's shape (L, d) is
inferred from the *active* parameters unless given (a mixture of experts is as deep and wide as its
active part, not as its total).

Two $/1M figures, both from $/h ÷ (tokens/s × 3600 × utilisation) × 1e6 (``gsampaio-rh/llm-locust``
COST_ESTIMATION_GUIDE): *at utilisation* prices one replica busy for the input share of its hours;
*fleet* prices the fleet sized for the daily load and its peak at the fleet's own utilisation, so
fleet $/1M input × input tokens + fleet $/1M output × output tokens = the fleet's monthly cost.
That fleet figure is the cost of goods sold a revenue plan should read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.gpu_catalogue import Gpu
from analytics.training_cost import EstimateError, shape

WEIGHT_MEMORY_FACTOR = 1.2  # runtime buffers on top of the weights (REFERENCE A7)
SECONDS_PER_DAY = 86_400.0
HOURS_PER_MONTH = 730.0  # as the fleet's monthly cost and the burn count a month


@dataclass(frozen=True)
class ServingInputs:
    """A model served on replicas of ``gpus_per_replica`` GPUs. Prices in USD per GPU-hour."""

    params: float  # total parameters (memory)
    active_params: float | None = None  # MoE: parameters used per token (FLOPs); None = dense
    weight_bytes: float = 2.0  # bf16; 1 for fp8 weights
    kv_bytes: float = 2.0
    n_layers: int | None = None  # None: inferred from the active parameters
    d_model: int | None = None  # None: inferred (d_model = 128 × layers); only the prefill attention term uses it
    n_kv_heads: int = 8  # grouped-query attention as in Llama 3 8B/70B
    head_dim: int = 128
    gpus_per_replica: int = 1
    batch_size: int = 32  # concurrent sequences per replica (capped by memory)
    prompt_tokens: int = 1_000  # per request (illustrative)
    output_tokens: int = 250  # per request (illustrative)
    compute_efficiency: float = 0.5  # achieved ÷ peak FLOP/s; MAMF caps matmul near 80 % (A1); illustrative
    memory_efficiency: float = 0.6  # achieved ÷ peak bandwidth; Databricks MBU ≈ 60 % (A5.2)
    utilisation: float = 0.5  # share of paid hours doing useful work (illustrative)
    price: float = 2.49  # $/GPU-hour (Lambda H100, A5.5)
    tokens_per_day: float = 1e9  # input + output tokens a day, mixed as prompt:output
    peak_factor: float = 2.0  # peak ÷ average load the fleet must absorb (illustrative)
    measured_output_tps: float | None = None  # measured decode tokens/s per replica (overrides the roofline)
    measured_input_tps: float | None = None  # measured prefill tokens/s per replica


@dataclass(frozen=True)
class ServingEstimate:
    kv_bytes_per_token: float
    weights_gb: float  # per replica
    max_batch: int  # sequences whose KV cache fits next to the weights (0: the model does not fit)
    batch: int  # min(batch_size, max_batch)
    bound: str  # "memory" or "compute" for decode, or "measured"
    prefill_bound: str  # "memory" or "compute" per prefill chunk (one prompt), or "measured"
    decode_tokens_per_s: float  # per replica
    prefill_tokens_per_s: float  # per replica
    usd_per_m_input: float  # one replica at the input utilisation
    usd_per_m_output: float
    usd_per_m_blended: float  # at the prompt:output mix
    replicas: int  # for tokens_per_day × peak_factor
    gpus: int
    fleet_utilisation: float  # average busy share of that fleet
    monthly_usd: float  # fleet cost, 730 h a month
    monthly_tokens: float  # input + output tokens a month (730 h)
    fleet_usd_per_m_input: float  # the fleet's monthly cost spread over its tokens by GPU time (COGS)
    fleet_usd_per_m_output: float
    fleet_usd_per_m_blended: float  # = monthly_usd / monthly_tokens × 1e6
    replica_day_usd: float
    n_layers: int
    assumptions: list[dict[str, str]] = field(default_factory=list)


def usd_per_million(usd_per_hour: np.ndarray | float, tokens_per_s: np.ndarray | float,
                    utilisation: np.ndarray | float) -> np.ndarray:
    """$ per 1M tokens = $/h ÷ (tokens/s × 3600 × utilisation) × 1e6 (vectorised)."""
    rate = np.asarray(tokens_per_s, dtype=float) * 3600.0 * np.asarray(utilisation, dtype=float)
    return np.asarray(usd_per_hour, dtype=float) / rate * 1e6


def _check(s: ServingInputs) -> None:
    for name in ("params", "weight_bytes", "kv_bytes", "n_kv_heads", "head_dim", "gpus_per_replica", "batch_size",
                 "prompt_tokens", "output_tokens", "price", "tokens_per_day"):
        value = getattr(s, name)
        if value is None or not math.isfinite(float(value)) or float(value) <= 0:
            raise EstimateError(f"'{name}' must be a positive number, got {value!r}")
    for name in ("active_params", "measured_output_tps", "measured_input_tps", "n_layers", "d_model"):
        value = getattr(s, name)
        if value is not None and not (math.isfinite(float(value)) and float(value) > 0):
            raise EstimateError(f"'{name}' must be a positive number, got {value!r}")
    if s.active_params is not None and s.active_params > s.params:
        raise EstimateError("'active_params' cannot exceed 'params' (total parameters)")
    for name in ("compute_efficiency", "memory_efficiency", "utilisation"):
        if not 0 < getattr(s, name) <= 1:
            raise EstimateError(f"'{name}' must be in (0, 1], got {getattr(s, name)!r}")
    if s.peak_factor < 1:
        raise EstimateError(f"'peak_factor' must be at least 1, got {s.peak_factor!r}")


def decode_step_seconds(*, active_params: float, weight_bytes_total: float, kv_bytes_batch: np.ndarray | float,
                        batch: np.ndarray | float, flops: float, bandwidth: float) -> tuple[np.ndarray, np.ndarray]:
    """Roofline time of one decode step (s) and whether it is memory-bound (vectorised over batch)."""
    compute = 2.0 * active_params * np.asarray(batch, dtype=float) / flops
    memory = (weight_bytes_total + np.asarray(kv_bytes_batch, dtype=float)) / bandwidth
    return np.maximum(compute, memory), memory >= compute


def prefill_chunk_seconds(*, active_params: float, weight_bytes_total: float, prompt_tokens: int, n_layers: int,
                          d_model: int, flops: float, bandwidth: float) -> tuple[float, bool]:
    """Roofline time of one prompt's prefill (s) and whether it is memory-bound.

    Compute: prompt × (2·P_active + 2·L·prompt·d) FLOPs; memory: the weights are read once per chunk.
    A chunk is one prompt, the conservative case (engines that pack several prompts per chunk read the
    weights once for all of them).
    """
    compute = prompt_tokens * (2.0 * active_params + 2.0 * n_layers * prompt_tokens * d_model) / flops
    memory = weight_bytes_total / bandwidth
    return max(compute, memory), memory > compute


def estimate_serving(s: ServingInputs, gpu: Gpu, precision: str = "bf16") -> ServingEstimate:
    """Every serving figure for ``s`` on ``gpu``; raises :class:`EstimateError` naming a bad field."""
    _check(s)
    active = s.active_params or s.params
    layers, d_model = shape(active, s.n_layers, s.d_model)
    g = s.gpus_per_replica
    kv_tok = 2.0 * layers * s.n_kv_heads * s.head_dim * s.kv_bytes
    weights = s.params * s.weight_bytes
    context = s.prompt_tokens + s.output_tokens
    free = g * gpu.memory_gb * 1e9 - WEIGHT_MEMORY_FACTOR * weights
    max_batch = max(0, int(free // (kv_tok * context)))
    if max_batch == 0:
        raise EstimateError(f"the model's weights ({weights / 1e9:,.0f} GB) and one {context}-token KV cache do not "
                            f"fit in {g} × {gpu.memory_gb:g} GB: raise 'gpus_per_replica' or use fp8 weights")
    batch = min(s.batch_size, max_batch)
    flops = g * gpu.peak_flops(precision) * s.compute_efficiency
    bandwidth = g * gpu.bandwidth_tbs * 1e12 * s.memory_efficiency
    # Average context during decode is the prompt plus half the answer.
    kv_batch = kv_tok * (s.prompt_tokens + s.output_tokens / 2) * batch
    step, memory_bound = decode_step_seconds(active_params=active, weight_bytes_total=weights,
                                             kv_bytes_batch=kv_batch, batch=batch, flops=flops, bandwidth=bandwidth)
    chunk, prefill_memory_bound = prefill_chunk_seconds(
        active_params=active, weight_bytes_total=weights, prompt_tokens=s.prompt_tokens, n_layers=layers,
        d_model=d_model, flops=flops, bandwidth=bandwidth)
    decode_tps = s.measured_output_tps or float(batch / step)
    prefill_tps = s.measured_input_tps or s.prompt_tokens / chunk
    bound = "measured" if s.measured_output_tps else ("memory" if bool(memory_bound) else "compute")
    prefill_bound = "measured" if s.measured_input_tps else ("memory" if prefill_memory_bound else "compute")
    replica_hour = g * s.price
    usd_in, usd_out = (float(x) for x in usd_per_million(replica_hour, [prefill_tps, decode_tps], s.utilisation))
    share_in = s.prompt_tokens / context
    blended = share_in * usd_in + (1 - share_in) * usd_out
    busy = s.tokens_per_day * (share_in / prefill_tps + (1 - share_in) / decode_tps)  # replica-seconds a day
    replicas = max(1, math.ceil(s.peak_factor * busy / SECONDS_PER_DAY))
    fleet_util = busy / (replicas * SECONDS_PER_DAY)
    monthly_usd = replicas * replica_hour * HOURS_PER_MONTH
    monthly_tokens = s.tokens_per_day * HOURS_PER_MONTH / 24.0
    # The fleet's cost spread over its tokens by the GPU time each takes: the per-replica formula at the
    # fleet's own utilisation. So fleet in × input tokens + fleet out × output tokens = monthly_usd.
    fleet_in, fleet_out = (float(x) for x in usd_per_million(replica_hour, [prefill_tps, decode_tps], fleet_util))
    assumptions = [
        {"assumption": "decode roofline", "value": f"max(compute, memory) per step, batch {batch} "
         f"(fits {max_batch})", "source": "kipply; iopsystems/llm-calc; JGalego/llm-calc (A5.1)"},
        {"assumption": "weights per replica", "value": f"{weights / 1e9:,.1f} GB ({s.weight_bytes:g} B/param) × "
         f"{WEIGHT_MEMORY_FACTOR} runtime factor", "source": "REFERENCE A7: inference memory ≈ 1.2 × weights + KV"},
        {"assumption": "KV cache per token", "value": f"{kv_tok / 1024:,.0f} KiB (2·{layers}·{s.n_kv_heads}·"
         f"{s.head_dim}·{s.kv_bytes:g} B)", "source": "REFERENCE A5.1 (Llama-3-8B: 128 KiB)"},
        {"assumption": "compute / memory efficiency",
         "value": f"{s.compute_efficiency:.0%} / {s.memory_efficiency:.0%}",
         "source": "MAMF ~80 % cap (A1; 50 % illustrative); Databricks MBU ≈ 60 % (A5.2)"},
        {"assumption": "utilisation", "value": f"{s.utilisation:.0%}", "source": "input (illustrative default)"},
        {"assumption": "prefill roofline", "value": f"max(compute, weight read) per {s.prompt_tokens}-token prompt: "
         f"{prefill_bound}-bound", "source": "REFERENCE A5.1 (prefill FLOPs; weights read once per chunk)"},
        {"assumption": "model shape", "value": f"{layers} layers × d_model {d_model}",
         "source": "input" if s.n_layers and s.d_model else "inferred from the active parameters: d_model = 128 × "
                   "layers, N ≈ 12·L·d² (given values kept)"},
        {"assumption": "$/1M tokens at utilisation", "value": "$/h ÷ (tokens/s × 3600 × utilisation) × 1e6",
         "source": "gsampaio-rh/llm-locust docs/COST_ESTIMATION_GUIDE.md (A5.1)"},
        {"assumption": "$/1M tokens, fleet (COGS)", "value": f"the same formula at the fleet's utilisation "
         f"({fleet_util:.0%}): fleet $/month ÷ tokens/month", "source": "derived; sums to the fleet's monthly cost"},
        {"assumption": "peak factor", "value": f"{s.peak_factor:g}×", "source": "input (illustrative default)"},
    ]
    if s.measured_output_tps:
        assumptions.insert(0, {"assumption": "decode tokens/s", "value": f"{s.measured_output_tps:,.0f}",
                               "source": "measured (input)"})
    return ServingEstimate(
        kv_bytes_per_token=kv_tok, weights_gb=weights / 1e9, max_batch=max_batch, batch=batch, bound=bound,
        prefill_bound=prefill_bound, decode_tokens_per_s=decode_tps, prefill_tokens_per_s=prefill_tps,
        usd_per_m_input=usd_in, usd_per_m_output=usd_out, usd_per_m_blended=blended, replicas=replicas,
        gpus=replicas * g, fleet_utilisation=fleet_util, monthly_usd=monthly_usd, monthly_tokens=monthly_tokens,
        fleet_usd_per_m_input=fleet_in, fleet_usd_per_m_output=fleet_out,
        fleet_usd_per_m_blended=monthly_usd / monthly_tokens * 1e6, replica_day_usd=replica_hour * 24.0,
        n_layers=layers, assumptions=assumptions,
    )


def cost_vs_utilisation(estimate: ServingEstimate, s: ServingInputs,
                        utilisation: np.ndarray | None = None) -> pd.DataFrame:
    """$/1M input and output tokens over a utilisation grid (vectorised), for the serving curve."""
    u = np.linspace(0.05, 1.0, 96) if utilisation is None else np.asarray(utilisation, dtype=float)
    hour = s.gpus_per_replica * s.price
    return pd.DataFrame({"utilisation": u,
                         "usd_per_m_input": usd_per_million(hour, estimate.prefill_tokens_per_s, u),
                         "usd_per_m_output": usd_per_million(hour, estimate.decode_tokens_per_s, u)})


def api_break_even(estimate: ServingEstimate, s: ServingInputs, api_prices: pd.DataFrame) -> pd.DataFrame:
    """Per API model: its monthly bill at this load vs the self-hosted fleet, and the break-even volume.

    Self-hosting costs a replica-day per replica; an API costs a blended $/token at the same mix. With one
    replica serving up to V₁ = 86,400 / (peak factor × seconds per token) tokens a day, the break-even is
    V* = replica-day $ ÷ API $/token if V* ≤ V₁ (above it self-hosting is cheaper, except just after a new
    replica is added); otherwise the API is always cheaper.
    """
    share_in = s.prompt_tokens / (s.prompt_tokens + s.output_tokens)
    api = (share_in * api_prices["usd_per_m_input"].to_numpy(float)
           + (1 - share_in) * api_prices["usd_per_m_output"].to_numpy(float)) / 1e6
    seconds_per_token = share_in / estimate.prefill_tokens_per_s + (1 - share_in) / estimate.decode_tokens_per_s
    one_replica = SECONDS_PER_DAY / (s.peak_factor * seconds_per_token)
    with np.errstate(divide="ignore"):
        v_star = estimate.replica_day_usd / api
    break_even = np.where(v_star <= one_replica, v_star, np.nan)
    return pd.DataFrame({
        "provider": api_prices["provider"].to_numpy(), "model": api_prices["model"].to_numpy(),
        "api_usd_per_m_blended": api * 1e6, "api_monthly_usd": api * estimate.monthly_tokens,
        "self_host_monthly_usd": estimate.monthly_usd, "break_even_tokens_per_day": break_even,
        "as_of": api_prices["as_of"].to_numpy(), "source": api_prices["source"].to_numpy(),
    })
