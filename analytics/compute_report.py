"""One call for the Compute cost page: training + serving + memory + charts + assumptions.

:func:`build_report` takes the page's form (:class:`CostRequest`), the GPU catalogue merged with the
workspace's rows, the price tables and, optionally, a measured benchmark run to calibrate with. A bad
input for one half (say, a serving model that does not fit) is reported for that half only.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from analytics.calibration import MeasuredRun, calibrate
from analytics.gpu_catalogue import (
    CatalogueError,
    MfuDefault,
    PriceRange,
    default_mfu,
    gpu,
    merge_prices,
    model_class,
    price_range,
)
from analytics.serving_cost import (
    ServingEstimate,
    ServingInputs,
    api_break_even,
    cost_vs_utilisation,
    estimate_serving,
)
from analytics.training_cost import EstimateError, TrainingEstimate, TrainingInputs, estimate_training, sweep_training

MFU_GRID = np.round(np.arange(0.10, 0.701, 0.02), 2)


@dataclass(frozen=True)
class CostRequest:
    """The page's form. ``None`` means "use the catalogue default" (MFU by GPU and size, price by GPU)."""

    gpu: str = "h100-sxm"
    precision: str = "bf16"
    params: float = 7e9  # illustrative: a 7B model
    active_params: float | None = None
    tokens: float = 1e12  # illustrative: 1T tokens
    n_gpus: int = 64
    mfu: float | None = None
    price: float | None = None
    price_kind: str = "on_demand"  # on_demand / reserved / spot: which catalogue rows price the run
    seq_len: int = 2048
    n_layers: int | None = None  # the model's shape; None: inferred from the (active) parameters
    d_model: int | None = None
    attention: bool = True  # add the 12·L·d·s attention FLOPs per token to 6·N
    failure_overhead: float = 0.10
    serve_params: float | None = None  # None: serve the model being trained
    tokens_per_day: float = 1e9  # illustrative
    gpus_per_replica: int = 1
    batch_size: int = 32
    prompt_tokens: int = 1_000
    output_tokens: int = 250
    utilisation: float = 0.5
    peak_factor: float = 2.0
    measured_output_tps: float | None = None
    n_kv_heads: int = 8  # served model's KV heads (grouped-query attention) and head size: its KV cache per token
    head_dim: int = 128
    use_measured_mfu: bool = False  # calibration: carry a CPU-measured MFU over to the target GPU anyway


@dataclass(frozen=True)
class CostReport:
    request: CostRequest
    gpu_name: str
    mfu: MfuDefault  # the MFU range used (default, input or measured)
    price: PriceRange  # the $/GPU-hour range used
    training: TrainingEstimate | None
    training_error: str | None
    serving: ServingEstimate | None
    serving_error: str | None
    cost_vs_mfu: pd.DataFrame  # mfu, cost_usd, wall_clock_days
    cost_vs_gpu: pd.DataFrame  # gpu, name, mfu, price, cost_usd, wall_clock_days
    memory: pd.DataFrame  # per GPU: case × part → GB, and the GPU's memory
    serving_curve: pd.DataFrame  # utilisation, usd_per_m_input, usd_per_m_output
    break_even: pd.DataFrame  # per API model
    assumptions: pd.DataFrame  # assumption, value, source
    provenance: pd.DataFrame | None  # calibration: figure, value, status, note
    calibration_note: str | None = None  # where a calibrated run's MFU comes from (another device, a CPU, …)
    calibration_basis: str | None = None  # analytics.calibration.Calibration.mfu_basis
    unit: str = "token"  # what the training count is in: "token", or "sample" for a sample-based run


def _price(key: str, prices: pd.DataFrame, given: float | None, kind: str) -> PriceRange:
    if given is not None:
        return PriceRange(given, given, given, "input")
    found = price_range(key, prices, kind)
    if found is None:
        raise CatalogueError(f"no {kind.replace('_', '-')} $/GPU-hour for {key!r} in the catalogue: enter a price "
                             "(or add one under 'Your prices') or pick another price kind")
    return found


def _mfu(request: CostRequest) -> MfuDefault:
    if request.mfu is not None:
        return MfuDefault(request.mfu, request.mfu, request.mfu, "input")
    return default_mfu(request.gpu, model_class(request.params), request.precision)


def _cost_vs_gpu(request: CostRequest, gpus: pd.DataFrame, prices: pd.DataFrame, params: float) -> pd.DataFrame:
    """Every GPU with a price and a peak at the precision: base cost at its default MFU (one vectorised sweep).

    ``params`` is the effective N (FLOPs per token ÷ 6), so the bars agree with the main estimate.
    """
    of_kind = prices[prices["kind"] == request.price_kind].groupby("gpu")["usd_per_gpu_hour"].median()
    price = of_kind.reindex(gpus.index)
    peak = gpus[f"{request.precision}_tflops"].astype(float) * 1e12
    keep = price.notna().to_numpy() & (peak > 0).to_numpy()
    keys = gpus.index[keep]
    klass = model_class(request.params)
    mfu = np.array([default_mfu(k, klass, request.precision).base for k in keys])
    sweep = sweep_training(params=params, tokens=request.tokens, peak_flops=peak[keep].to_numpy(), mfu=mfu,
                           price=price[keep].to_numpy(), n_gpus=request.n_gpus,
                           overhead=request.failure_overhead + 0.02) if len(keys) else None
    if sweep is None:
        return pd.DataFrame(columns=["gpu", "name", "mfu", "price", "cost_usd", "wall_clock_days"])
    return pd.DataFrame({"gpu": keys, "name": gpus.loc[keys, "name"].to_numpy(), "mfu": mfu,
                         "price": price[keep].to_numpy(), "cost_usd": sweep["cost_usd"].to_numpy(),
                         "wall_clock_days": sweep["wall_clock_days"].to_numpy()}).sort_values("cost_usd")


def _memory_frame(t: TrainingEstimate, memory_gb: float) -> pd.DataFrame:
    cases = {"no recomputation": t.memory, "full recomputation": t.memory_recompute}
    return pd.DataFrame([{"case": case, "weights": m.weights_gb, "gradients": m.grads_gb, "optimiser": m.optimiser_gb,
                          "activations": m.activations_gb, "overhead": m.overhead_gb, "gpu_memory_gb": memory_gb,
                          "min_gpus": m.min_gpus} for case, m in cases.items()]).set_index("case")


def build_report(request: CostRequest, gpus: pd.DataFrame, prices: pd.DataFrame, api: pd.DataFrame,
                 run: MeasuredRun | None = None) -> CostReport:
    """Every figure of the Compute cost page. Raises :class:`CatalogueError` for an unknown GPU or no price."""
    chip = gpu(request.gpu, gpus)
    if "origin" not in prices.columns and "usd_per_gpu_hour" in gpus.columns:
        # A bare bundled table with workspace GPU rows that carry one price: the precedence lives in one place,
        # merge_prices (a table with ``origin`` is merged already).
        prices = merge_prices(prices, None, gpus)
    price = _price(request.gpu, prices, request.price, request.price_kind)
    mfu = _mfu(request)
    base = TrainingInputs(params=request.params, active_params=request.active_params, tokens=request.tokens,
                          n_gpus=request.n_gpus, precision=request.precision, mfu=mfu.base, mfu_low=mfu.low,
                          mfu_high=mfu.high, price=price.base, price_low=price.low, price_high=price.high,
                          seq_len=request.seq_len, failure_overhead=request.failure_overhead,
                          n_layers=request.n_layers, d_model=request.d_model, attention=request.attention)
    provenance = note = basis = None
    training = training_error = None
    try:
        if run is not None:
            calibrated = calibrate(run, base, chip, units=request.tokens, use_measured_mfu=request.use_measured_mfu)
            base, provenance = calibrated.inputs, pd.DataFrame(calibrated.provenance)
            note, basis = calibrated.mfu_note, calibrated.mfu_basis
            mfu = MfuDefault(base.mfu_low or base.mfu, base.mfu, base.mfu_high or base.mfu, "calibration")
        training = estimate_training(base, chip)
    except (EstimateError, CatalogueError) as exc:
        training_error = str(exc)
    same_model = request.serve_params is None  # the trained model's shape serves too; another model's is inferred
    serve_in = ServingInputs(params=request.serve_params or request.params, active_params=request.active_params
                             if same_model else None, n_layers=request.n_layers if same_model else None,
                             d_model=request.d_model if same_model else None, n_kv_heads=request.n_kv_heads,
                             head_dim=request.head_dim, gpus_per_replica=request.gpus_per_replica,
                             batch_size=request.batch_size, prompt_tokens=request.prompt_tokens,
                             output_tokens=request.output_tokens, utilisation=request.utilisation, price=price.base,
                             tokens_per_day=request.tokens_per_day, peak_factor=request.peak_factor,
                             measured_output_tps=request.measured_output_tps,
                             # fp8 serving stores the weights in fp8 too (1 byte per parameter).
                             weight_bytes=1.0 if request.precision == "fp8" else 2.0)
    serving = serving_error = None
    curve = pd.DataFrame(columns=["utilisation", "usd_per_m_input", "usd_per_m_output"])
    even = pd.DataFrame()
    try:
        serving = estimate_serving(serve_in, chip, precision="fp8" if request.precision == "fp8" else "bf16")
        curve = cost_vs_utilisation(serving, serve_in)
        even = api_break_even(serving, serve_in, api)
    except (EstimateError, CatalogueError) as exc:
        serving_error = str(exc)
    # Effective N (FLOPs per token ÷ 6, attention and calibration included) so the charts match the estimate.
    per_unit = training.flops / (6.0 * request.tokens) if training is not None else (
        request.active_params or request.params)
    if training is not None:
        sweep = sweep_training(params=per_unit, tokens=request.tokens, peak_flops=chip.peak_flops(request.precision),
                               mfu=MFU_GRID, price=price.base, n_gpus=request.n_gpus,
                               overhead=base.failure_overhead + base.checkpoint_overhead)
        by_mfu = sweep[["mfu", "cost_usd", "wall_clock_days"]]
        memory = _memory_frame(training, chip.memory_gb)
    else:
        by_mfu, memory = pd.DataFrame(columns=["mfu", "cost_usd", "wall_clock_days"]), pd.DataFrame()
    rows = [*(training.assumptions if training else []), *(serving.assumptions if serving else []),
            {"assumption": "MFU source", "value": f"{mfu.base:.0%}", "source": mfu.source},
            {"assumption": "price source", "value": f"${price.base:.2f}/GPU-hour "
             f"({request.price_kind.replace('_', '-')})", "source": price.source}]
    return CostReport(request=request, gpu_name=chip.name, mfu=mfu, price=price, training=training,
                      training_error=training_error, serving=serving, serving_error=serving_error,
                      cost_vs_mfu=by_mfu, cost_vs_gpu=_cost_vs_gpu(request, gpus, prices, per_unit), memory=memory,
                      serving_curve=curve, break_even=even, assumptions=pd.DataFrame(rows), provenance=provenance,
                      calibration_note=note, calibration_basis=basis,
                      unit=run.unit if run is not None else "token")


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def scenario_values(report: CostReport, *, name: str, private: bool = False, notes: str = "",
                    amortise_months: int | None = None) -> dict:
    """A cost scenario row for :func:`db.cost_scenarios.save_scenario`: inputs, figures and the real columns.

    ``amortise_months``: None books the training cost once; N spreads it over N months (the revenue engine
    reads ``training_cost_usd`` and ``training_amortise_months``).
    """
    t, s = report.training, report.serving
    kind = "both" if t and s else ("training" if t else "serving")
    results: dict = {"gpu_name": report.gpu_name, "mfu": asdict(report.mfu), "price": asdict(report.price)}
    if t is not None:
        results["training"] = {"flops": t.flops, "gpu_hours": t.gpu_hours, "billed_gpu_hours": t.billed_gpu_hours,
                               "wall_clock_days": t.wall_clock_days, "cost_low_usd": t.cost_low_usd,
                               "cost_base_usd": t.cost_base_usd, "cost_high_usd": t.cost_high_usd,
                               "min_gpus_recompute": t.memory_recompute.min_gpus,
                               "treatment": "one-off" if amortise_months is None else
                               f"amortised over {amortise_months} months",
                               "monthly_usd": None if not amortise_months or amortise_months < 1 else
                               t.cost_base_usd / amortise_months}
    if s is not None:
        # Both $/1M figures, named: the columns below hold the fleet's (what the fleet costs per token: COGS).
        results["serving"] = {
            "decode_tokens_per_s": s.decode_tokens_per_s, "bound": s.bound, "gpus": s.gpus,
            "prefill_tokens_per_s": s.prefill_tokens_per_s, "prefill_bound": s.prefill_bound,
            "monthly_usd": s.monthly_usd, "monthly_tokens": s.monthly_tokens,
            "fleet_utilisation": s.fleet_utilisation, "fleet_usd_per_m_input": s.fleet_usd_per_m_input,
            "fleet_usd_per_m_output": s.fleet_usd_per_m_output, "fleet_usd_per_m_blended": s.fleet_usd_per_m_blended,
            "utilisation": report.request.utilisation, "usd_per_m_input_at_utilisation": s.usd_per_m_input,
            "usd_per_m_output_at_utilisation": s.usd_per_m_output}
    return {"name": name, "kind": kind, "gpu": report.request.gpu, "inputs": asdict(report.request),
            "results": results, "private": private, "notes": notes,
            "serving_usd_per_m_input": _finite(s.fleet_usd_per_m_input) if s else None,
            "serving_usd_per_m_output": _finite(s.fleet_usd_per_m_output) if s else None,
            "training_cost_usd": _finite(t.cost_base_usd) if t else None,
            "training_amortise_months": amortise_months if t else None}
