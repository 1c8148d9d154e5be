"""The demonstration entries: gradient descent's learning-rate behaviour, hand-written back-propagation against
autograd and finite differences, and the attention example's figures."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from modelhub import registry
from modelhub.models import demos

torch.set_num_threads(1)


def test_gradient_descent_converges_below_the_stability_limit_and_diverges_above_it():
    x, y, _ = demos.least_squares_problem(100, (1.0, 3.0), 0.5, seed=1)
    limit = 2.0 / np.linalg.eigvalsh(2.0 / len(y) * x.T @ x)[-1]
    optimum = demos.mse(x, y, np.linalg.lstsq(x, y, rcond=None)[0])
    good, _ = demos.gradient_descent(x, y, 0.8 * limit, 300)
    assert good[-1] == pytest.approx(optimum, rel=1e-9)
    bad, path = demos.gradient_descent(x, y, 1.1 * limit, 300)
    assert bad[-1] is None and len(bad) == 301 and len(path) < 301


def test_one_gradient_step_on_a_one_point_problem_is_the_hand_computed_update():
    # One sample x = (1, 2), y = 3, w = 0: loss 9, gradient 2·(0 − 3)·x = (−6, −12); lr 0.1 → w = (0.6, 1.2).
    x, y = np.array([[1.0, 2.0]]), np.array([3.0])
    losses, path = demos.gradient_descent(x, y, 0.1, 1)
    assert losses[0] == 9.0 and path[1] == pytest.approx([0.6, 1.2])
    assert losses[1] == pytest.approx((0.6 + 2.4 - 3.0) ** 2)


def test_gradient_descent_entry_reports_the_best_rate_and_figures_per_rate():
    recipe = registry.create("gradient_descent", "smoke", learning_rates="0.01,0.05")
    metrics = recipe.fit().evaluate()
    assert metrics["best_lr"] == 0.05 and metrics["final_loss"] == metrics["final_loss_lr_0.05"]
    assert metrics["final_loss"] >= metrics["optimal_loss"] - 1e-12
    lines = recipe.figures()[0]
    assert lines["kind"] == "lines" and set(lines["series"]) == {"lr 0.01", "lr 0.05"}
    assert all(len(v) == len(lines["x"]) for v in lines["series"].values())
    json.dumps(recipe.figures(), allow_nan=False)  # stored with the run: no NaN or infinity


@pytest.mark.parametrize("text", ["", "0.1,fast", "0.1,-1", "nan"])
def test_bad_learning_rate_lists_are_refused(text):
    with pytest.raises(ValueError, match="learning_rates"):
        demos.parse_rates(text)


def test_figures_are_thinned_to_a_bounded_number_of_points():
    assert demos.thin(5) == [0, 1, 2, 3, 4]
    idx = demos.thin(20_001)
    assert len(idx) == demos.MAX_POINTS and idx[0] == 0 and idx[-1] == 20_000


def test_hand_written_gradients_match_autograd_and_finite_differences():
    x, y = demos.xor_data(16, 0.2, seed=2)
    params = demos.init_params(5, seed=2)
    _, grads = demos.backward(params, x, y)
    auto = demos.autograd_gradients(params, x, y)
    assert all(np.abs(grads[k] - auto[k]).max() < 1e-12 for k in grads)
    # A central difference on one weight, independent of both.
    eps = 1e-6
    plus = {k: v.copy() for k, v in params.items()}
    minus = {k: v.copy() for k, v in params.items()}
    plus["W1"][1, 3] += eps
    minus["W1"][1, 3] -= eps
    numeric = (demos.backward(plus, x, y)[0] - demos.backward(minus, x, y)[0]) / (2 * eps)
    assert grads["W1"][1, 3] == pytest.approx(numeric, abs=1e-8)


def test_backprop_entry_learns_xor_and_meets_its_bar():
    recipe = registry.create("backprop", "smoke", steps=600, check_every=200)
    metrics = recipe.fit().evaluate()
    entry = registry.get("backprop")
    assert entry.passes(metrics["max_abs_grad_diff"]) and metrics["gradient_checks"] == 4.0
    assert metrics["accuracy"] >= 0.95 and metrics["final_loss"] < recipe.losses[0]
    heat = recipe.figures()[-1]
    assert heat["kind"] == "heatmap" and np.asarray(heat["z"]).shape == (21, 21)


def test_attention_entry_draws_the_printed_and_corrected_heat_maps():
    recipe = registry.create("attention_example", "smoke")
    metrics = recipe.fit().evaluate()
    assert registry.get("attention_example").passes(metrics["max_abs_diff_torch"])
    printed, corrected = recipe.figures()
    assert np.asarray(printed["z"]).shape == (4, 4) and printed["y"] == ["q1", "q2", "q3", "q4"]
    assert np.asarray(corrected["z"]).shape == (3, 3) and corrected["x"] == ["I", "love", "AI"]
    assert np.asarray(corrected["z"]) == pytest.approx(recipe.example["weights"])
    assert metrics["sqrt_d_k"] == 8.0  # smoke d_k = 64
