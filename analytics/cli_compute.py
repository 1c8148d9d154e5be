"""``python -m analytics compute train|serve …`` — training and serving cost from the bundled catalogue.

    python -m analytics compute train --params 7e9 --tokens 1e12 --gpu h100-sxm [--gpus 64] [--mfu 0.4] \
        [--price 2.5 | --kind on_demand|reserved|spot] [--precision bf16|fp16|fp8|fp32] [--seq-len 2048] \
        [--layers 32 --d-model 4096] [--no-attention] --json
    python -m analytics compute serve --params 8e9 --gpu h100-sxm --tokens-per-day 1e9 [--precision fp8] \
        [--measured-tps 3400] [--batch 32] [--prompt-tokens 1000] [--output-tokens 250] [--peak-factor 2] \
        [--layers 32] [--kv-heads 8] [--head-dim 128] [--kind spot] --json

Every figure is printed (JSON with ``--json``). Training FLOPs are 6·N·D plus the attention term 12·L·d·s per
token by default (shape inferred from the parameters unless ``--layers``/``--d-model`` are given); the issue's
worked example 7B × 1T tokens = 4.2e22 FLOPs is ``--no-attention``. ``--precision`` (default bf16) picks the
catalogue's dense peak: fp16 uses the bf16/fp16 column (the same tensor-core figure on every catalogue GPU), fp8
the fp8 column (and, for serving, 1-byte weights), fp32 the fp32 column (4-byte weights and KV cache when
serving). ``--kind`` picks which catalogue prices (on-demand by default). Serving prints two $/1M figures: one
replica at ``--utilisation`` and the fleet sized for the load (``fleet_…``: × monthly tokens = ``monthly_usd``).
A refusal (unknown GPU, a precision the GPU has no peak for, a zero or negative size, MFU outside (0, 1], a GPU
without a catalogue price of the kind and no ``--price``, a number outside 1e-9 to 1e24 in magnitude, an unknown
or abbreviated flag) is one line on stderr naming the flag, and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from analytics.gpu_catalogue import PRICE_KINDS, CatalogueError, default_mfu, gpu, model_class, price_range
from analytics.serving_cost import ServingInputs, estimate_serving
from analytics.training_cost import EstimateError, TrainingInputs, estimate_training

# --precision → (catalogue peak column, bytes per weight when serving, bytes per KV-cache element when serving).
# The KV cache stays 2-byte under fp8, as on the page (fp8 KV caches are an engine option, not a default).
PRECISIONS = {"bf16": ("bf16", 2.0, 2.0), "fp16": ("bf16", 2.0, 2.0), "fp8": ("fp8", 1.0, 2.0),
              "fp32": ("fp32", 4.0, 4.0)}


MIN_MAGNITUDE, MAX_MAGNITUDE = 1e-9, 1e24


class _RefusalError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # No abbreviations: `serve --token 1e9` silently meaning --tokens-per-day is a typo accepted, not a flag.
        super().__init__(*args, allow_abbrev=False, **kwargs)

    def error(self, message: str) -> None:  # one line and exit 2, like every refusal of the CLI
        raise _RefusalError(message)


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    # Products of a few inputs must stay finite and non-zero in a double: 1e300 parameters made the FLOPs inf
    # and the JSON "Infinity". Real inputs sit far inside (1e-9 MFU or 1e24 tokens are already typos).
    if value != 0 and not MIN_MAGNITUDE <= abs(value) <= MAX_MAGNITUDE:
        raise argparse.ArgumentTypeError(f"{text!r} is outside {MIN_MAGNITUDE:g} to {MAX_MAGNITUDE:g} "
                                         "(is the unit right?)")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m analytics compute", description="training and serving cost estimates")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    train = sub.add_parser("train", help="FLOPs, GPU-hours, wall-clock time, memory and cost low/base/high")
    train.add_argument("--params", type=_number, required=True, help="total parameters, e.g. 7e9")
    train.add_argument("--active-params", type=_number, help="mixture-of-experts: active parameters per token")
    train.add_argument("--tokens", type=_number, required=True, help="training tokens, e.g. 1e12")
    train.add_argument("--gpu", required=True, help="catalogue key, e.g. h100-sxm")
    train.add_argument("--gpus", type=_number, default=8.0, help="GPUs in the cluster (default 8)")
    train.add_argument("--mfu", type=_number, help="model FLOPs utilisation in (0, 1] (default: by GPU and size)")
    train.add_argument("--price", type=_number, help="$/GPU-hour (default: catalogue median of --kind)")
    _kind(train)
    train.add_argument("--precision", choices=list(PRECISIONS), default="bf16",
                       help="peak used: bf16 (default), fp16 (= bf16 peak), fp8, fp32 (dense, from the catalogue)")
    train.add_argument("--seq-len", type=_number, default=2048.0, help="sequence length in tokens (default 2048)")
    train.add_argument("--layers", type=_number, help="transformer layers (default: inferred from the parameters)")
    train.add_argument("--d-model", type=_number, help="model width (default: 128 × layers)")
    train.add_argument("--no-attention", action="store_true",
                       help="6·N·D only, without the 12·L·d·s attention FLOPs per token (the default adds them)")
    train.add_argument("--json", action="store_true", help="print JSON")
    serve = sub.add_parser("serve", help="tokens/s, $ per 1M input/output tokens and GPUs for a daily load")
    serve.add_argument("--params", type=_number, required=True, help="total parameters, e.g. 8e9")
    serve.add_argument("--active-params", type=_number, help="mixture-of-experts: active parameters per token")
    serve.add_argument("--gpu", required=True, help="catalogue key, e.g. h100-sxm")
    serve.add_argument("--tokens-per-day", type=_number, required=True, help="input + output tokens a day")
    serve.add_argument("--gpus-per-replica", type=_number, default=1.0, help="tensor-parallel GPUs per replica")
    serve.add_argument("--utilisation", type=_number, default=0.5, help="busy share of paid hours (default 0.5)")
    serve.add_argument("--price", type=_number, help="$/GPU-hour (default: catalogue median of --kind)")
    _kind(serve)
    serve.add_argument("--precision", choices=list(PRECISIONS), default="bf16",
                       help="peak and weight bytes: bf16/fp16 (2 B), fp8 (1 B), fp32 (4 B)")
    serve.add_argument("--measured-tps", type=_number, help="measured decode tokens/s per replica (replaces the "
                                                            "roofline)")
    serve.add_argument("--batch", type=_number, default=32.0, help="concurrent sequences per replica (default 32, "
                                                                   "capped by memory)")
    serve.add_argument("--prompt-tokens", type=_number, default=1000.0, help="prompt tokens per request")
    serve.add_argument("--output-tokens", type=_number, default=250.0, help="output tokens per request")
    serve.add_argument("--peak-factor", type=_number, default=2.0, help="peak ÷ average load (default 2, ≥ 1)")
    serve.add_argument("--layers", type=_number, help="transformer layers (default: inferred from the parameters)")
    serve.add_argument("--kv-heads", type=_number, default=8.0, help="KV heads (grouped-query attention, default 8)")
    serve.add_argument("--head-dim", type=_number, default=128.0, help="size of one attention head (default 128)")
    serve.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _kind(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kind", choices=list(PRICE_KINDS), default="on_demand",
                        help="which catalogue prices: on_demand (default), reserved or spot")


def _count(name: str, value: float) -> int:
    if value <= 0 or value != int(value):
        raise EstimateError(f"'{name}' must be a positive whole number, got {value:g}")
    return int(value)


def _optional_count(name: str, value: float | None) -> int | None:
    return None if value is None else _count(name, value)


def _price(args: argparse.Namespace) -> tuple[float, float, float]:
    if args.price is not None:
        if args.price <= 0:
            raise EstimateError(f"'price' must be a positive number, got {args.price:g}")
        return args.price, args.price, args.price
    found = price_range(args.gpu, kind=args.kind)
    if found is None:
        raise EstimateError(f"the catalogue has no {args.kind} price for {args.gpu!r}: pass --price ($/GPU-hour) "
                            "or another --kind")
    return found.low, found.base, found.high


def _precision_notes(precision: str, default_mfu_used: bool) -> list[dict[str, str]]:
    """What the chosen precision changes and what it does not (shown with the other assumptions)."""
    notes = []
    if precision == "fp16":
        notes.append({"assumption": "fp16 peak", "value": "the catalogue's bf16/fp16 dense column",
                      "source": "analytics/data/README.md (bf16 and fp16 dense tensor peaks are equal)"})
    if precision == "fp32":
        notes.append({"assumption": "fp32 memory", "value": "states 16 B/param as for mixed-precision Adam; "
                      "activations counted at 2 B (fp32 needs about twice that)",
                      "source": "analytics/training_cost.py (Korthikanti et al. 2022 assume 16-bit activations)"})
        if default_mfu_used:
            notes.append({"assumption": "fp32 MFU", "value": "the bf16 range applied to the fp32 peak (no published "
                          "fp32 MFU in REFERENCE A3/A4): pass --mfu with a measured figure", "source": "assumed"})
    return notes


def train(args: argparse.Namespace) -> dict[str, Any]:
    """Every training figure as a JSON-ready dict (units in the key names)."""
    chip = gpu(args.gpu)
    if args.params <= 0:
        raise EstimateError(f"'params' must be a positive number, got {args.params:g}")
    n_gpus = _count("gpus", args.gpus)
    low_price, base_price, high_price = _price(args)
    column = PRECISIONS[args.precision][0]
    chip.peak_flops(column)  # refuses before any arithmetic when the GPU has no peak at this precision
    default = default_mfu(chip.key, model_class(args.params), column)
    mfu = args.mfu if args.mfu is not None else default.base
    low, high = (mfu, mfu) if args.mfu is not None else (default.low, default.high)
    inputs = TrainingInputs(params=args.params, active_params=args.active_params, tokens=args.tokens, n_gpus=n_gpus,
                            mfu=mfu, mfu_low=low, mfu_high=high, price=base_price, price_low=low_price,
                            price_high=high_price, precision=column, seq_len=_count("seq-len", args.seq_len),
                            n_layers=_optional_count("layers", args.layers),
                            d_model=_optional_count("d-model", args.d_model), attention=not args.no_attention)
    e = estimate_training(inputs, chip)
    mem = {"weights": e.memory.weights_gb, "gradients": e.memory.grads_gb, "optimiser": e.memory.optimiser_gb}
    return {
        "gpu": chip.key, "precision": args.precision, "gpus": n_gpus, "flops": e.flops, "flops_method": e.flops_method,
        "seq_len": inputs.seq_len, "attention": inputs.attention, "layers": e.n_layers, "d_model": e.d_model,
        "price_kind": args.kind if args.price is None else "input",
        "tokens_per_s_per_gpu": e.units_per_s_per_gpu, "tokens_per_s_cluster": e.units_per_s_per_gpu * n_gpus,
        "mfu": {"low": low, "base": mfu, "high": high}, "price_usd_per_gpu_hour": {
            "low": low_price, "base": base_price, "high": high_price},
        "gpu_hours": e.gpu_hours, "billed_gpu_hours": e.billed_gpu_hours, "wall_clock_hours": e.wall_clock_hours,
        "wall_clock_days": e.wall_clock_days,
        "cost_usd": {"low": e.cost_low_usd, "base": e.cost_base_usd, "high": e.cost_high_usd},
        "memory_gb_per_gpu": {**mem, "activations": e.memory.activations_gb, "overhead": e.memory.overhead_gb,
                              "total": e.memory.total_gb},
        "memory_gb_per_gpu_recompute": {**mem, "activations": e.memory_recompute.activations_gb,
                                        "overhead": e.memory_recompute.overhead_gb,
                                        "total": e.memory_recompute.total_gb},
        "min_gpus": e.memory.min_gpus, "min_gpus_recompute": e.memory_recompute.min_gpus, "fits": e.fits,
        "storage_gb": e.storage_gb, "storage_usd": e.storage_usd,
        "assumptions": [*e.assumptions, *_precision_notes(args.precision, args.mfu is None)],
    }


def serve(args: argparse.Namespace) -> dict[str, Any]:
    """Every serving figure as a JSON-ready dict (units in the key names)."""
    chip = gpu(args.gpu)
    column, weight_bytes, kv_bytes = PRECISIONS[args.precision]
    chip.peak_flops(column)
    _, price, _ = _price(args)
    inputs = ServingInputs(params=args.params, active_params=args.active_params, tokens_per_day=args.tokens_per_day,
                           gpus_per_replica=_count("gpus-per-replica", args.gpus_per_replica),
                           utilisation=args.utilisation, price=price, weight_bytes=weight_bytes, kv_bytes=kv_bytes,
                           measured_output_tps=args.measured_tps, batch_size=_count("batch", args.batch),
                           prompt_tokens=_count("prompt-tokens", args.prompt_tokens),
                           output_tokens=_count("output-tokens", args.output_tokens), peak_factor=args.peak_factor,
                           n_layers=_optional_count("layers", args.layers),
                           n_kv_heads=_count("kv-heads", args.kv_heads), head_dim=_count("head-dim", args.head_dim))
    if args.measured_tps is not None and args.measured_tps <= 0:
        raise EstimateError(f"'measured-tps' must be a positive number, got {args.measured_tps:g}")
    e = estimate_serving(inputs, chip, precision=column)
    return {
        "gpu": chip.key, "precision": args.precision, "price_usd_per_gpu_hour": price,
        "price_kind": args.kind if args.price is None else "input", "weights_gb": e.weights_gb,
        "layers": e.n_layers, "kv_cache_bytes_per_token": e.kv_bytes_per_token, "batch": e.batch,
        "max_batch": e.max_batch, "bound": e.bound, "prefill_bound": e.prefill_bound,
        "decode_tokens_per_s": e.decode_tokens_per_s, "prefill_tokens_per_s": e.prefill_tokens_per_s,
        # One replica busy --utilisation of its paid hours (the textbook $/h ÷ (tokens/s × 3600 × u) × 1e6) ...
        "utilisation": args.utilisation, "usd_per_m_input_tokens": e.usd_per_m_input,
        "usd_per_m_output_tokens": e.usd_per_m_output, "usd_per_m_tokens_blended": e.usd_per_m_blended,
        # ... and the fleet sized for the load at its own utilisation: these × monthly tokens = monthly_usd.
        "replicas": e.replicas, "gpus": e.gpus, "fleet_utilisation": e.fleet_utilisation,
        "fleet_usd_per_m_input_tokens": e.fleet_usd_per_m_input,
        "fleet_usd_per_m_output_tokens": e.fleet_usd_per_m_output,
        "fleet_usd_per_m_tokens_blended": e.fleet_usd_per_m_blended, "monthly_tokens": e.monthly_tokens,
        "monthly_usd": e.monthly_usd, "assumptions": e.assumptions,
    }


def _text(result: dict[str, Any], prefix: str = "") -> list[str]:
    lines = []
    for key, value in result.items():
        if key == "assumptions":
            continue
        if isinstance(value, dict):
            lines += _text(value, f"{prefix}{key}.")
        else:
            lines.append(f"{prefix}{key}: {value:,.4g}" if isinstance(value, float) else f"{prefix}{key}: {value}")
    return lines


def _attach_negatives(argv: list[str]) -> list[str]:
    """``--params -7e9`` → ``--params=-7e9``: argparse would read ``-7e9`` as an option, not a value to refuse."""
    out: list[str] = []
    for arg in argv:
        if out and out[-1].startswith("--") and "=" not in out[-1] and arg.startswith("-"):
            try:
                float(arg)
            except ValueError:
                pass
            else:
                out[-1] = f"{out[-1]}={arg}"
                continue
        out.append(arg)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run ``train`` or ``serve``; 0 on success, 2 with one line on stderr on any refusal."""
    try:
        args = _parser().parse_args(_attach_negatives(list(sys.argv[1:] if argv is None else argv)))
        result = train(args) if args.command == "train" else serve(args)
    except (_RefusalError, EstimateError, CatalogueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2) if args.json else "\n".join(_text(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
