"""Quality bars: each family trained in its ``default`` config reaches its bar (model, metric, bar, measured).

The ones that train in seconds run in CI; the rest are marked ``quality`` and run with ``--quality`` or
``make quality`` (which prints the whole table through ``python -m modelhub.quality``).
"""

from __future__ import annotations

import pytest

from modelhub import quality, registry

# Seconds to a few tens of seconds each on 2 cores: the CI set.
FAST = ["mlp", "keras_cnn", "lenet", "resnet", "naive_bayes", "linear_svm", "random_forest", "ngram",
        "backprop", "attention_example", "policy_gradient", "multimodal_fusion"]
# Minutes each on 2 cores: only with --quality.
SLOW = ["gradient_boosting", "alexnet", "doc_vgg", "lstm", "gpt", "gan", "vae", "dqn", "ibm1", "seq2seq",
        "faster_rcnn", "yolo", "ssd", "fcn", "unet", "deeplabv3plus", "compression", "lstm_attention",
        "text_discriminator", "gpt_finetune"]


def test_every_model_with_a_bar_is_checked_here():
    assert set(quality.models_with_bars()) == set(FAST) | set(SLOW)


def _assert_bar(name):
    row = quality.check(name)
    print(quality.format_table([row]))  # shown with -s: model, metric, bar, measured
    assert row.passed, f"{row.model}: {row.metric} = {row.measured:.4f}, bar {row.bar:.4f} ({row.bar_source})"


@pytest.mark.parametrize("name", FAST)
def test_fast_model_reaches_its_bar(name):
    _assert_bar(name)


@pytest.mark.quality
@pytest.mark.parametrize("name", SLOW)
def test_slow_model_reaches_its_bar(name):
    _assert_bar(name)


def test_lenet_and_resnet_bars_are_the_issues_97_percent():
    assert registry.get("lenet").quality_bar == registry.get("resnet").quality_bar == 0.97


def test_gpt_bar_is_the_ngrams_validation_loss_on_the_same_bytes():
    assert quality.RELATIVE_BARS["gpt"] == ("ngram", "val_loss")  # the issue: validation loss must beat it
    assert registry.get("gpt").metric == registry.get("ngram").metric == "test_loss"  # both report test too


def test_a_relative_bar_is_measured_on_validation_and_must_be_beaten(monkeypatch):
    # The test losses point the other way: only the validation losses may decide.
    fake = {"ngram": {"val_loss": 1.5, "test_loss": 9.0}, "gpt": {"val_loss": 1.6, "test_loss": 1.0}}
    monkeypatch.setattr(quality, "measure", lambda name, config="default", **kw: (fake[name], 0.0))
    row = quality.check("gpt")
    assert (row.metric, row.bar, row.measured, row.passed) == ("val_loss", 1.5, 1.6, False)
    assert row.bar_source == "ngram's measured val_loss"
    fake["gpt"]["val_loss"] = 1.4
    assert quality.check("gpt").passed


def test_table_lists_model_metric_bar_measured_and_result(monkeypatch):
    monkeypatch.setattr(quality, "measure", lambda name, config="default", **kw: ({"test_accuracy": 0.5}, 1.0))
    text = quality.format_table([quality.check("lenet")])
    assert "lenet" in text and "test_accuracy" in text and "≥ 0.9700" in text and "0.5000" in text
    assert "FAIL" in text


def test_unknown_model_exits_with_code_2(capsys):
    assert quality.main(["nope"]) == 2
    assert "unknown model" in capsys.readouterr().err
