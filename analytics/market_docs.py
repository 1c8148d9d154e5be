"""The documents' business-model content for the Market page, and the workspace's answers to it.

Reads ``analytics/data/market_reference.json``: 002's product / service / platform classification (002:L84-88,
L432-438), the nine canvas blocks with the documents' prompts (002:L423-428 names four core elements), 004's four
platform-advantage pillars with three sub-factors each (004:L66-96, exemplars L105-119), and the challenges and
opportunities with their strategies (002:L591-645, 004:L460-472). Every entry carries a ``Citation`` that the
tests check against ``../shared/seeds/``. The functions here turn a checked market document into the tables
the page draws; they know nothing about storage or pages.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analytics.library import Citation

DATA = Path(__file__).resolve().parent / "data" / "market_reference.json"
QUADRANTS = ("strengths", "weaknesses", "opportunities", "threats")
STRENGTH_AT, WEAKNESS_AT = 4, 2  # FounderDeck's rule: a sub-factor scored 4–5 is a strength, 1–2 a weakness


@cache
def reference() -> dict[str, Any]:
    """The reference content as stored (read once)."""
    return json.loads(DATA.read_text(encoding="utf-8"))


def cite(raw: dict[str, Any]) -> Citation:
    first, last = raw["lines"]
    return Citation(str(raw["doc"]), raw["section"], int(first), int(last), raw["quote"])


def citations() -> list[tuple[str, Citation]]:
    """Every citation in the reference with where it sits, for the test that reads them in the seeds."""
    out: list[tuple[str, Citation]] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if {"doc", "lines", "quote"} <= set(node):
                out.append((where, cite(node)))
                return
            for k, v in node.items():
                walk(v, f"{where}.{k}" if where else k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}[{i}]")

    walk(reference(), "")
    return out


def canvas_ids() -> tuple[str, ...]:
    return tuple(b["id"] for b in reference()["canvas"]["blocks"])


def pillar_factor_ids() -> dict[str, tuple[str, ...]]:
    return {p["id"]: tuple(f["id"] for f in p["factors"]) for p in reference()["pillars"]["items"]}


def swot_item_ids() -> tuple[str, ...]:
    return tuple(i["id"] for i in reference()["swot"]["items"])


# ---- classification --------------------------------------------------------------------------------------------

def business_types() -> pd.DataFrame:
    """002's three types: id, name, zh, what it earns from, its core driver, citation."""
    return pd.DataFrame([{"id": t["id"], "name": t["name"], "zh": t["zh"], "says": t["says"], "core": t["core"],
                          "cite": cite(t["cite"]).short} for t in reference()["classification"]["types"]])


def stream_classes(streams: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """Each revenue stream (scenario, stream name, kind, units category) read against the taxonomy, with why and
    the lines naming it; a "units" stream is read by its category. Duplicates across scenarios are dropped."""
    table = reference()["classification"]["streams"]
    rows = []
    for scenario, name, kind, category in streams:
        key = category if kind == "units" else kind
        entry = table.get(key)
        rows.append({"stream": name, "kind": key, "type": entry["type"] if entry else "",
                     "why": entry["why"] if entry else "not named in the documents",
                     "cite": cite(entry["cite"]).short if entry else "", "scenario": scenario})
    out = pd.DataFrame(rows, columns=["stream", "kind", "type", "why", "cite", "scenario"])
    return out.drop_duplicates(["stream", "kind"]).reset_index(drop=True)


def suggested_type(classes: pd.DataFrame) -> str | None:
    """The type most of the streams fall under (None with no streams or a tie)."""
    counts = classes.loc[classes["type"] != "", "type"].value_counts()
    if counts.empty or (len(counts) > 1 and counts.iloc[0] == counts.iloc[1]):
        return None
    return str(counts.index[0])


# ---- canvas ----------------------------------------------------------------------------------------------------

def canvas_table(doc: dict[str, Any]) -> pd.DataFrame:
    """The nine blocks: id, name, zh, the documents' prompt and its citation, and the workspace's entries."""
    return pd.DataFrame([{"id": b["id"], "name": b["name"], "zh": b["zh"], "prompt": b["prompt"],
                          "cite": cite(b["cite"]).short, "entries": list(doc["canvas"][b["id"]])}
                         for b in reference()["canvas"]["blocks"]])


# ---- platform-advantage pillars --------------------------------------------------------------------------------

def pillar_scores(doc: dict[str, Any]) -> pd.DataFrame:
    """One row per sub-factor: pillar, factor, their names and Chinese terms, the workspace's 1–5 score (NaN when
    not scored) and the pillar's citation."""
    rows = []
    for p in reference()["pillars"]["items"]:
        for f in p["factors"]:
            score = doc["pillars"][p["id"]][f["id"]]
            rows.append({"pillar": p["id"], "pillar_name": p["name"], "factor": f["id"], "factor_name": f["name"],
                         "zh": f["zh"], "score": np.nan if score is None else float(score),
                         "cite": cite(p["cite"]).short})
    return pd.DataFrame(rows)


def radar(doc: dict[str, Any]) -> pd.DataFrame:
    """The four pillars: the mean of their scored sub-factors (NaN if none is), how many are scored, and the big-tech
    exemplar the document gives with its lines."""
    scores = pillar_scores(doc)
    rows = []
    for p in reference()["pillars"]["items"]:
        own = scores.loc[scores["pillar"] == p["id"], "score"].dropna()
        rows.append({"pillar": p["id"], "name": p["name"], "zh": p["zh"],
                     "score": float(own.mean()) if len(own) else np.nan, "scored": len(own),
                     "factors": len(p["factors"]), "exemplar": p["exemplar"],
                     "exemplar_cite": cite(p["exemplar_cite"]).short, "cite": cite(p["cite"]).short})
    return pd.DataFrame(rows)


def pillar_flags() -> list[tuple[str, str]]:
    """The documents' errors inside the pillar section, with the lines: (text, citation)."""
    return [(f["text"], cite(f["cite"]).short) for f in reference()["pillars"]["flags"]]


# ---- challenge / opportunity (SWOT-like) grid ------------------------------------------------------------------

SWOT_COLUMNS = ["id", "text", "strategy", "origin", "applies", "note"]


def swot_items(doc: dict[str, Any]) -> pd.DataFrame:
    """The documents' challenges and opportunities with their strategies, and whether the workspace says each
    applies to it (and its note): the editable part of the grid."""
    state = doc["swot"]["items"]
    return pd.DataFrame([{"id": i["id"], "quadrant": i["quadrant"], "name": i["name"], "zh": i["zh"],
                          "says": i["says"], "strategy": i["strategy"],
                          "cite": ", ".join(cite(c).short for c in i["cites"]),
                          "applies": bool(state[i["id"]]["applies"]), "note": state[i["id"]]["note"]}
                         for i in reference()["swot"]["items"]])


def swot_grid(doc: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The four quadrants. Strengths and weaknesses: sub-factors scored 4–5 or 1–2, then the workspace's own
    lines; opportunities and threats: the documents' items that apply (with strategy and lines), then its own."""
    grid: dict[str, list[dict[str, Any]]] = {q: [] for q in QUADRANTS}
    for r in pillar_scores(doc).dropna(subset=["score"]).itertuples():
        quadrant = "strengths" if r.score >= STRENGTH_AT else "weaknesses" if r.score <= WEAKNESS_AT else None
        if quadrant:
            grid[quadrant].append({"id": f"{r.pillar}.{r.factor}", "text": f"{r.factor_name} ({r.pillar_name})",
                                   "strategy": "", "origin": f"pillar score {r.score:.0f}/5", "applies": True,
                                   "note": ""})
    for r in swot_items(doc).itertuples():
        if r.applies:
            grid[r.quadrant].append({"id": r.id, "text": f"{r.name} ({r.zh}): {r.says}", "strategy": r.strategy,
                                     "origin": r.cite, "applies": True, "note": r.note})
    for q in QUADRANTS:
        grid[q] += [{"id": f"own.{q}[{i}]", "text": t, "strategy": "", "origin": "yours", "applies": True,
                     "note": ""} for i, t in enumerate(doc["swot"][q])]
    return {q: pd.DataFrame(rows, columns=SWOT_COLUMNS) for q, rows in grid.items()}
