"""The pitch deck, pure: thirteen sections in the order of a good deck, built from inputs the caller gathered.

Nothing here reads the database or invents text: a section whose inputs are empty carries a ``missing`` note
naming what to fill in. Numbers come from the read functions (revenue report, market sizing, cost scenarios);
this module only chooses and orders them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analytics.market import money as market_money

SECTIONS: tuple[tuple[str, str], ...] = (
    ("problem", "Problem"), ("solution", "Solution"), ("why_now", "Why now"), ("market", "Market"),
    ("competition", "Competition"), ("business_model", "Business model"), ("unit_economics", "Unit economics"),
    ("traction", "Traction & technical proof"), ("team", "Team"), ("financials", "Financials"),
    ("ask", "Ask & use of funds"), ("milestones", "Milestones"), ("risks", "Top risks"),
)
FUND_USES = ("rd", "marketing", "operations")
_FUND_LABEL = {"rd": "R&D", "marketing": "Marketing", "operations": "Operations"}


@dataclass(frozen=True)
class Chart:
    key: str  # "revenue_cash", "market_sizing", "use_of_funds"
    title: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Table:
    """A slide's table: every cell already text, as the deck prints it."""

    title: str
    columns: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    # Plain text, no markup (user text is shown as typed): a line starting "- " is a bullet, others paragraphs.
    lines: list[str]
    missing: str = ""  # "missing: …" when the section has nothing to show
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)  # drawn after the lines, before the charts

    @property
    def text(self) -> list[str]:
        """Every piece of text the section shows (title, lines, table cells): what an export can hold."""
        return [self.title, *self.lines, *(t.title for t in self.tables),
                *(cell for t in self.tables for cell in [*t.columns, *(c for row in t.rows for c in row)])]


@dataclass(frozen=True)
class Deck:
    workspace: str
    illustrative: bool
    sections: list[Section]

    @property
    def charts(self) -> list[Chart]:
        return [c for s in self.sections for c in s.charts]


@dataclass(frozen=True)
class PitchInputs:
    """Everything the deck shows, already stripped of internal data (salaries, private rows) by the caller."""

    workspace: str
    illustrative: bool = False
    narrative: dict[str, Any] = field(default_factory=dict)
    sizing: list[dict[str, Any]] = field(default_factory=list)  # {method, level, usd, formula}
    competitors: list[dict[str, Any]] = field(default_factory=list)
    streams: list[dict[str, Any]] = field(default_factory=list)  # {name, kind, prices: {field: value}}
    scenario: str = ""  # the revenue scenario the financials come from
    headline: dict[str, Any] = field(default_factory=dict)
    metrics: list[dict[str, Any]] = field(default_factory=list)  # {month, name, value, unit, band, verdict}
    stream_margins: dict[str, float] = field(default_factory=dict)
    yearly: list[dict[str, Any]] = field(default_factory=list)  # {year, revenue, gross_margin, ebitda, cash}
    monthly: dict[str, list[Any]] = field(default_factory=dict)  # months, revenue, cash, cash_p10, cash_p90
    burn: dict[str, Any] = field(default_factory=dict)  # tracker: monthly_burn_usd, runway_months, cash_usd, source
    benchmarks: list[dict[str, Any]] = field(default_factory=list)  # {model, metric, value, throughput}
    serving: list[dict[str, Any]] = field(default_factory=list)  # {scenario, usd_per_m_input, usd_per_m_output}
    api_prices: list[dict[str, Any]] = field(default_factory=list)  # {provider, model, input, output}
    team: list[dict[str, str]] = field(default_factory=list)  # {name, role}
    funding: list[dict[str, Any]] = field(default_factory=list)  # {name, kind, amount_usd, close_date, status}
    budget_categories: dict[str, float] = field(default_factory=dict)  # category → planned USD (all months)
    milestones: list[dict[str, Any]] = field(default_factory=list)  # {name, date, basis}
    risks: list[dict[str, Any]] = field(default_factory=list)  # {title, score, response, mitigation}


def money(value: float | None) -> str:
    """The app's money format ($12.0M, -$516.4k); n/a for a missing or infinite value."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return market_money(float(value))


def _fmt(value: Any, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "undefined"
    if isinstance(value, float) and math.isinf(value):
        return "∞"
    # "share": a fraction (0.83 → 83%); "pct": already in percent, as the revenue metrics carry it.
    return {"usd": money(value), "share": f"{value:.0%}", "pct": f"{value:.0f}%", "ratio": f"{value:.1f}×",
            "months": f"{value:.1f} months"}.get(unit, f"{value:,.2f}")


def _text(inputs: PitchInputs, key: str, label: str) -> tuple[list[str], str]:
    text = str(inputs.narrative.get(key) or "").strip()
    return ([text], "") if text else ([], f"missing: {label} (edit the narrative in the workspace)")


def _market(i: PitchInputs) -> Section:
    methods = list(dict.fromkeys(r["method"] for r in i.sizing))
    levels = list(dict.fromkeys(r["level"] for r in i.sizing))
    usd = {(r["method"], r["level"]): r["usd"] for r in i.sizing}
    tables = [Table("TAM / SAM / SOM, a year", ["", *methods],
                    [[lv, *(money(usd[m, lv]) if (m, lv) in usd else "–" for m in methods)] for lv in levels])]
    lines = [f"- {r['method']}: {r['formula']}" for r in i.sizing]
    charts = [Chart("market_sizing", "TAM / SAM / SOM", {"rows": i.sizing})] if i.sizing else []
    if not i.sizing:
        return Section("market", "Market", [], "missing: market sizing (TAM/SAM/SOM on the Market page)")
    return Section("market", "Market", lines, "", charts, tables)


def _price(c: dict[str, Any]) -> str:
    if c.get("pricing") == "per_token" and "price_per_m_output" in c:
        return f"${c.get('price_per_m_input', 0):,.2f} in / ${c['price_per_m_output']:,.2f} out per 1M tokens"
    if c.get("pricing") == "per_seat" and "price_per_seat_month" in c:
        return f"${c['price_per_seat_month']:,.0f} per seat a month"
    return str(c.get("pricing") or "")


def _competition(i: PitchInputs) -> Section:
    if not i.competitors:
        return Section("competition", "Competition", [], "missing: competitors (Market page)")
    rows = [[str(c["name"]), str(c.get("offering") or ""), _price(c),
             f"{c['quality']:g}" if isinstance(c.get("quality"), int | float) else "",
             str(c.get("strengths") or ""), str(c.get("weaknesses") or ""), str(c.get("as_of") or "")]
            for c in i.competitors]
    return Section("competition", "Competition", [], "", [], [Table(
        "Competitors", ["", "offering", "price", "quality", "strengths", "weaknesses", "as of"], rows)])


_KIND = {"maas": "MaaS: per token", "saas": "SaaS: per seat", "subscription": "subscription", "units": "units"}


def _stream_prices(prices: dict[str, float]) -> str:
    """A stream's price inputs as a price list: "$0.60 in / $2.40 out per 1M tokens", "Team $49 per seat…"."""
    left, parts = dict(prices), []
    if "price_per_m_input" in left or "price_per_m_output" in left:
        parts.append(f"${left.pop('price_per_m_input', 0):,.2f} in / ${left.pop('price_per_m_output', 0):,.2f} out "
                     "per 1M tokens")
    if "cached_price_factor" in left:
        parts.append(f"cached input at {left.pop('cached_price_factor'):.0%} of the input price")
    for suffix, unit in ((" price_per_seat", "per seat a month"), (" price_monthly", "a month")):
        named = [(k.removesuffix(suffix), left.pop(k)) for k in [k for k in left if k.endswith(suffix)]]
        if named:
            parts.append(", ".join(f"{n} ${v:,.0f}" for n, v in named) + f" {unit}")
    if "price_usd" in left:
        parts.append(f"${left.pop('price_usd'):,.0f} a unit")
    parts += [f"{k.replace('_', ' ')} {v:,.2f}" for k, v in left.items()]
    return "; ".join(parts) or "prices not set"


def _business_model(i: PitchInputs) -> Section:
    if not i.streams:
        return Section("business_model", "Business model", [],
                       "missing: revenue streams (a non-private revenue scenario on the Revenue page)")
    rows = [[str(s["name"]), _KIND.get(s["kind"], s["kind"]), _stream_prices(s["prices"])] for s in i.streams]
    return Section("business_model", "Business model", [], "", [],
                   [Table("Revenue streams", ["stream", "model", "prices"], rows)])


def _metric_cell(m: dict[str, Any]) -> str:
    verdict = str(m.get("verdict") or "")
    if verdict.startswith("n/a"):
        return verdict  # "n/a: not burning (…)" says more than "undefined"
    value = _fmt(m["value"], m["unit"])
    return f"{value}, {verdict}" if verdict else value


def _unit_economics(i: PitchInputs) -> Section:
    if not i.metrics and not i.stream_margins:
        return Section("unit_economics", "Unit economics", [],
                       "missing: a non-private revenue scenario (Revenue page)")
    months = sorted({m["month"] for m in i.metrics})
    names = list(dict.fromkeys(m["name"] for m in i.metrics))
    cell = {(m["name"], m["month"]): m for m in i.metrics}
    band = {m["name"]: m["band"] for m in i.metrics}
    rows = [[n, *(_metric_cell(cell[n, mo]) if (n, mo) in cell else "–" for mo in months), str(band[n] or "")]
            for n in names]
    tables = [Table("Unit economics at each year shown", ["metric", *(f"month {mo + 1}" for mo in months),
                                                          "benchmark"], rows)] if rows else []
    if i.stream_margins:
        tables.append(Table("Gross margin by stream", ["stream", "gross margin"],
                            [[name, _fmt(v, "share")] for name, v in i.stream_margins.items()]))
    return Section("unit_economics", "Unit economics", [], "", [], tables)


def _traction(i: PitchInputs) -> Section:
    lines = [f"- benchmark {b['model']}: {b['metric']} {b['value']}, {b['throughput']}" for b in i.benchmarks]
    lines += [f"- serving cost ({s['scenario']}): ${s['usd_per_m_input']:.2f} / 1M input, "
              f"${s['usd_per_m_output']:.2f} / 1M output tokens" for s in i.serving]
    if i.serving and i.api_prices:
        lines.append(_api_summary(i.api_prices))
    return Section("traction", "Traction & technical proof", lines, "" if lines else
                   "missing: modelhub benchmark results and a non-private cost scenario with serving cost")


def _api_summary(prices: list[dict[str, Any]]) -> str:
    """One line for the public list prices (the Market page has them all): range and median of output prices."""
    by_out = sorted(prices, key=lambda p: p["output"])
    cheap, dear = by_out[0], by_out[-1]
    outs, ins = sorted(p["output"] for p in prices), sorted(p["input"] for p in prices)
    dates = sorted({str(p.get("as_of") or "") for p in prices} - {""})
    when = f" as of {dates[-1]}" if dates else ""
    return (f"- {len(prices)} public APIs' list prices{when}: output ${cheap['output']:,.2f} "
            f"({cheap['provider']} {cheap['model']}) to ${dear['output']:,.2f} ({dear['provider']} {dear['model']}) "
            f"per 1M tokens; medians ${_median(ins):,.2f} in / ${_median(outs):,.2f} out")


def _median(sorted_values: list[float]) -> float:
    n = len(sorted_values)
    return (sorted_values[(n - 1) // 2] + sorted_values[n // 2]) / 2


def _financials(i: PitchInputs) -> Section:
    if not i.headline:
        return Section("financials", "Financials", [], "missing: a non-private revenue scenario (Revenue page)")
    h = i.headline
    be = h.get("break_even_month")
    lines = [f"Scenario: {i.scenario}",
             f"- break-even: {_month(i, be) if be is not None else 'not within the horizon'}",
             f"- runway now: {_fmt(h.get('runway_now_months'), 'months')}; forecast runway: "
             f"{_runway(h.get('runway_forecast_months'), i)}",
             f"- revenue, last 12 months: {money(h.get('revenue_last_12_usd'))}, gross margin "
             f"{_fmt(h.get('gross_margin_last_12'), 'share')}; NPV: {money(h.get('npv_usd'))}"]
    tables = [Table("By model year", ["year", "revenue", "gross margin", "EBITDA", "cash at year end"],
                    [[str(y["year"]), money(y["revenue"]), _fmt(y["gross_margin"], "share"), money(y["ebitda"]),
                      money(y["cash"])] for y in i.yearly])] if i.yearly else []
    if i.burn:
        lines.append(f"- burn this month (tracker plan): {money(i.burn['monthly_burn_usd'])}; cash "
                     f"{money(i.burn['cash_usd'])}; runway on the plan: {_fmt(i.burn['runway_months'], 'months')}")
    if i.monthly.get("cash_p10"):
        lines.append(f"- Monte Carlo ending cash P10–P90: {money(i.monthly['cash_p10'][-1])} – "
                     f"{money(i.monthly['cash_p90'][-1])}")
    charts = [Chart("revenue_cash", "Revenue and cash", i.monthly)] if i.monthly else []
    return Section("financials", "Financials", lines, "", charts, tables)


def _runway(months: float | None, i: PitchInputs) -> str:
    if isinstance(months, float) and math.isinf(months):
        end = (i.monthly.get("months") or [""])[-1]
        return f"cash lasts past the horizon ({end})" if end else "cash lasts past the horizon"
    return _fmt(months, "months")


def _month(i: PitchInputs, index: int) -> str:
    months = i.monthly.get("months") or []
    return f"{months[index]} (month {index + 1})" if index < len(months) else f"month {index + 1}"


def _ask(i: PitchInputs) -> Section:
    n = i.narrative
    ask = n.get("ask_usd")
    shares = {k: float((n.get("use_of_funds") or {}).get(k) or 0) for k in FUND_USES}
    lines, missing = [], []
    if ask:
        lines.append(f"We are raising {money(float(ask))}.")
    else:
        missing.append("the ask (USD)")
    if any(shares.values()):
        lines += [f"- {_FUND_LABEL[k]}: {v:.0%}" + (f" ({money(v * float(ask))})" if ask else "")
                  for k, v in shares.items()]
    else:
        missing.append("use of funds shares (R&D / marketing / operations)")
    lines += [f"- planned budget · {k}: {money(v)}" for k, v in i.budget_categories.items()]
    lines += [f"- funding round {f['name']} ({f['kind']}, {f['status']}): {money(f['amount_usd'])}, "
              f"{f['close_date']}" for f in i.funding]
    charts = [Chart("use_of_funds", "Use of funds", {"labels": [_FUND_LABEL[k] for k in FUND_USES],
                                                      "values": list(shares.values())})] if any(shares.values()) else []
    return Section("ask", "Ask & use of funds", lines, ("missing: " + ", ".join(missing)) if missing else "", charts)


def _milestones(i: PitchInputs) -> Section:
    text = str(i.narrative.get("milestones_money_buys") or "").strip()
    lines = [text] if text else []
    lines += [f"- {m['name']}: {m['date']} ({m['basis']})" for m in i.milestones]
    return Section("milestones", "Milestones", lines,
                   "" if lines else "missing: milestones (Projects page) and what the money buys (narrative)")


def _risks(i: PitchInputs, top: int = 5) -> Section:
    ranked = sorted(i.risks, key=lambda r: -float(r.get("score") or 0))[:top]
    lines = [f"- {r['title']} (score {r['score']:g}) — {r['response']}: "
             f"{' '.join(str(r['mitigation'] or '').split()) or 'no mitigation written'}" for r in ranked]
    return Section("risks", "Top risks", lines, "" if lines else "missing: risks (Risks page)")


def yearly(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The monthly model (``analytics.revenue.model.monthly_table``) by model year: revenue, gross profit and
    EBITDA summed, gross margin = the year's gross profit ÷ its revenue (the headline's definition), cash at
    the year's end."""
    rows = []
    for year, start in enumerate(range(0, len(table), 12), start=1):
        part = table.iloc[start: start + 12]
        revenue, profit = float(part["revenue"].sum()), float(part["gross profit"].sum())
        rows.append({"year": year, "revenue": revenue, "gross_margin": profit / revenue if revenue > 0 else math.nan,
                     "ebitda": float(part["EBITDA"].sum()), "cash": float(part["cash"].iloc[-1])})
    return rows


def build_deck(inputs: PitchInputs) -> Deck:
    """The deck's sections in SECTIONS order."""
    text = {key: _text(inputs, key, label) for key, label in
            (("problem", "the problem"), ("solution", "the solution"), ("why_now", "why now"))}
    sections = [Section(k, t, *text[k]) for k, t in SECTIONS[:3]]
    sections += [_market(inputs), _competition(inputs), _business_model(inputs), _unit_economics(inputs),
                 _traction(inputs),
                 Section("team", "Team", [f"- {p['name']}, {p['role']}" for p in inputs.team],
                         "" if inputs.team else "missing: people (Resources page)"),
                 _financials(inputs), _ask(inputs), _milestones(inputs), _risks(inputs)]
    assert [s.key for s in sections] == [k for k, _ in SECTIONS]
    return Deck(inputs.workspace, inputs.illustrative, sections)
