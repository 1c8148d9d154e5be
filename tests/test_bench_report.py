"""The benchmark runner's contract: tagged lines round-trip and the table states ratio and budget."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

from bench.__main__ import table
from bench._report import Result, emit, parse


def test_an_emitted_result_parses_back_to_the_same_result():
    result = Result("cpm", "5,000 tasks", 0.05, 1.0, 0.2, reference="plain Python")
    out = io.StringIO()
    with redirect_stdout(out):
        emit(result)
    assert parse(out.getvalue().strip()) == result
    assert parse("speed-up: 3x") is None


def test_the_table_shows_the_ratio_and_whether_the_budget_was_met():
    rows = table([Result("cpm", "fast", 0.05, 1.0, 0.2), Result("pages", "slow", 2.0, None, 1.5)])
    fast, slow = rows.splitlines()[2:]
    assert "20.0x" in fast and "met" in fast
    assert "MISSED" in slow and "—" in slow
