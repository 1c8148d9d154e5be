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
class Section:
    key: str
    title: str
    # Plain text, no markup (user text is shown as typed): a line starting "- " is a bullet, others paragraphs.
    lines: list[str]
    missing: str = ""  # "missing: …" when the section has nothing to show
    charts: list[Chart] = field(default_factory=list)


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
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    sign = "-" if value < 0 else ""
    v = abs(float(value))
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if v >= size:
            return f"{sign}${v / size:.1f}{unit}"
    return f"{sign}${v:,.0f}"


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
    lines = [f"- {s['level']} ({s['method']}): {money(s['usd'])} — {s['formula']}" for s in i.sizing]
    charts = [Chart("market_sizing", "TAM / SAM / SOM", {"rows": i.sizing})] if i.sizing else []
    return Section("market", "Market", lines, "" if lines else "missing: market sizing (TAM/SAM/SOM on the Market "
                   "page)", charts)


def _competition(i: PitchInputs) -> Section:
    lines = [f"- {c['name']}" + "".join(f" · {k}: {v}" for k, v in c.items() if k != "name" and v not in
                                           (None, "", [])) for c in i.competitors]
    return Section("competition", "Competition", lines, "" if lines else "missing: competitors (Market page)")


def _business_model(i: PitchInputs) -> Section:
    lines = [f"- {s['name']} ({s['kind']}): " + (", ".join(f"{k} {v:,.2f}" for k, v in s["prices"].items())
                                                     or "prices not set") for s in i.streams]
    return Section("business_model", "Business model", lines,
                   "" if lines else "missing: revenue streams (a non-private revenue scenario on the Revenue page)")


def _unit_economics(i: PitchInputs) -> Section:
    lines = [f"- gross margin · {name}: {_fmt(v, 'share')}" for name, v in i.stream_margins.items()]
    lines += [f"- {m['name']} (month {m['month'] + 1}): {_fmt(m['value'], m['unit'])} — {m['verdict'] or 'n/a'}"
              f" (bands: {m['band']})" for m in i.metrics]
    return Section("unit_economics", "Unit economics", lines,
                   "" if lines else "missing: a non-private revenue scenario (Revenue page)")


def _traction(i: PitchInputs) -> Section:
    lines = [f"- benchmark {b['model']}: {b['metric']} {b['value']}, {b['throughput']}" for b in i.benchmarks]
    lines += [f"- serving cost ({s['scenario']}): ${s['usd_per_m_input']:.2f} / 1M input, "
              f"${s['usd_per_m_output']:.2f} / 1M output tokens" for s in i.serving]
    if i.serving and i.api_prices:
        lines += [f"- public API {p['provider']} {p['model']}: ${p['input']:.2f} / ${p['output']:.2f} per 1M "
                  f"input / output tokens" for p in i.api_prices]
    return Section("traction", "Traction & technical proof", lines, "" if lines else
                   "missing: modelhub benchmark results and a non-private cost scenario with serving cost")


def _financials(i: PitchInputs) -> Section:
    if not i.headline:
        return Section("financials", "Financials", [], "missing: a non-private revenue scenario (Revenue page)")
    h = i.headline
    be = h.get("break_even_month")
    lines = [f"Scenario: {i.scenario}",
             f"- break-even: {'month ' + str(be + 1) if be is not None else 'not within the horizon'}",
             f"- runway now: {_fmt(h.get('runway_now_months'), 'months')}; forecast runway: "
             f"{_fmt(h.get('runway_forecast_months'), 'months')}",
             f"- revenue, last 12 months: {money(h.get('revenue_last_12_usd'))}, gross margin "
             f"{_fmt(h.get('gross_margin_last_12'), 'share')}; NPV: {money(h.get('npv_usd'))}"]
    lines += [f"- year {y['year']}: revenue {money(y['revenue'])}, gross margin {_fmt(y['gross_margin'], 'share')}, "
              f"EBITDA {money(y['ebitda'])}, cash {money(y['cash'])}" for y in i.yearly]
    if i.burn:
        lines.append(f"- burn this month (tracker plan): {money(i.burn['monthly_burn_usd'])}; cash "
                     f"{money(i.burn['cash_usd'])}; runway on the plan: {_fmt(i.burn['runway_months'], 'months')}")
    if i.monthly.get("cash_p10"):
        lines.append(f"- Monte Carlo ending cash P10–P90: {money(i.monthly['cash_p10'][-1])} – "
                     f"{money(i.monthly['cash_p90'][-1])}")
    charts = [Chart("revenue_cash", "Revenue and cash", i.monthly)] if i.monthly else []
    return Section("financials", "Financials", lines, "", charts)


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
