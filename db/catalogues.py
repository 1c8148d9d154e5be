"""The source documents' catalogues, shipped as data: risks and the phase template."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"


@cache
def risk_catalogue() -> list[dict[str, Any]]:
    """The documents' AI-startup risk types, each with mitigations and line citations."""
    return json.loads((DATA_DIR / "risk_catalogue.json").read_text(encoding="utf-8"))


@cache
def phase_template() -> list[dict[str, Any]]:
    """The documents' eight-phase plan (market research → … → market expansion) with tasks."""
    return json.loads((DATA_DIR / "phase_template.json").read_text(encoding="utf-8"))
