"""004 §4.1's attention example: the corrected computation against values worked out by hand, and what the
document's literal reading prints."""

from __future__ import annotations

import math

import numpy as np
import pytest

from modelhub.models import attention_errata as ae

# Three words, d_k = 4 so √d_k = 2: hand-sized numbers.
Q = np.array([[2.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]])
K = np.array([[2.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0]])
V = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])


def test_scaled_attention_matches_the_hand_computation():
    # QKᵀ = [[4,0,0],[0,4,0],[2,2,0]]; ÷ √4 = 2 → [[2,0,0],[0,2,0],[1,1,0]].
    weights, output = ae.attention(Q, K, V)
    z0 = math.exp(2) + 2  # row 0: e², e⁰, e⁰
    z2 = 2 * math.e + 1  # row 2: e¹, e¹, e⁰
    expected = np.array([[math.exp(2) / z0, 1 / z0, 1 / z0],
                         [1 / z0, math.exp(2) / z0, 1 / z0],
                         [math.e / z2, math.e / z2, 1 / z2]])
    assert weights == pytest.approx(expected, abs=1e-12)
    # output_i = Σ_j p_ij v_j, with v = (1,0), (0,1), (1,1).
    expected_out = np.array([[(math.exp(2) + 1) / z0, 2 / z0],
                             [2 / z0, (math.exp(2) + 1) / z0],
                             [(math.e + 1) / z2, (math.e + 1) / z2]])
    assert output == pytest.approx(expected_out, abs=1e-12)


def test_dropping_the_scaling_sharpens_the_weights_as_the_document_does():
    weights, _ = ae.attention(Q, K, V, scale=False)
    z0 = math.exp(4) + 2  # unscaled row 0: e⁴, e⁰, e⁰
    assert weights[0] == pytest.approx([math.exp(4) / z0, 1 / z0, 1 / z0], abs=1e-12)
    assert weights[0, 0] > ae.attention(Q, K, V)[0][0, 0]


def test_equal_scores_give_uniform_weights_and_the_mean_of_the_values():
    q = np.ones((2, 3))
    k = np.ones((3, 3))
    weights, output = ae.attention(q, k, V)
    assert weights == pytest.approx(np.full((2, 3), 1 / 3), abs=1e-12)
    assert output == pytest.approx(np.array([[2 / 3, 2 / 3]] * 2), abs=1e-12)


def test_the_recomputation_agrees_with_torch():
    torch = pytest.importorskip("torch")
    q, k, v = ae.draw_vectors(3, 16, seed=3)
    expected = torch.nn.functional.scaled_dot_product_attention(*(torch.from_numpy(a)[None] for a in (q, k, v)))[0]
    assert ae.attention(q, k, v)[1] == pytest.approx(expected.numpy(), abs=1e-10)


def test_as_printed_shows_one_row_and_unsummed_products():
    printed = ae.as_printed(Q, K, V)
    z0 = math.exp(4) + 2
    assert printed["scores"] == pytest.approx(np.array([[4, 0, 0], [0, 4, 0], [2, 2, 0]]), abs=0)
    assert printed["printed_row"] == pytest.approx([math.exp(4) / z0, 1 / z0, 1 / z0], abs=1e-12)
    # [p1v1 p2v2 p3v3]: v_j scaled by its own weight, one row per value, not a weighted sum.
    p1, p2, p3 = math.exp(4) / z0, 1 / z0, 1 / z0
    assert printed["printed_output"] == pytest.approx(np.array([[p1, 0], [0, p2], [p3, p3]]), abs=1e-12)


def test_the_document_sized_example_has_four_printed_vectors_and_three_words():
    ex = ae.example(seed=0)
    assert ex["d_k"] == 512 and ex["words"] == ["I", "love", "AI"]
    assert ex["printed"]["weights"].shape == (4, 4) and ex["weights"].shape == (3, 3)
    assert ex["output"].shape == (3, 512)
    assert np.allclose(ex["weights"].sum(1), 1) and np.allclose(ex["printed"]["weights"].sum(1), 1)
    # Unit-variance entries: unscaled scores have std √512 ≈ 22.6, so the softmax is nearly one-hot (entropy
    # near 0, ln 3 ≈ 1.10 is uniform); scaled, the scores have std 1 and the rows spread. Averaged over seeds,
    # since one draw of three rows can hold a near tie.
    unscaled = np.mean([ae.row_entropy(ae.example(seed=s)["unscaled_weights"]).mean() for s in range(10)])
    scaled = np.mean([ae.row_entropy(ae.example(seed=s)["weights"]).mean() for s in range(10)])
    assert unscaled < 0.2 < 0.6 < scaled


def test_row_entropy_is_zero_for_one_hot_and_log_m_for_uniform():
    assert ae.row_entropy(np.eye(3)) == pytest.approx([0, 0, 0], abs=1e-12)
    assert ae.row_entropy(np.full((1, 4), 0.25)) == pytest.approx([math.log(4)], abs=1e-12)


def test_mismatched_shapes_are_refused():
    with pytest.raises(ValueError, match="need q"):
        ae.attention(np.ones((2, 3)), np.ones((2, 4)), np.ones((2, 2)))
