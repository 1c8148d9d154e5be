"""004 §5's LSTM: the as-written Keras model's parameter count and why it cannot generate; the corrected one does."""

from __future__ import annotations

import pytest
import torch

from modelhub.models.lstm import (
    KERAS_PARAMETERS,
    KerasLSTMLayer,
    KerasLSTMStack,
    LSTMLanguageModel,
    why_it_cannot_generate,
)


def keras_lstm(input_dim, units):
    return 4 * ((input_dim + units) * units + units)  # Keras: kernel, recurrent kernel, ONE bias per gate set


def test_as_written_has_the_keras_models_16199680_parameters():
    expected = 10_000 * 256 + keras_lstm(256, 1024) + keras_lstm(1024, 1024)
    assert expected == KERAS_PARAMETERS == 16_199_680
    with torch.device("meta"):
        model = KerasLSTMStack()
    assert sum(p.numel() for p in model.parameters()) == expected


def test_a_plain_pytorch_port_would_count_one_extra_bias_per_gate_set():
    with torch.device("meta"):
        plain = torch.nn.ModuleList([torch.nn.Embedding(10_000, 256), torch.nn.LSTM(256, 1024),
                                     torch.nn.LSTM(1024, 1024)])
    assert sum(p.numel() for p in plain.parameters()) - KERAS_PARAMETERS == 2 * 4 * 1024


def test_keras_layer_computes_the_keras_lstm_equations():
    torch.manual_seed(0)
    layer = KerasLSTMLayer(3, 4)
    x = torch.randn(2, 5, 3)
    w_ih, w_hh = layer.lstm.weight_ih_l0[:, :3], layer.lstm.weight_hh_l0
    bias = layer.lstm.weight_ih_l0[:, 3]  # the constant-1 column is the single Keras bias
    h = c = torch.zeros(2, 4)
    outs = []
    for t in range(5):
        i, f, g, o = (x[:, t] @ w_ih.T + h @ w_hh.T + bias).chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outs.append(h)
    assert torch.allclose(layer(x), torch.stack(outs, dim=1), atol=1e-6)


def test_forget_gate_bias_starts_at_one_like_keras():
    layer = KerasLSTMLayer(3, 4)
    bias = layer.lstm.weight_ih_l0[:, -1]
    assert bias[4:8].tolist() == [1.0] * 4 and bias[:4].abs().sum() == 0 and bias[8:].abs().sum() == 0


def test_as_written_output_is_one_vector_per_sequence_not_a_distribution_over_words():
    model = KerasLSTMStack(vocab_size=10_000, embedding_dim=8, lstm_units=16)
    evidence = why_it_cannot_generate(model, torch.randint(0, 10_000, (3, 7)))
    assert evidence["output_shape"] == (3, 16)           # not (3, 7, 10000)
    assert evidence["outputs_per_sequence"] == 1 and evidence["inputs_per_sequence"] == 7
    low, high = evidence["output_range"]
    assert low > -1 and high < 1                          # h = o·tanh(c): bounded floats, not scores over tokens
    assert evidence["sums_to_one"] is False
    assert not hasattr(model, "generate")


def test_corrected_model_predicts_every_position_over_the_vocabulary():
    model = LSTMLanguageModel(vocab_size=256, embedding_dim=8, lstm_units=16)
    idx = torch.randint(0, 256, (2, 9))
    logits, loss = model(idx, idx)
    assert logits.shape == (2, 9, 256) and loss.ndim == 0
    assert loss.item() == pytest.approx(torch.log(torch.tensor(256.0)).item(), abs=0.1)  # ≈ uniform at init


def test_corrected_model_generates_bytes_and_carrying_state_matches_a_full_forward():
    torch.manual_seed(0)
    model = LSTMLanguageModel(vocab_size=256, embedding_dim=8, lstm_units=16).eval()
    prompt = torch.tensor([[72, 105]])
    out = model.generate(prompt, 12, generator=torch.Generator().manual_seed(0))
    assert out.shape == (1, 14) and torch.equal(out[:, :2], prompt) and int(out.max()) < 256
    # The stepwise state carried by generate() gives the same next-token scores as re-reading the whole text.
    full, _ = model(out[:, :-1])
    _, state = model.lstm(model.embedding(out[:, :-2]))
    last, _ = model.lstm(model.embedding(out[:, -2:-1]), state)
    assert torch.allclose(model.head(last[:, -1]), full[:, -1], atol=1e-5)


def test_sampling_needs_a_positive_temperature():
    with pytest.raises(ValueError, match="temperature"):
        LSTMLanguageModel(embedding_dim=4, lstm_units=4).generate(torch.tensor([[1]]), 1, temperature=0)
