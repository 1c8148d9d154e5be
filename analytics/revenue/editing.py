"""Editing a scenario document as tables and what-if multipliers (pure: the Revenue page's grids call these).

``assumption_table`` flattens every number of a scenario (streams, tiers, plans, channels, opex, training,
funding) into rows of path, base, low, high and distribution; ``apply_assumptions`` writes an edited table
back, and ``parse`` then checks the result, so a bad cell is refused naming its path. ``what_if`` scales
demand, churn and prices for a quick look without saving.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Collection
from typing import Any

import pandas as pd

from analytics.revenue.spec import TRACKER_SOURCE, input_label, parse, path_parts

COLUMNS = ["path", "stream", "field", "base", "low", "high", "dist"]
_SKIP = {"version", "months"}


def _walk(node: Any, path: str, out: list[tuple[str, Any]]) -> None:
    if isinstance(node, dict) and set(node) <= {"low", "base", "high", "dist"} and "low" in node:
        out.append((path, node))
        return
    if isinstance(node, dict):
        if node.get("source") == TRACKER_SOURCE:  # derived from the tracker each run: not edited here
            return
        for key, value in node.items():
            _walk(value, f"{path}.{key}" if path else key, out)
    elif isinstance(node, list) and path.split(".")[-1] != "monthly_usd":
        for i, item in enumerate(node):
            _walk(item, f"{path}[{i}]", out)
    elif isinstance(node, int | float) and not isinstance(node, bool) and path not in _SKIP:
        out.append((path, node))


def assumption_table(doc: dict[str, Any], linked: Collection[str] = ()) -> pd.DataFrame:
    """Every editable number of ``doc`` as a row; ranges fill low/high/dist, points leave them empty.

    ``linked`` paths are filled from a cost scenario on each run, so they are left out (an edit would not last).
    ``field`` names the input as a founder reads it ("Team · price per seat ($)"); ``path`` is what is written.
    """
    leaves: list[tuple[str, Any]] = []
    _walk(doc, "", leaves)
    rows = []
    for path, value in leaves:
        if path in linked:
            continue
        stream, field = "", input_label(doc, path)
        if path.startswith("streams["):
            index = int(path[len("streams["): path.index("]")])
            stream = str(doc["streams"][index].get("name", f"stream {index + 1}"))
            field = field.removeprefix(f"{stream} · ")
        if isinstance(value, dict):
            rows.append([path, stream, field, value.get("base", (value["low"] + value["high"]) / 2), value["low"],
                         value["high"], value.get("dist", "triangular")])
        else:
            rows.append([path, stream, field, float(value), math.nan, math.nan, ""])
    return pd.DataFrame(rows, columns=COLUMNS)


COMPANY_WIDE = "Company-wide (cash, discount rate, opex, training, funding)"


def assumption_groups(table: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """The assumption table as a founder edits it: company-wide inputs, then one table per stream, in order.

    Streams are told apart by their index in the path, so two streams with one name stay two tables. Together
    the groups hold every row once; ``apply_assumptions`` takes them back concatenated.
    """
    index = table["path"].str.extract(r"^streams\[(\d+)\]", expand=False)
    groups = [(COMPANY_WIDE, table[index.isna()])]
    for i in sorted({int(v) for v in index.dropna()}):
        part = table[index == str(i)]
        groups.append((str(part["stream"].iloc[0]), part))
    return [(name, part.reset_index(drop=True)) for name, part in groups if not part.empty]


def _steps(path: str) -> list[str | int]:
    return [step for key, index in path_parts(path) for step in ((key,) if index is None else (key, index))]


def _get(doc: dict[str, Any], path: str) -> Any:
    node: Any = doc
    for step in _steps(path):
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _same(old: Any, new: Any) -> bool:
    """Whether a cell means what the document already says (a range's missing dist is triangular)."""
    if isinstance(old, dict) and isinstance(new, dict):
        return {**old, "dist": old.get("dist", "triangular")} == new
    return old == new


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    *head, last = _steps(path)
    node: Any = doc
    for step in head:
        node = node[step]
    node[last] = value


def apply_assumptions(doc: dict[str, Any], table: pd.DataFrame) -> dict[str, Any]:
    """``doc`` with the table's values written back (a row with low and high becomes a range); checked by ``parse``.

    Raises ``SpecError`` naming the first bad field; ``doc`` itself is never changed.
    """
    out = copy.deepcopy(doc)
    for row in table.itertuples(index=False):
        low, high = row.low, row.high
        has_range = not (low is None or high is None or pd.isna(low) or pd.isna(high))
        base = row.base
        if has_range:
            value: Any = {"low": float(low), "base": float(base) if not pd.isna(base) else (low + high) / 2,
                          "high": float(high), "dist": row.dist or "triangular"}
        else:
            value = float(base) if not pd.isna(base) else None
        if _same(_get(out, str(row.path)), value):
            continue  # unedited: keep the file as written (an int stays an int, an implied dist stays implied)
        _set(out, str(row.path), value)
    probe = dict(out)
    probe.setdefault("start_month", "2000-01")
    parse(probe)
    return out


def what_if(doc: dict[str, Any], demand: float = 1.0, churn: float = 1.0, price: float = 1.0) -> dict[str, Any]:
    """New customers × ``demand``, churn × ``churn`` (capped at 1), list prices × ``price``; ranges move with them."""
    out = copy.deepcopy(doc)

    def scale(item: dict[str, Any], key: str, factor: float, cap: float | None = None) -> None:
        v = item.get(key)
        clip = (lambda z: min(cap, z)) if cap is not None else (lambda z: z)
        if isinstance(v, dict):
            item[key] = {k: clip(z * factor) if k != "dist" else z for k, z in v.items()}
        elif isinstance(v, int | float) and not isinstance(v, bool):
            item[key] = clip(v * factor)

    for s in out.get("streams", []):
        for key in ("new_customers_per_month", "units_per_month"):
            scale(s, key, demand)
        for key in ("churn_monthly", "logo_churn_monthly"):
            scale(s, key, churn, cap=1.0)
        for key in ("price_per_m_input", "price_per_m_output", "price_usd"):
            scale(s, key, price)
        for tier in s.get("tiers", []):
            scale(tier, "new_accounts_per_month", demand)
            scale(tier, "price_per_seat", price)
        for channel in s.get("channels", []):
            scale(channel, "signups_per_month", demand)
        for plan in s.get("plans", []):
            scale(plan, "price_monthly", price)
        if s.get("kind") == "subscription" and s.get("churn_model") == "sbg" and churn > 0:
            scale(s, "sbg_beta", 1 / churn)  # mean churn α/(α+β) rises as β falls
    return out
