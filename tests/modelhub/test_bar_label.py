"""Tables show each model's bar in words, including a bar that is another model's measured metric."""

from __future__ import annotations

from modelhub import registry
from modelhub.quality import bar_label


def test_fixed_bars_show_their_direction_and_relative_bars_name_the_other_model():
    assert bar_label(registry.get("lenet")) == "≥ 0.97"
    assert bar_label(registry.get("ngram")) == "≤ 1.6"
    assert bar_label(registry.get("gpt")) == "val_loss below ngram's measured"
    assert bar_label(registry.get("lstm_as_written")) == ""
