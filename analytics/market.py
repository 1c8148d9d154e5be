"""Market analytics: TAM/SAM/SOM both ways with the formula as text, the competitor matrix and price/performance
positioning, and the public API price benchmark against the workspace's own MaaS prices and serving cost.

Sizing follows REFERENCE.md B4.1 (Sequoia: TAM top-down, SAM bottom-up; SOM = the share winnable in 24–36 months,
tied to the go-to-market plan). Public prices come from ``analytics.gpu_catalogue.api_price_table()`` (dated, with
source); the workspace's own prices from its revenue scenarios. The document these functions read is checked by
``analytics.market_schema.parse_market`` (re-exported here).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analytics.market_schema import COMPETITOR, MARKET_VERSION, MarketError, Num, empty_market, parse_market

__all__ = ["MARKET_VERSION", "Level", "MarketError", "Sizing", "api_benchmark", "blended", "bottom_up",
           "competitor_table", "competitors_from_grid", "empty_market", "money", "own_prices", "parse_market",
           "positioning", "price_standing", "sizing_table", "top_down"]

# ---- TAM / SAM / SOM -------------------------------------------------------------------------------------------

def money(usd: float) -> str:
    """$216.0M, $1.20B, $950k, -$516.4k: the unit a founder reads a market size (or a loss) in.

    The minus is ASCII, as the page's cards and the CSVs write it, so a copied figure pastes as a number."""
    sign, usd = ("-", -usd) if usd < 0 else ("", usd)
    for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if usd >= size:
            return f"{sign}${usd / size:,.{2 if unit in 'TB' else 1}f}{unit}"
    return f"{sign}${usd:,.0f}"


METHOD_COLOURS = {"top-down": "#1D4ED8", "bottom-up": "#059669"}  # one colour per sizing method, page and deck


def decade_ticks(values: list[float]) -> dict[str, list]:
    """Axis ticks at each power of ten, read as a founder reads money ($10M, $1B): plotly's SI format says G."""
    if not values:
        return {}
    low, high = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
    ticks = [10.0 ** k for k in range(low, high + 1)]
    return {"tickvals": ticks, "ticktext": [_short(v) for v in ticks]}


def _short(usd: float) -> str:
    for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if usd >= size:
            return f"${usd / size:g}{unit}"
    return f"${usd:g}"


@dataclass(frozen=True)
class Level:
    level: str  # TAM, SAM or SOM
    usd: float
    buyers: float | None  # bottom-up only
    formula: str  # the arithmetic with this document's numbers


@dataclass(frozen=True)
class Sizing:
    method: str  # "top-down" or "bottom-up"
    levels: tuple[Level, ...]  # TAM, SAM, SOM as far as entered
    missing: tuple[str, ...]  # fields still needed, by path
    note: str = ""  # which bound sets the SOM (share or sales capacity)


def _filters(filters: list[dict[str, Any]]) -> tuple[float, str]:
    share = float(np.prod([f["share"] for f in filters])) if filters else 1.0
    text = "".join(f" × {f['share']:.0%} ({f['name']})" for f in filters)
    return share, text


def top_down(doc: dict[str, Any]) -> Sizing:
    """TAM = a published total market; SAM = TAM × the filters' shares; SOM = SAM × the share winnable."""
    td, months = doc["sizing"]["top_down"], doc["sizing"]["horizon_months"]
    if td["total_market_usd"] is None:
        return Sizing("top-down", (), ("sizing.top_down.total_market_usd",))
    tam = td["total_market_usd"]
    # A source written as a sentence ends in a full stop; the bracket adds its own punctuation.
    src = f" ({td['source'].rstrip('. ')}{', ' + td['as_of'] if td['as_of'] else ''})" if td["source"] else ""
    share, text = _filters(td["filters"])
    levels = [Level("TAM", tam, None, f"TAM = {money(tam)}{src}"),
              Level("SAM", tam * share, None, f"SAM = TAM{text or ' × 100 % (no filter)'} = {money(tam * share)}")]
    if td["som_share"] is None:
        return Sizing("top-down", tuple(levels), ("sizing.top_down.som_share",))
    som = tam * share * td["som_share"]
    levels.append(Level("SOM", som, None, f"SOM = SAM × {td['som_share']:.1%} winnable in {months} months = "
                                          f"{money(som)}"))
    return Sizing("top-down", tuple(levels), ())


def bottom_up(doc: dict[str, Any]) -> Sizing:
    """TAM = buyers × annual revenue per buyer; SAM = TAM × filters; SOM = the buyers winnable in the horizon,
    capped by the sales team's capacity (reps × deals per rep a year × years) when it is entered."""
    bu, months = doc["sizing"]["bottom_up"], doc["sizing"]["horizon_months"]
    missing = tuple(f"sizing.bottom_up.{k}" for k in ("buyers", "annual_revenue_per_buyer_usd") if bu[k] is None)
    if missing:
        return Sizing("bottom-up", (), missing)
    n, arpb, who = bu["buyers"], bu["annual_revenue_per_buyer_usd"], bu["buyer"] or "buyers"
    share, text = _filters(bu["filters"])
    sam_n = n * share
    levels = [Level("TAM", n * arpb, n, f"TAM = {n:,.0f} {who} × {money(arpb)} a year = {money(n * arpb)}"),
              Level("SAM", sam_n * arpb, sam_n,
                    f"SAM = TAM{text or ' × 100 % (no filter)'} = {sam_n:,.0f} {who} × {money(arpb)} = "
                    f"{money(sam_n * arpb)}")]
    if bu["som_share"] is None:
        return Sizing("bottom-up", tuple(levels), ("sizing.bottom_up.som_share",))
    won = sam_n * bu["som_share"]
    formula = f"SOM = {bu['som_share']:.1%} of {sam_n:,.0f} {who} = {won:,.0f}"
    note = "the share winnable sets the SOM"
    if bu["reps"] is not None and bu["deals_per_rep_per_year"] is not None:
        capacity = bu["reps"] * bu["deals_per_rep_per_year"] * months / 12
        formula = (f"SOM = min({bu['som_share']:.1%} × {sam_n:,.0f} = {won:,.0f}, {bu['reps']:g} reps × "
                   f"{bu['deals_per_rep_per_year']:g} deals a year × {months / 12:g} years = {capacity:,.0f}) "
                   f"{who}")
        if capacity < won:
            won, note = capacity, "the sales team's capacity sets the SOM, not the share"
    levels.append(Level("SOM", won * arpb, won, f"{formula} × {money(arpb)} = {money(won * arpb)} "
                                                f"(within {months} months)"))
    return Sizing("bottom-up", tuple(levels), (), note)


def sizing_table(doc: dict[str, Any]) -> pd.DataFrame:
    """Both methods' levels in one table: method, level, usd, buyers, formula."""
    rows = [{"method": s.method, "level": lv.level, "usd": lv.usd, "buyers": lv.buyers, "formula": lv.formula}
            for s in (top_down(doc), bottom_up(doc)) for lv in s.levels]
    return pd.DataFrame(rows, columns=["method", "level", "usd", "buyers", "formula"])


# ---- competitors, positioning and the API price benchmark ------------------------------------------------------

COMPETITOR_COLUMNS = list(COMPETITOR)


def competitors_from_grid(grid: pd.DataFrame) -> list[dict[str, Any]]:
    """The competitor grid's rows as document items: blanks and NaN become empty text or "not entered";
    wholly empty rows (an added row left blank) are dropped. The schema then checks what is left."""
    out = []
    for rec in grid.to_dict("records"):
        item: dict[str, Any] = {}
        for key in COMPETITOR_COLUMNS:
            value = rec.get(key)
            missing = value is None or (isinstance(value, float) and math.isnan(value))
            if isinstance(COMPETITOR[key], Num):
                item[key] = None if missing else (float(value) if isinstance(value, int | float | np.number)
                                                  else value)
            else:
                item[key] = "" if missing else (value.strip() if isinstance(value, str) else value)
        if any(v not in (None, "") for k, v in item.items() if k != "pricing"):
            item["pricing"] = item["pricing"] or "per_token"
            out.append(item)
    return out


def competitor_table(doc: dict[str, Any], api: pd.DataFrame) -> pd.DataFrame:
    """The competitor matrix: a competitor naming a public API model gets its dated prices and source."""
    by_model = api.set_index("model")
    rows = []
    for c in doc["competitors"]:
        row = dict(c)
        if c["api_model"] and c["api_model"] in by_model.index:
            ref = by_model.loc[c["api_model"]]
            for key, col in (("price_per_m_input", "usd_per_m_input"), ("price_per_m_output", "usd_per_m_output")):
                if row[key] is None:
                    row[key] = float(ref[col])
            row["source"] = row["source"] or f"{ref['provider']} list price via {ref['source']}"
            row["as_of"] = row["as_of"] or str(ref["as_of"])
        rows.append(row)
    return pd.DataFrame(rows, columns=COMPETITOR_COLUMNS)


def blended(price_in: Any, price_out: Any, output_share: float) -> Any:
    """$ per 1M tokens of a mix with ``output_share`` of output tokens (arrays or scalars)."""
    return (1 - output_share) * np.asarray(price_in, float) + output_share * np.asarray(price_out, float)


def own_prices(scenarios: list[tuple[str, dict[str, Any]]]) -> pd.DataFrame:
    """The workspace's own list prices from its revenue scenarios (name, resolved document), base values of
    ranges: one row per MaaS stream ($/1M in and out, serving cost in and out) and per SaaS tier ($/seat)."""
    from analytics.revenue.spec import SpecError, parse

    rows = []
    for name, resolved in scenarios:
        try:
            parsed = parse(resolved)
        except SpecError:
            continue  # a scenario that cannot run shows its error on the Revenue page
        values = parsed.values
        for i, s in enumerate(parsed.doc["streams"]):
            def base(key: str, i: int = i, values: dict = values) -> float:
                return float(values[f"streams[{i}].{key}"].base)

            if s["kind"] == "maas":
                rows.append({"scenario": name, "stream": s["name"], "kind": "maas",
                             "price_per_m_input": base("price_per_m_input"),
                             "price_per_m_output": base("price_per_m_output"),
                             "serving_usd_per_m_input": base("serving_usd_per_m_input"),
                             "serving_usd_per_m_output": base("serving_usd_per_m_output"),
                             "cost_scenario": s["cost_scenario"], "price_per_seat_month": None})
            elif s["kind"] == "saas":
                for k, tier in enumerate(s["tiers"]):
                    rows.append({"scenario": name, "stream": f"{s['name']} · {tier['name']}", "kind": "saas",
                                 "price_per_seat_month": base(f"tiers[{k}].price_per_seat")})
    columns = ["scenario", "stream", "kind", "price_per_m_input", "price_per_m_output", "serving_usd_per_m_input",
               "serving_usd_per_m_output", "cost_scenario", "price_per_seat_month"]
    return pd.DataFrame(rows, columns=columns)


def _grouped(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Own rows that agree on ``keys`` once, their scenarios joined (a base and an upside case share a price)."""
    if rows.empty:
        return pd.DataFrame(columns=[*keys, "scenarios"])
    return rows.groupby(keys, sort=False, dropna=False).agg(scenarios=("scenario", " / ".join)).reset_index()


def api_benchmark(api: pd.DataFrame, own: pd.DataFrame, output_share: float) -> pd.DataFrame:
    """Public API prices (dated, with source) beside the workspace's MaaS prices and serving cost, by blended $/1M."""
    public = pd.DataFrame({"label": api["provider"] + " " + api["model"], "kind": "public API",
                           "usd_per_m_input": api["usd_per_m_input"].astype(float),
                           "usd_per_m_output": api["usd_per_m_output"].astype(float),
                           "source": api["source"], "as_of": api["as_of"].astype(str)})
    maas = own[own["kind"] == "maas"]
    prices = _grouped(maas, ["stream", "price_per_m_input", "price_per_m_output"])
    yours = pd.DataFrame({"label": prices["scenarios"] + " · " + prices["stream"], "kind": "your price",
                          "usd_per_m_input": prices["price_per_m_input"],
                          "usd_per_m_output": prices["price_per_m_output"],
                          "source": "revenue scenario " + prices["scenarios"], "as_of": "workspace"})
    costs = _grouped(maas, ["stream", "cost_scenario", "serving_usd_per_m_input", "serving_usd_per_m_output"])
    serving = pd.DataFrame({"label": costs["scenarios"] + " · " + costs["stream"], "kind": "your serving cost",
                            "usd_per_m_input": costs["serving_usd_per_m_input"],
                            "usd_per_m_output": costs["serving_usd_per_m_output"],
                            "source": "cost scenario " + costs["cost_scenario"].replace("", "(typed in the scenario)"),
                            "as_of": "workspace"})
    out = pd.concat([public, yours, serving], ignore_index=True)
    out["blended"] = blended(out["usd_per_m_input"], out["usd_per_m_output"], output_share)
    return out.sort_values(["blended", "kind"], kind="stable").reset_index(drop=True)


def price_standing(api: pd.DataFrame, own: pd.DataFrame, output_share: float) -> pd.DataFrame:
    """Each own MaaS price against the public APIs: blended price and serving cost, gross margin per token,
    how many public APIs are cheaper, the median public price and the price as a multiple of it."""
    public = blended(api["usd_per_m_input"], api["usd_per_m_output"], output_share)
    median = float(np.median(public)) if len(public) else math.nan
    rows = []
    keys = ["stream", "price_per_m_input", "price_per_m_output", "serving_usd_per_m_input", "serving_usd_per_m_output"]
    for r in _grouped(own[own["kind"] == "maas"], keys).itertuples():
        price = float(blended(r.price_per_m_input, r.price_per_m_output, output_share))
        cost = float(blended(r.serving_usd_per_m_input, r.serving_usd_per_m_output, output_share))
        rows.append({"scenarios": r.scenarios, "stream": r.stream, "blended_price": price, "blended_serving": cost,
                     "gross_margin": 1 - cost / price if price > 0 else math.nan,
                     "public_cheaper": int((public < price).sum()), "public_total": len(public),
                     "public_median": median, "x_median": price / median if median > 0 else math.nan})
    return pd.DataFrame(rows, columns=["scenarios", "stream", "blended_price", "blended_serving", "gross_margin",
                                       "public_cheaper", "public_total", "public_median", "x_median"])


def positioning(doc: dict[str, Any], competitors: pd.DataFrame, own: pd.DataFrame) -> pd.DataFrame:
    """Price against quality for every competitor and own price that has both, in two units ($/1M tokens blended
    at the document's output share; $/seat a month). ``dominated_by`` names a point as cheap or cheaper and as
    good or better (better in one) in the same unit: the price/performance frontier is the rest. Own scenarios
    that share a price are one point."""
    o, rows = doc["output_share"], []
    for c in competitors.itertuples():
        if c.pricing == "per_token" and not pd.isna(c.price_per_m_input) and not pd.isna(c.price_per_m_output):
            rows.append((c.name, "competitor", "$/1M tokens", float(blended(c.price_per_m_input,
                                                                            c.price_per_m_output, o)), c.quality))
        elif c.pricing == "per_seat" and not pd.isna(c.price_per_seat_month):
            rows.append((c.name, "competitor", "$/seat a month", float(c.price_per_seat_month), c.quality))
    me = doc["own"]
    maas = _grouped(own[own["kind"] == "maas"], ["stream", "price_per_m_input", "price_per_m_output"])
    for r in maas.itertuples():
        rows.append((f"{me['name']} · {r.stream} ({r.scenarios})", "yours", "$/1M tokens",
                     float(blended(r.price_per_m_input, r.price_per_m_output, o)), me["quality"]))
    for r in _grouped(own[own["kind"] == "saas"], ["stream", "price_per_seat_month"]).itertuples():
        rows.append((f"{me['name']} · {r.stream} ({r.scenarios})", "yours", "$/seat a month",
                     float(r.price_per_seat_month), me["quality"]))
    table = pd.DataFrame(rows, columns=["name", "who", "unit", "price", "quality"])
    table["quality"] = pd.to_numeric(table["quality"], errors="coerce")
    table = table.dropna(subset=["quality"]).reset_index(drop=True)
    table["quality_per_usd"] = np.where(table["price"] > 0, table["quality"] / table["price"].where(
        table["price"] > 0, 1.0), math.inf)
    dominated = []
    for r in table.itertuples():
        # Against the other side only: one's own cheaper scenario "dominating" another says nothing.
        same = table[(table["unit"] == r.unit) & (table.index != r.Index) & ((table["who"] != "yours")
                                                                            | (r.who != "yours"))]
        better = same[(same["price"] <= r.price) & (same["quality"] >= r.quality)
                      & ((same["price"] < r.price) | (same["quality"] > r.quality))]
        dominated.append(", ".join(better["name"]) if len(better) else "")
    table["dominated_by"] = dominated
    return table
