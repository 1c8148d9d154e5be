"""The market document: its schema, its validation and its defaults.

The market document is one JSON object per workspace (table ``workspace_document``, kind "market"). Like a
revenue scenario (``analytics.revenue.spec``) it is checked field by field: an unknown key, a negative amount or
a share above 1 is refused with a ``MarketError`` naming the field by its path (``sizing.bottom_up.filters[1]
.share``). The documents' own content (classification, canvas prompts, pillars, challenges and opportunities)
lives in ``analytics/data/market_reference.json`` (read by ``analytics.market_docs``): the document holds only
the workspace's answers to it, keyed by the reference's ids, so a key the reference lacks is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analytics.market_docs import canvas_ids, pillar_factor_ids, swot_item_ids

MARKET_VERSION = 1
PRICINGS = ("per_token", "per_seat", "other")
BUSINESS_TYPES = ("", "product", "service", "platform")


class MarketError(ValueError):
    """A market-document field is wrong; ``path`` names it and the message says why."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path


@dataclass(frozen=True)
class Num:
    default: float | None
    lo: float = 0.0
    hi: float = math.inf
    integer: bool = False
    nullable: bool = False  # None means "not entered yet"


@dataclass(frozen=True)
class Text:
    default: str | None = ""
    choices: tuple[str, ...] = ()
    max_len: int = 4000


@dataclass(frozen=True)
class Flag:
    default: bool


@dataclass(frozen=True)
class Texts:
    """A list of short texts (canvas entries, own SWOT lines)."""

    max_items: int = 50


@dataclass(frozen=True)
class Many:
    schema: dict[str, Any]
    max_items: int = 200


Schema = dict[str, Any]
SHARE = {"lo": 0.0, "hi": 1.0}
FILTER: Schema = {"name": Text(None, max_len=200), "share": Num(None, **SHARE)}
TOP_DOWN: Schema = {
    # A published total (an industry report): cite where it comes from and when.
    "total_market_usd": Num(None, nullable=True), "source": Text(""), "as_of": Text("", max_len=40),
    "filters": Many(FILTER, 20), "som_share": Num(None, **SHARE, nullable=True),
}
BOTTOM_UP: Schema = {
    "buyer": Text("buyers", max_len=200), "buyers": Num(None, nullable=True),
    "annual_revenue_per_buyer_usd": Num(None, nullable=True), "source": Text(""),
    # SAM filters: product fit, geography, language, regulation, channel (REFERENCE B4.1).
    "filters": Many(FILTER, 20), "som_share": Num(None, **SHARE, nullable=True),
    # Optional go-to-market capacity: the SOM cannot exceed the deals the sales team can close in the horizon.
    "reps": Num(None, nullable=True), "deals_per_rep_per_year": Num(None, nullable=True),
}
SIZING: Schema = {"horizon_months": Num(36, lo=24, hi=36, integer=True), "top_down": TOP_DOWN, "bottom_up": BOTTOM_UP}
COMPETITOR: Schema = {
    "name": Text(None, max_len=200), "offering": Text(""), "pricing": Text("per_token", PRICINGS),
    # A public API model (analytics/data/api_prices.csv): its dated prices are read from there, not typed.
    "api_model": Text("", max_len=120),
    "price_per_m_input": Num(None, nullable=True), "price_per_m_output": Num(None, nullable=True),
    "price_per_seat_month": Num(None, nullable=True), "quality": Num(None, hi=100.0, nullable=True),
    "strengths": Text(""), "weaknesses": Text(""), "source": Text(""), "as_of": Text("", max_len=40),
}
OWN: Schema = {"name": Text("Us", max_len=200), "quality": Num(None, hi=100.0, nullable=True)}
BUSINESS_MODEL: Schema = {"type": Text("", BUSINESS_TYPES), "rationale": Text("")}
SWOT_ITEM: Schema = {"applies": Flag(True), "note": Text("")}


def _schema() -> Schema:
    pillars = {p: {f: Num(None, lo=1, hi=5, integer=True, nullable=True) for f in fs}
               for p, fs in pillar_factor_ids().items()}
    swot: Schema = {"items": {i: SWOT_ITEM for i in swot_item_ids()},
                    **{q: Texts() for q in ("strengths", "weaknesses", "opportunities", "threats")}}
    return {
        "version": Num(MARKET_VERSION, lo=1, hi=MARKET_VERSION, integer=True), "notes": Text(""),
        # The positioning's quality score (0–100) and the output-token share its blended $/1M uses.
        "quality_metric": Text("quality score (0–100)", max_len=200), "output_share": Num(0.25, **SHARE),
        "sizing": SIZING, "own": OWN, "competitors": Many(COMPETITOR),
        "business_model": BUSINESS_MODEL, "canvas": {b: Texts() for b in canvas_ids()},
        "pillars": pillars, "swot": swot,
    }


def _check(raw: Any, spec: Any, path: str) -> Any:
    if isinstance(spec, dict):
        if not isinstance(raw, dict):
            raise MarketError(path, f"must be an object (got {type(raw).__name__})")
        unknown = sorted(set(raw) - set(spec))
        if unknown:
            where = f"{path}.{unknown[0]}" if path else unknown[0]
            raise MarketError(where, f"unknown key; expected one of {', '.join(sorted(spec))}")
        out = {}
        for key, sub in spec.items():
            where = f"{path}.{key}" if path else key
            if key in raw:
                out[key] = _check(raw[key], sub, where)
            elif isinstance(sub, dict):
                out[key] = _check({}, sub, where)
            elif isinstance(sub, Many | Texts):
                out[key] = []
            elif getattr(sub, "default", None) is None and not getattr(sub, "nullable", False):
                raise MarketError(where, "is required")
            else:
                out[key] = sub.default
        return out
    if isinstance(spec, Num):
        if raw is None and spec.nullable:
            return None
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            raise MarketError(path, f"must be a number (got {raw!r})")
        if spec.integer and float(raw) != int(raw):
            raise MarketError(path, f"must be a whole number (got {raw!r})")
        if not spec.lo <= raw <= spec.hi:
            bound = f"between {spec.lo:g} and {spec.hi:g}" if math.isfinite(spec.hi) else f"at least {spec.lo:g}"
            raise MarketError(path, f"must be {bound} (got {raw!r})")
        return int(raw) if spec.integer else float(raw)
    if isinstance(spec, Text):
        if not isinstance(raw, str):
            raise MarketError(path, f"must be text (got {raw!r})")
        if spec.choices and raw not in spec.choices:
            raise MarketError(path, f"must be one of {', '.join(c or '(none)' for c in spec.choices)} (got {raw!r})")
        if len(raw) > spec.max_len:
            raise MarketError(path, f"must be at most {spec.max_len} characters (got {len(raw)})")
        return raw
    if isinstance(spec, Flag):
        if not isinstance(raw, bool):
            raise MarketError(path, f"must be true or false (got {raw!r})")
        return raw
    if isinstance(spec, Texts):
        if not isinstance(raw, list) or len(raw) > spec.max_items:
            raise MarketError(path, f"must be a list of at most {spec.max_items} texts")
        return [_check(x, Text(None, max_len=1000), f"{path}[{i}]") for i, x in enumerate(raw)]
    if isinstance(spec, Many):
        if not isinstance(raw, list) or len(raw) > spec.max_items:
            raise MarketError(path, f"must be a list of at most {spec.max_items} items")
        return [_check(x, spec.schema, f"{path}[{i}]") for i, x in enumerate(raw)]
    raise TypeError(spec)


def parse_market(raw: Any, api: pd.DataFrame | None = None) -> dict[str, Any]:
    """The document checked and normalised (defaults filled); ``MarketError`` names the first wrong field.

    With ``api`` (the public price table) a competitor's ``api_model`` must be one of its models."""
    if not isinstance(raw, dict):
        raise MarketError("", "a market document must be a JSON object")
    doc = _check(raw, _schema(), "")
    names: set[str] = set()
    known = set(api["model"]) if api is not None else None
    for i, c in enumerate(doc["competitors"]):
        where = f"competitors[{i}]"
        if not c["name"].strip():
            raise MarketError(f"{where}.name", "is required")
        if c["name"].strip().lower() in names:
            raise MarketError(f"{where}.name", f"{c['name']!r} is listed twice")
        names.add(c["name"].strip().lower())
        if c["api_model"] and known is not None and c["api_model"] not in known:
            raise MarketError(f"{where}.api_model", f"{c['api_model']!r} is not in the public API price table")
        if c["pricing"] == "per_token" and not c["api_model"]:
            for key in ("price_per_m_input", "price_per_m_output"):
                if c[key] is None:
                    raise MarketError(f"{where}.{key}", "is required for per-token pricing (or name an api_model)")
        if c["pricing"] == "per_seat" and c["price_per_seat_month"] is None:
            raise MarketError(f"{where}.price_per_seat_month", "is required for per-seat pricing")
    return doc


def empty_market() -> dict[str, Any]:
    """A new workspace's document: every section present, nothing entered."""
    return parse_market({})
