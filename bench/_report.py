"""One line per measured comparison, readable by people and by ``python -m bench`` (``make bench``).

Each benchmark still prints its own detail; :func:`emit` adds a tagged JSON line that the runner collects
into the one table of ratios the README's Performance section quotes.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

TAG = "BENCH-RESULT "


@dataclass(frozen=True)
class Result:
    """``ours_s`` against ``reference_s`` (a reference run in the same process), optionally a time budget."""

    benchmark: str
    what: str
    ours_s: float
    reference_s: float | None = None
    budget_s: float | None = None
    reference: str = ""

    @property
    def ratio(self) -> float | None:
        """How many times faster than the reference (> 1 is faster)."""
        return None if not self.reference_s or not self.ours_s else self.reference_s / self.ours_s


def emit(result: Result) -> None:
    """Print the machine-readable line for the runner (the human-readable lines are the benchmark's own)."""
    print(TAG + json.dumps(asdict(result)), flush=True)


def parse(line: str) -> Result | None:
    """The :class:`Result` on a tagged line, else None."""
    if not line.startswith(TAG):
        return None
    return Result(**json.loads(line[len(TAG):]))
