"""Multimodal fusion: the caption generator's noise, the fusion rules, and that fusing two noisy modalities helps."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from modelhub import registry
from modelhub.models.multimodal import (
    DIGIT_WORDS,
    VARIANTS,
    bag_of_words,
    class_words,
    late_fusion,
    make_captions,
)
from modelhub.registry import RegistryError

torch.set_num_threads(1)  # results do not depend on it; a second thread is slower on the shared 2-core box


def _captions(n, seed=0, **kw):
    labels = np.arange(n) % 10
    return labels, *make_captions(labels, DIGIT_WORDS, np.random.default_rng(seed), **kw)


def test_captions_are_reproducible_from_the_seed():
    opts = {"accuracy": 0.8, "mention_name": 0.5, "mention_hint": 0.6}
    assert _captions(50, 3, **opts)[1] == _captions(50, 3, **opts)[1]
    assert _captions(50, 3, **opts)[1] != _captions(50, 4, **opts)[1]


def test_truthful_captions_state_word_parity_and_range_of_the_label():
    labels, captions, tally = _captions(20, accuracy=1.0, mention_name=1.0, mention_hint=1.0)
    for y, text in zip(labels, captions, strict=True):
        words = text.replace(",", " ").split()
        assert DIGIT_WORDS[y] in words
        assert ("even" if y % 2 == 0 else "odd") in words
        assert ("small" if y < 5 else "large") in words
    assert (tally == 3).all()  # three statements made, three true


def test_lying_captions_never_state_the_truth():
    labels, captions, tally = _captions(40, accuracy=0.0, mention_name=1.0, mention_hint=1.0)
    for y, text in zip(labels, captions, strict=True):
        words = text.replace(",", " ").split()
        assert DIGIT_WORDS[y] not in words
        assert ("odd" if y % 2 == 0 else "even") in words
        assert ("large" if y < 5 else "small") in words
    assert (tally[:, 1] == 0).all()


def test_statement_rates_follow_the_configured_probabilities():
    # 20,000 seeded captions: the standard errors are at most 0.006, so ±0.02 is a band of over 3 sigma.
    _, _, tally = _captions(20_000, accuracy=0.8, mention_name=0.5, mention_hint=0.6)
    assert tally[:, 1].sum() / tally[:, 0].sum() == pytest.approx(0.8, abs=0.02)
    assert tally[:, 0].mean() == pytest.approx(0.5 + 2 * 0.6, abs=0.02)
    silent = (tally[:, 0] == 0).mean()
    assert silent == pytest.approx(0.5 * 0.4 * 0.4, abs=0.02)


def test_class_words_for_digits_and_for_other_classes():
    assert class_words(tuple("0123456789")) == DIGIT_WORDS
    assert class_words(("Cat", "hot dog", "!!")) == ("cat", "hot_dog", "class2")


def test_bag_of_words_counts_known_words_and_drops_others():
    counts = bag_of_words(["odd odd, small", "unknown"], {"odd": 0, "small": 1})
    assert counts.tolist() == [[2.0, 1.0], [0.0, 0.0]]


def test_late_fusion_rules_on_a_hand_worked_case():
    image = torch.tensor([[0.6, 0.4]])
    text = torch.tensor([[0.1, 0.9]])
    assert torch.allclose(late_fusion(image, text, "mean"), torch.tensor([[0.35, 0.65]]))
    # 0.6·0.1 = 0.06 and 0.4·0.9 = 0.36, renormalised over 0.42: 1/7 and 6/7.
    assert torch.allclose(late_fusion(image, text, "product"), torch.tensor([[1 / 7, 6 / 7]]))
    with pytest.raises(ValueError, match="unknown late-fusion rule"):
        late_fusion(image, text, "max")


def test_smoke_run_reports_consistent_metrics_and_figures():
    recipe = registry.create("multimodal_fusion", "smoke", threads=1).fit()
    m = recipe.evaluate()
    test = recipe.accuracies("test")
    assert m["fusion_margin"] == pytest.approx(m["test_accuracy"] - max(m["image_only_accuracy"],
                                                                        m["text_only_accuracy"]))
    assert m["test_accuracy"] == test[recipe.chosen]
    val = recipe.accuracies("val")
    assert val[recipe.chosen] == max(val[v] for v in VARIANTS[2:])  # the fusion is chosen on validation
    heatmap, images = recipe.figures()
    assert heatmap["kind"] == "heatmap" and len(heatmap["z"]) == len(VARIANTS) and len(heatmap["x"]) == 11
    assert heatmap["z"][0][-1] == pytest.approx(m["image_only_accuracy"])
    pixels = np.asarray(images["images"])
    assert pixels.shape == (16, 8, 8) and pixels.min() >= 0 and pixels.max() <= 1
    assert len(images["captions"]) == 16
    predicted = recipe.predict(recipe.predict_inputs())
    assert recipe.predict_units(recipe.predict_inputs()) == len(predicted) == len(recipe.data.labels["test"])
    assert float((predicted == recipe.data.labels["test"]).float().mean()) == pytest.approx(m["test_accuracy"])


def test_truthful_complete_captions_make_the_text_model_near_perfect():
    recipe = registry.create("multimodal_fusion", "smoke", threads=1, caption_accuracy=1.0, mention_name=1.0,
                             steps=150, hidden=32).fit()
    assert recipe.evaluate()["text_only_accuracy"] >= 0.95


def test_fusion_beats_both_noisy_modalities():
    # A shortened default (400 of 1,500 steps): seeds 0, 1, 2 measured margins of 0.048, 0.063, 0.086.
    recipe = registry.create("multimodal_fusion", "default", threads=1, steps=400, eval_every=400).fit()
    m = recipe.evaluate()
    assert 0.6 < m["image_only_accuracy"] < 0.95  # the noise keeps the image model away from ~97 %
    assert 0.3 < m["text_only_accuracy"] < 0.7
    assert m["fusion_margin"] >= 0.01


def test_out_of_range_probabilities_are_refused():
    with pytest.raises(RegistryError, match="caption_accuracy between 0 and 1"):
        registry.create("multimodal_fusion", "smoke", caption_accuracy=1.5)
