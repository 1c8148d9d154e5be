"""Tables show each model's bar in words, including a bar that is another model's measured metric."""

from __future__ import annotations

from modelhub import registry
from modelhub.quality import bar_label


def test_fixed_bars_show_their_direction_and_relative_bars_name_the_other_model():
    assert bar_label(registry.get("lenet")) == "≥ 0.97"
    assert bar_label(registry.get("ngram")) == "≤ 1.6"
    assert bar_label(registry.get("gpt")) == "val_loss below ngram's measured"
    assert bar_label(registry.get("lstm_as_written")) == ""


def _entry(**kw) -> registry.ModelEntry:
    base = dict(name="toy", family="toy", task="demonstration", source="-", dataset="-", metric="acc",
                higher_is_better=True, quality_bar=0.8, configs={}, builder=lambda c: None)
    return registry.ModelEntry(**{**base, **kw})


def test_a_bar_with_further_conditions_names_each_and_needs_all_of_them() -> None:
    from modelhub.quality import extras_hold

    entry = _entry(extra_bars={"digits_covered": (">=", 8), "loss": ("<=", 0.5)})
    assert bar_label(entry) == "≥ 0.8; digits_covered ≥ 8; loss ≤ 0.5"
    assert extras_hold(entry, {"acc": 0.9, "digits_covered": 8, "loss": 0.5})
    assert not extras_hold(entry, {"acc": 0.9, "digits_covered": 7, "loss": 0.1})
    assert not extras_hold(entry, {"acc": 0.9, "digits_covered": 9})  # a missing metric fails


def test_a_fixed_bar_and_a_model_to_beat_are_both_named() -> None:
    entry = _entry(metric="test_bleu", quality_bar=60, beats=("ibm1", "test_bleu"))
    assert bar_label(entry) == "≥ 60; test_bleu above ibm1's measured"
