"""004 §3.1.3's pre-train + fine-tune: the GPT classifier, the shared starting point, the FLOP accounting."""

from __future__ import annotations

import pytest
import torch

from modelhub import registry
from modelhub.models.gpt import GPT, GPTConfig
from modelhub.models.transfer import GPTClassifier, encode_texts, flops_per_token

torch.set_num_threads(1)


def test_texts_are_truncated_and_zero_padded_bytes():
    ids, lengths = encode_texts(["ab", "é" * 5, ""], 4)
    assert ids.tolist() == [[97, 98, 0, 0], [0xC3, 0xA9, 0xC3, 0xA9], [32, 0, 0, 0]]
    assert lengths.tolist() == [2, 4, 1]


def test_the_classifier_ignores_whatever_follows_the_text():
    torch.manual_seed(0)
    model = GPTClassifier(GPT(GPTConfig(block_size=12, n_layer=1, n_head=2, n_embd=16)), 3).eval()
    ids, lengths = encode_texts(["hello", "a longer text"], 12)
    noisy = ids.clone()
    noisy[0, 5:] = torch.randint(1, 256, (7,))  # causal attention + the masked mean: padding cannot matter
    assert torch.allclose(model(ids, lengths), model(noisy, lengths), atol=1e-6)
    assert model(ids, lengths).shape == (2, 3)


def test_flops_are_six_times_the_multiplying_parameters_per_token():
    gpt = GPT(GPTConfig(block_size=8, n_layer=2, n_head=2, n_embd=16))
    per_layer = 2 * 16 + 3 * 16 * 16 + 16 * 16 + 2 * 4 * 16 * 16  # two norms, qkv, proj, the MLP (no biases)
    assert flops_per_token(gpt, 256 * 16) == 6 * (2 * per_layer + 16 + 256 * 16)


@pytest.fixture(scope="module")
def fitted():
    recipe = registry.create("gpt_finetune", "smoke", pretrain_steps=20)
    return recipe.fit(), recipe.evaluate()


def test_both_arms_start_from_the_weights_pre_training_started_from(fitted):
    recipe, _ = fitted
    a, b = recipe._new_gpt().state_dict(), recipe._new_gpt().state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    pretrained = recipe.pretrained_state
    assert any(not torch.equal(a[k], pretrained[k]) for k in a)  # pre-training moved them


def test_pre_training_lowers_the_corpus_loss_below_uniform_bytes(fitted):
    recipe, metrics = fitted
    assert metrics["pretrain_val_loss"] < 5.0 < torch.log(torch.tensor(256.0)).item()
    assert recipe.pretrain_losses[-1] < recipe.pretrain_losses[0]


def test_metrics_compare_the_arms_and_count_pre_training_in_the_total(fitted):
    recipe, m = fitted
    assert m["finetune_gain"] == pytest.approx(m["test_accuracy"] - m["scratch_test_accuracy"])
    assert m["total_flops"] == pytest.approx(m["pretrain_flops"] + m["finetune_flops"])
    c = recipe.config
    per_token = flops_per_token(recipe.finetuned.gpt, 256 * c["n_embd"])
    assert m["pretrain_flops"] == per_token * c["pretrain_steps"] * c["pretrain_batch"] * c["block_size"]
    assert all(0.0 <= m[k] <= 1.0 for k in ("test_accuracy", "scratch_test_accuracy", "test_macro_f1"))


def test_figure_places_the_fine_tuned_curve_after_the_pre_training_flops(fitted):
    recipe, m = fitted
    scatter, lines = recipe.figures()
    assert scatter["kind"] == "scatter" and lines["kind"] == "lines"
    tuned = [x for x, label in zip(scatter["x"], scatter["labels"], strict=True) if label.startswith("fine-tuned")]
    scratch = [x for x, label in zip(scatter["x"], scatter["labels"], strict=True) if label == "from scratch"]
    assert tuned[0] == m["pretrain_flops"] and tuned[-1] == pytest.approx(m["total_flops"])
    assert scratch[0] == 0.0 and scratch[-1] == pytest.approx(m["scratch_flops"])
    assert len(lines["series"]["train loss"]) == recipe.config["pretrain_steps"]


def test_predict_and_samples_come_from_the_fine_tuned_and_pre_trained_models(fitted):
    recipe, _ = fitted
    predictions = recipe.predict(recipe.predict_inputs())
    assert len(predictions) == len(recipe.task.x_test) and set(predictions) <= set(range(len(recipe.task.classes)))
    (sample,) = recipe.generate(1)
    assert sample.startswith("The ")
    assert recipe.parameter_count() == sum(p.numel() for p in recipe.finetuned.parameters())
