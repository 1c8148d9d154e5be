"""The scenario file: its schema, its validation and its parsing into inputs the engines read.

One JSON document (``python -m analytics revenue FILE.json`` reads it; the Revenue page saves it). Every
number may be a point or a range (``analytics.revenue.values``). A malformed file is refused with a
``SpecError`` naming the field by its path, e.g. ``streams[0].tiers[1].up_to_m_tokens``. The schema below is
the documentation: each field says its default, its bounds and, in the comments, its unit.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from analytics.revenue.values import DISTRIBUTIONS, Value

SPEC_VERSION = 1
TRACKER_SOURCE = "tracker"  # the ``source`` of opex lines and rounds the app derives from the workspace
OPEN_ENDED = 1e12  # M tokens: the last tier's null edge, beyond any customer's month


class SpecError(ValueError):
    """A scenario field is wrong; ``path`` names it (``streams[1].churn_monthly``) and the message says why."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path


@dataclass(frozen=True)
class Num:
    """A number field (point or range) with its default and bounds; ``int`` fields take whole numbers only."""

    default: float | None
    lo: float = 0.0
    hi: float = math.inf
    integer: bool = False
    ranged: bool = True  # False: a point only (horizons, months of an event)


@dataclass(frozen=True)
class Text:
    default: str | None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Flag:
    default: bool


@dataclass(frozen=True)
class Series:
    """A list of monthly amounts (USD), one per month from the start month; shorter lists repeat their last value."""

    default: tuple[float, ...] = ()


@dataclass(frozen=True)
class Streams:
    """The list of revenue streams: each checked against the schema of its ``kind``."""


@dataclass(frozen=True)
class Many:
    """A list of objects of one schema; ``rising`` names a field that must increase along the list."""

    schema: dict[str, Any]
    rising: str | None = None
    min_items: int = 0


Schema = dict[str, Any]
SHARE = {"lo": 0.0, "hi": 1.0}

TIER = {"up_to_m_tokens": Num(None, lo=0.0, ranged=False), "discount": Num(0.0, **SHARE)}
MAAS: Schema = {
    "kind": Text("maas"), "name": Text("API"),
    # List prices per 1M tokens; cached input is billed at cached_price_factor × the input price.
    "price_per_m_input": Num(None), "price_per_m_output": Num(None),
    "cached_input_share": Num(0.0, **SHARE), "cached_price_factor": Num(0.1, **SHARE),
    "batch_share": Num(0.0, **SHARE), "batch_discount": Num(0.5, **SHARE),
    # Volume discounts on a customer's monthly tokens (M tokens): graduated or volume tiers, the last open-ended.
    "tier_mode": Text("graduated", ("graduated", "volume")), "tiers": Many(TIER, rising="up_to_m_tokens"),
    # Committed-use contracts: a share of customers pays a monthly minimum for a discount; usage above it is overage.
    "commit_share": Num(0.0, **SHARE), "commit_usd_per_month": Num(0.0), "commit_discount": Num(0.0, **SHARE),
    "customers_start": Num(0.0), "new_customers_per_month": Num(0.0),
    "new_customers_growth": Num(0.0, lo=-1.0, hi=10.0),
    "churn_monthly": Num(0.0, **SHARE), "reactivation_monthly": Num(0.0, **SHARE),
    # Usage per customer (M tokens a month) is lognormal: median and σ of its log; it grows with calendar time.
    "usage_median_m_tokens": Num(None), "usage_sigma": Num(1.0, hi=4.0), "output_share": Num(0.25, **SHARE),
    "usage_growth_monthly": Num(0.0, lo=-1.0, hi=10.0),
    # Serving cost per 1M tokens (a saved cost scenario's fleet figures; the app fills them from its name).
    "cost_scenario": Text(""), "serving_usd_per_m_input": Num(0.0), "serving_usd_per_m_output": Num(0.0),
    "cached_cost_factor": Num(0.25, **SHARE), "hosting_usd_per_month": Num(0.0), "support_share": Num(0.0, **SHARE),
    "cac_usd": Num(0.0),
}
SAAS_TIER = {"name": Text(None), "price_per_seat": Num(None), "accounts_start": Num(0.0),
             "new_accounts_per_month": Num(0.0), "seats_per_account": Num(1.0, lo=1.0)}
SAAS: Schema = {
    "kind": Text("saas"), "name": Text("SaaS"), "tiers": Many(SAAS_TIER, min_items=1),
    "new_accounts_growth": Num(0.0, lo=-1.0, hi=10.0), "logo_churn_monthly": Num(0.0, **SHARE),
    # Seats per surviving account grow (expansion) or shrink (contraction) by these monthly rates, with age.
    "seat_expansion_monthly": Num(0.0, hi=1.0), "seat_contraction_monthly": Num(0.0, **SHARE),
    "annual_share": Num(0.0, **SHARE), "annual_discount": Num(0.0, **SHARE),
    "active_seat_share": Num(1.0, **SHARE), "m_tokens_per_active_seat": Num(0.0),
    "cost_scenario": Text(""), "serving_usd_per_m_tokens": Num(0.0),
    "hosting_usd_per_seat": Num(0.0), "support_share": Num(0.0, **SHARE), "cac_usd": Num(0.0),
}
PLAN = {"name": Text(None), "price_monthly": Num(None), "mix": Num(None, **SHARE)}
CHANNEL = {"name": Text(None), "signups_per_month": Num(0.0), "growth_monthly": Num(0.0, lo=-1.0, hi=10.0),
           "cac_usd": Num(0.0)}
SUBSCRIPTION: Schema = {
    "kind": Text("subscription"), "name": Text("Subscription"), "plans": Many(PLAN, min_items=1),
    "channels": Many(CHANNEL, min_items=1), "subscribers_start": Num(0.0),
    # Churn: a constant monthly rate, or a shifted-beta-geometric retention curve (α, β; mean churn α/(α+β)).
    "churn_model": Text("constant", ("constant", "sbg")), "churn_monthly": Num(0.05, **SHARE),
    "sbg_alpha": Num(1.0, lo=1e-3), "sbg_beta": Num(10.0, lo=1e-3), "reactivation_monthly": Num(0.0, **SHARE),
    "usage_median_m_tokens": Num(0.0), "usage_sigma": Num(1.0, hi=4.0),
    "cost_scenario": Text(""), "serving_usd_per_m_tokens": Num(0.0),
    "payment_fee_share": Num(0.0, **SHARE), "support_share": Num(0.0, **SHARE),
}
UNITS: Schema = {
    "kind": Text("units"), "name": Text("Other"),
    "category": Text("licence", ("licence", "services", "device", "advertising", "other")),
    "units_per_month": Num(0.0), "growth_monthly": Num(0.0, lo=-1.0, hi=10.0),
    "start_month": Num(0, integer=True, ranged=False),
    "price_usd": Num(None), "unit_cost_usd": Num(0.0), "recurring": Flag(False),
}
STREAM_SCHEMAS: dict[str, Schema] = {"maas": MAAS, "saas": SAAS, "subscription": SUBSCRIPTION, "units": UNITS}

# ``source`` "tracker" marks lines the app derives from the workspace (people, GPUs, budget, planned rounds);
# they are re-derived each time the app runs the scenario with ``use_tracker`` and kept as numbers in files.
FUNDING = {"name": Text("Round"), "month": Num(None, integer=True, ranged=False), "amount_usd": Num(None),
           "source": Text("")}
TRAINING = {"name": Text("Training run"), "cost_scenario": Text(""), "cost_usd": Num(None),
            "month": Num(0, integer=True, ranged=False), "amortise_months": Num(0, integer=True, ranged=False)}
OPEX_LINE = {"name": Text(None), "category": Text("operations", ("people", "compute", "rd", "marketing", "operations")),
             "monthly_usd": Series(), "growth_monthly": Num(0.0, lo=-1.0, hi=10.0), "source": Text("")}
TOP: Schema = {
    "version": Num(SPEC_VERSION, lo=1, hi=SPEC_VERSION, integer=True, ranged=False),
    "name": Text("Scenario"), "start_month": Text(None), "months": Num(36, lo=36, hi=60, integer=True, ranged=False),
    "starting_cash_usd": Num(0.0), "discount_rate_annual": Num(0.12, hi=1.0), "use_tracker": Flag(False),
    "opex": Many(OPEX_LINE), "funding": Many(FUNDING), "training": Many(TRAINING),
    "streams": Streams(), "notes": Text(""),
}


@dataclass
class Parsed:
    """A checked scenario: the normalised document (defaults filled) and every number as a ``Value`` by path."""

    doc: dict[str, Any]
    values: dict[str, Value] = field(default_factory=dict)

    @property
    def bounds(self) -> dict[str, tuple[float, float]]:
        """The schema's limits of every input that may be a range (points such as event months have none)."""
        return {k: v.limits for k, v in self.values.items() if v.limits is not None}

    @property
    def months(self) -> int:
        return int(self.doc["months"])

    @property
    def start(self) -> date:
        y, m = self.doc["start_month"].split("-")
        return date(int(y), int(m), 1)


def _number(raw: Any, spec: Num, path: str) -> Value:
    def one(x: Any, where: str) -> float:
        if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
            raise SpecError(where, f"must be a number (got {x!r})")
        if spec.integer and float(x) != int(x):
            raise SpecError(where, f"must be a whole number (got {x!r})")
        if not spec.lo <= x <= spec.hi:
            bound = f"between {spec.lo:g} and {spec.hi:g}" if math.isfinite(spec.hi) else f"at least {spec.lo:g}"
            raise SpecError(where, f"must be {bound} (got {x!r})")
        return float(x)

    if isinstance(raw, dict):
        if not spec.ranged:
            raise SpecError(path, "must be a single number, not a range")
        unknown = sorted(set(raw) - {"low", "base", "high", "dist"})
        if unknown:
            raise SpecError(f"{path}.{unknown[0]}", "unknown key; a range has low, base, high and dist")
        if "low" not in raw or "high" not in raw:
            raise SpecError(path, "a range needs low and high")
        low, high = one(raw["low"], f"{path}.low"), one(raw["high"], f"{path}.high")
        base = one(raw.get("base", (low + high) / 2), f"{path}.base")
        if not low <= base <= high:
            raise SpecError(path, f"needs low ≤ base ≤ high (got {low:g}, {base:g}, {high:g})")
        dist = raw.get("dist", "triangular")
        if dist not in DISTRIBUTIONS:
            raise SpecError(f"{path}.dist", f"must be one of {', '.join(DISTRIBUTIONS)} (got {dist!r})")
        return Value(base, low, high, dist, limits=(spec.lo, spec.hi))
    return Value(one(raw, path), limits=(spec.lo, spec.hi) if spec.ranged else None)


def _object(raw: Any, schema: Schema, path: str, values: dict[str, Value]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise SpecError(path, f"must be an object (got {type(raw).__name__})")
    unknown = sorted(set(raw) - set(schema))
    if unknown:
        where = f"{path}.{unknown[0]}" if path else unknown[0]
        raise SpecError(where, f"unknown key; expected one of {', '.join(sorted(schema))}")
    out: dict[str, Any] = {}
    for key, spec in schema.items():
        where = f"{path}.{key}" if path else key
        if key not in raw:
            default = getattr(spec, "default", None)
            if isinstance(spec, Many):
                default = []
            elif isinstance(spec, Streams):
                raise SpecError(where, "needs at least 1 revenue stream")
            elif isinstance(spec, Series):
                default = list(spec.default)
            if default is None:
                raise SpecError(where, "is required")
            raw_value = default
        else:
            raw_value = raw[key]
        out[key] = _field(raw_value, spec, where, values)
    return out


def _field(raw: Any, spec: Any, where: str, values: dict[str, Value]) -> Any:
    if isinstance(spec, Num):
        value = _number(raw, spec, where)
        values[where] = value

        return raw if isinstance(raw, dict) else (int(value.base) if spec.integer else value.base)
    if isinstance(spec, Text):
        if not isinstance(raw, str):
            raise SpecError(where, f"must be text (got {raw!r})")
        if spec.choices and raw not in spec.choices:
            raise SpecError(where, f"must be one of {', '.join(spec.choices)} (got {raw!r})")
        return raw
    if isinstance(spec, Flag):
        if not isinstance(raw, bool):
            raise SpecError(where, f"must be true or false (got {raw!r})")
        return raw
    if isinstance(spec, Series):
        if not isinstance(raw, list) or len(raw) > 120:
            raise SpecError(where, "must be a list of at most 120 monthly amounts")
        return [_number(x, Num(None, ranged=False), f"{where}[{i}]").base for i, x in enumerate(raw)]
    if isinstance(spec, Streams):
        if not isinstance(raw, list) or not raw:
            raise SpecError(where, "needs at least 1 revenue stream")
        return [_stream(item, f"{where}[{i}]", values) for i, item in enumerate(raw)]
    if isinstance(spec, Many):
        if not isinstance(raw, list):
            raise SpecError(where, f"must be a list (got {type(raw).__name__})")
        if len(raw) < spec.min_items:
            raise SpecError(where, f"needs at least {spec.min_items} item(s)")
        items = [_object(item, spec.schema, f"{where}[{i}]", values) for i, item in enumerate(raw)]
        _check_rising(items, spec.rising, where, values)
        return items
    raise TypeError(spec)


def _check_rising(items: list[dict[str, Any]], key: str | None, where: str, values: dict[str, Value]) -> None:
    """Tiers: every upper edge above the one before. Which of two edges is wrong is the founder's call, so the
    refusal names the list and both tiers."""
    if key is None:
        return
    previous = 0.0
    for i in range(len(items)):
        edge = values[f"{where}[{i}].{key}"].base
        if edge <= previous:
            shown = "null (open-ended)" if edge >= OPEN_ENDED else f"{edge:g}"
            before = f"tier [{i - 1}]'s {previous:g}" if i else "0"
            raise SpecError(where, f"tiers must be in rising order: tier [{i}]'s {key} = {shown} is not above {before}")
        previous = edge


def _stream(raw: Any, path: str, values: dict[str, Value]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise SpecError(path, "must be an object")
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in STREAM_SCHEMAS:
        raise SpecError(f"{path}.kind", f"must be one of {', '.join(STREAM_SCHEMAS)} (got {kind!r})")
    raw = dict(raw)
    if kind == "maas" and isinstance(raw.get("tiers"), list):  # null in the LAST tier means "and above"
        tiers = raw["tiers"]
        for i, tier in enumerate(tiers[:-1]):
            if isinstance(tier, dict) and "up_to_m_tokens" in tier and tier["up_to_m_tokens"] is None:
                raise SpecError(f"{path}.tiers[{i}].up_to_m_tokens", "only the last tier may be open-ended (null)")
        if tiers and isinstance(tiers[-1], dict) and tiers[-1].get("up_to_m_tokens", 0) is None:
            raw["tiers"] = [*tiers[:-1], dict(tiers[-1], up_to_m_tokens=OPEN_ENDED)]
    out = _object(raw, STREAM_SCHEMAS[kind], path, values)
    if kind == "subscription":
        mix = sum(values[f"{path}.plans[{i}].mix"].base for i in range(len(out["plans"])))
        if abs(mix - 1.0) > 1e-6:
            raise SpecError(f"{path}.plans", f"the plans' mix must add up to 1 (got {mix:g})")
    return out


def parse(raw: Any) -> Parsed:
    """Check a scenario document and return it normalised with its inputs; raises ``SpecError`` naming the field."""
    if not isinstance(raw, dict):
        raise SpecError("", "a scenario must be a JSON object")
    values: dict[str, Value] = {}
    doc = _object(raw, TOP, "", values)
    try:
        year, month = str(doc["start_month"]).split("-")
        date(int(year), int(month), 1)
    except ValueError:
        raise SpecError("start_month", f"must be a month written YYYY-MM (got {doc['start_month']!r})") from None
    months = int(doc["months"])
    for group in ("funding", "training"):
        for i, item in enumerate(doc[group]):
            if not 0 <= item["month"] < months:
                raise SpecError(f"{group}[{i}].month",
                                f"must be within the horizon, 0 to {months - 1} (got {item['month']})")
    return Parsed(doc=doc, values=values)


_PATH_PART = re.compile(r"([a-z_]+)(?:\[(\d+)\])?")
_WORDS = {"usd": "($)", "cac": "CAC", "m": "M", "mrr": "MRR"}


def path_parts(path: str) -> list[tuple[str, int | None]]:
    """``streams[0].tiers[1].discount`` → ``[("streams", 0), ("tiers", 1), ("discount", None)]``.

    The one reader of a field path (the grid writes by it, labels name by it); a malformed one is a KeyError.
    """
    out: list[tuple[str, int | None]] = []
    for part in path.split("."):
        match = _PATH_PART.fullmatch(part)
        if match is None:
            raise KeyError(path)
        out.append((match.group(1), None if match.group(2) is None else int(match.group(2))))
    return out


def input_label(doc: dict[str, Any], path: str) -> str:
    """``streams[0].channels[1].cac_usd`` as a founder reads it: ``Solo plan · ads · CAC ($)``.

    Each list item is named by its ``name`` when it has one (else ``tier #2``); the field's words are spelt out.
    """
    node: Any = doc
    parts: list[str] = []
    *items, (key, index) = path_parts(path)
    for item, at in items:
        node = node.get(item) if isinstance(node, dict) else None
        if at is not None and isinstance(node, list) and at < len(node):
            node = node[at]
            name = node.get("name") if isinstance(node, dict) else None
            parts.append(str(name) if name else f"{item.removesuffix('s')} #{at + 1}")
        else:
            parts.append(item if at is None else f"{item}[{at}]")
    words = " ".join(_WORDS.get(w, w) for w in key.split("_"))
    parts.append(words if index is None else f"{words} #{index + 1}")
    return " · ".join(parts)
