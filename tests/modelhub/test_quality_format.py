"""The quality table prints tiny values (a gradient check's 1e-17, a bar of 1e-6) so that they read as what they
are, not as 0.0000; ordinary values keep four decimals."""

from __future__ import annotations

from modelhub import quality


def _row(bar: float, measured: float) -> quality.QualityRow:
    return quality.QualityRow(model="backprop", config="smoke", metric="max_grad_diff", bar=bar, bar_source="registry",
                              measured=measured, passed=measured <= bar, higher_is_better=False, seconds=0.1,
                              metrics={})


def test_values_below_a_thousandth_are_shown_in_scientific_notation():
    text = quality.format_table([_row(1e-6, 1e-17)])
    assert "≤ 1.000e-06" in text and "1.000e-17" in text and "0.0000" not in text and "pass" in text


def test_ordinary_values_and_zero_keep_four_decimals():
    assert [quality.number(v) for v in (0.0, 0.5, 0.001, -0.25, 12.0)] == ["0.0000", "0.5000", "0.0010", "-0.2500",
                                                                          "12.0000"]
    assert quality.number(-2e-5) == "-2.000e-05" and quality.number(float("nan")) == "nan"
