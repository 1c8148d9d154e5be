"""Compression: sizes, pruning masks, int8 quantisation and the distillation loss, then the whole entry's smoke run.

Latency is reported by the entry, never asserted here (the 2-core machine is shared)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812 - the usual PyTorch alias
from torch import nn

from modelhub import registry
from modelhub.datasets import load_images
from modelhub.models.compression import (
    Distillation,
    csr_bytes,
    latencies_ms,
    make_permanent,
    nonzero_parameters,
    prune_global,
    quantize_int8,
    state_dict_bytes,
)
from modelhub.models.mlp import MLP
from modelhub.models.vision import LeNet
from modelhub.registry import RegistryError

torch.set_num_threads(1)


def _lenet():
    torch.manual_seed(0)
    return LeNet()


def _weights(model):
    return [m.weight for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]


def test_state_dict_bytes_grow_by_four_bytes_per_float_parameter():
    small, big = nn.Linear(10, 10), nn.Linear(100, 100)
    extra = (100 * 100 + 100) - (10 * 10 + 10)
    assert state_dict_bytes(big) - state_dict_bytes(small) == pytest.approx(4 * extra, rel=0.02)


def test_csr_pays_off_only_at_high_sparsity():
    dense, sparse = nn.Linear(200, 200), nn.Linear(200, 200)
    with torch.no_grad():
        sparse.weight[torch.rand(200, 200, generator=torch.Generator().manual_seed(0)) < 0.9] = 0
    assert csr_bytes(dense) > state_dict_bytes(dense)  # no zeros: indices are pure overhead
    assert csr_bytes(sparse) < 0.3 * state_dict_bytes(sparse)  # 90 % zeros: ~8 bytes × 10 % of the weights


def test_global_pruning_zeroes_the_requested_share_of_all_weights_but_not_per_layer():
    pruned = prune_global(_lenet(), 0.8)
    weights = _weights(pruned)
    total = sum(w.numel() for w in weights)
    zeros = sum(int((w == 0).sum()) for w in weights)
    assert zeros == round(0.8 * total)
    per_layer = [float((w == 0).float().mean()) for w in weights]
    assert max(per_layer) - min(per_layer) > 0.1  # pooled magnitudes: layers lose different fractions


def test_pruning_mask_survives_training_and_is_made_permanent():
    pruned = prune_global(_lenet(), 0.5)
    mask = [w == 0 for w in _weights(pruned)]
    optimiser = torch.optim.SGD(pruned.parameters(), lr=0.5)
    loss = F.cross_entropy(pruned(torch.rand(8, 1, 28, 28)), torch.arange(8))
    loss.backward()
    optimiser.step()
    assert all((w[m] == 0).all() for w, m in zip(_weights(pruned), mask, strict=True))
    make_permanent(pruned)
    keys = set(pruned.state_dict())
    assert not any(k.endswith(("_orig", "_mask")) for k in keys)
    assert all((w[m] == 0).all() for w, m in zip(_weights(pruned), mask, strict=True))
    assert nonzero_parameters(pruned) < nonzero_parameters(_lenet())
    assert state_dict_bytes(pruned) == state_dict_bytes(_lenet())  # dense storage keeps the zeros


def test_dynamic_int8_quantises_linear_layers_only_and_stays_close():
    model = _lenet().eval()
    quantised = quantize_int8(model)
    dynamic = torch.ao.nn.quantized.dynamic.Linear
    assert sum(isinstance(m, dynamic) for m in quantised.modules()) == 3
    assert sum(type(m) is nn.Linear for m in quantised.modules()) == 0
    assert sum(type(m) is nn.Conv2d for m in quantised.modules()) == 2  # no dynamic conv kernels: convs stay fp32
    assert state_dict_bytes(quantised) < 0.5 * state_dict_bytes(model)
    x = torch.from_numpy(np.ascontiguousarray(load_images("digits", size=28).x_test[:64]))
    with torch.no_grad():
        diff = (quantised(x) - model(x)).abs().max()
        scale = model(x).abs().max()
    assert diff < 0.05 * scale
    assert isinstance(model.classifier[1], nn.Linear)  # the float model itself is left as it was


def test_distillation_loss_reduces_to_its_parts():
    data = load_images("digits", size=28)
    student = MLP(28 * 28, 16, 10)
    x = torch.from_numpy(np.ascontiguousarray(data.x_train[:16]))
    y = torch.from_numpy(data.y_train[:16])
    with torch.no_grad():
        own = student(x)
    logits = torch.zeros(len(data.y_train), 10)
    hard_only = Distillation(student, data, logits, temperature=4.0, alpha=0.0)
    assert torch.isclose(hard_only.loss(student, (x, y, own)), F.cross_entropy(student(x), y))
    # A teacher that agrees with the student exactly leaves only the (1 − α) hard term.
    mixed = Distillation(student, data, logits, temperature=4.0, alpha=0.9)
    assert torch.isclose(mixed.loss(student, (x, y, own)), 0.1 * F.cross_entropy(student(x), y), atol=1e-6)
    assert len(mixed.get_batch("train", 4, torch.Generator().manual_seed(0))) == 3
    assert len(mixed.get_batch("val", 4, torch.Generator().manual_seed(0))) == 2


def test_latency_is_measured_on_one_thread_and_the_thread_count_restored():
    torch.set_num_threads(2)
    try:
        times = latencies_ms({"a": nn.Linear(8, 8), "b": nn.Linear(8, 2)}, torch.rand(4, 8), repeats=3)
        assert set(times) == {"a", "b"} and all(t > 0 for t in times.values())
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)


def test_smoke_run_reports_every_variant_consistently():
    recipe = registry.create("compression", "smoke", threads=1).fit()
    m = recipe.evaluate()
    assert m["int8_accuracy_drop"] == pytest.approx(m["float_accuracy"] - m["int8_accuracy"])
    assert m["int8_bytes"] < m["float_bytes"] and 0.9 < m["int8_quantised_fraction"] < 1
    prunable = sum(w.numel() for w in _weights(recipe.variants["float"]))
    biases = m["float_nonzero"] - prunable
    for tag, amount in (("pruned50", 0.5), ("pruned80", 0.8)):
        assert m[f"{tag}_bytes"] == m["float_bytes"]
        assert m[f"{tag}_nonzero"] <= biases + round((1 - amount) * prunable)
    assert m["pruned80_csr_bytes"] < m["float_bytes"] < m["pruned50_csr_bytes"] * 1.1
    assert m["distillation_gain"] == pytest.approx(m["student_distilled_accuracy"] - m["student_alone_accuracy"])
    assert m["student_params"] == 28 * 28 * 16 + 16 + 16 * 10 + 10 == 12730  # 29 % of LeNet's 44,426
    heatmap, curve = recipe.figures()
    assert len(heatmap["z"]) == 6 and all(len(row) == 4 for row in heatmap["z"])
    assert heatmap["z"][0] == [1.0, 1.0, 1.0, 1.0]  # the float model relative to itself
    assert len(curve["x"]) == len(curve["series"]["test accuracy"])
    assert curve["series"]["test accuracy"][0] == pytest.approx(m["float_accuracy"])
    predicted = recipe.predict(recipe.predict_inputs())
    assert float((predicted == recipe.y_test).float().mean()) == pytest.approx(m["int8_accuracy"])


def test_bad_pruning_amount_is_refused():
    with pytest.raises(RegistryError, match="prune_high"):
        registry.create("compression", "smoke", prune_high=1.0)
