"""004 §4.1's self-attention worked example (004:L206-246): what it prints, and the corrected computation.

Pure numpy, no torch and no registry, so the Errata page can call it directly.

The formula is printed correctly (004:L207): Attention(Q, K, V) = softmax(QKᵀ / √d_k) V. The worked example
for the sentence "I love AI" with d_k = d_v = 512 (004:L223-246) then:

1. lists **four** vectors q1…q4, k1…k4, v1…v4 for a sentence of **three** words (004:L226-231);
2. writes QKᵀ as the 4×4 matrix of q_i·k_j (004:L233-238) — correct for four vectors — but takes its softmax
   with **no 1/√d_k** (004:L240), the scaling the formula two lines above requires (√512 ≈ 22.6);
3. shows softmax(QKᵀ) as **one row** [p1 p2 p3 p4] (004:L240-242), where it is a 4×4 row-stochastic matrix;
4. writes the output as [p1v1 p2v2 p3v3 p4v4] (004:L244-246): each value scaled by its own weight and left
   unsummed, where output_i = Σ_j p_ij v_j.

The document gives symbols, not numbers, so ``example`` draws the vectors (seeded normal entries, as in an
untrained embedding) and ``as_printed`` follows its four steps literally: the printed row is the first
query's weights, the printed output the list p_j·v_j (whose *sum* would be that query's correct output, had
the scores been scaled). ``attention`` is the corrected computation, applied to the three words.
Why the scaling matters: with unit-variance entries q·k has variance d_k, so unscaled scores spread over
±√d_k ≈ ±23 and the softmax is nearly one-hot; dividing by √d_k brings the variance back to 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

WORDS = ("I", "love", "AI")
PRINTED_VECTORS = 4  # q1…q4 in the document, for three words
D_K = 512  # the document's d_k = d_v


def softmax(scores: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``, shifted by the maximum so large scores do not overflow."""
    shifted = scores - scores.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, *, scale: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Scaled dot-product attention: (weights softmax(QKᵀ/√d_k), output weights·V).

    ``q``: n×d_k, ``k``: m×d_k, ``v``: m×d_v; each row of the n×m weights sums to 1 and output row i is
    Σ_j weights[i, j]·v_j. ``scale=False`` drops the 1/√d_k, as the document's example does.
    """
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    if q.ndim != 2 or k.ndim != 2 or v.ndim != 2 or q.shape[1] != k.shape[1] or k.shape[0] != v.shape[0]:
        raise ValueError(f"need q n×d_k, k m×d_k, v m×d_v; got {q.shape}, {k.shape}, {v.shape}")
    scores = q @ k.T
    if scale:
        scores = scores / np.sqrt(q.shape[1])
    weights = softmax(scores, axis=1)
    return weights, weights @ v


def as_printed(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> dict[str, np.ndarray]:
    """The document's four steps taken literally on the given vectors (see the module docstring).

    Returns ``scores`` (QKᵀ, unscaled), ``weights`` (its row-wise softmax, the matrix step 3 should have shown),
    ``printed_row`` (the single row [p1 … p_m] step 3 prints: the first query's weights) and ``printed_output``
    (step 4's [p_j·v_j], one row per value vector, unsummed).
    """
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    scores = q @ k.T
    weights = softmax(scores, axis=1)
    row = weights[0]
    return {"scores": scores, "weights": weights, "printed_row": row, "printed_output": row[:, None] * v}


def draw_vectors(n: int, d_k: int = D_K, d_v: int | None = None, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Q, K, V with independent standard-normal entries (n×d_k, n×d_k, n×d_v), from ``seed``."""
    rng = np.random.default_rng(seed)
    d_v = d_k if d_v is None else d_v
    return rng.standard_normal((n, d_k)), rng.standard_normal((n, d_k)), rng.standard_normal((n, d_v))


def row_entropy(weights: np.ndarray) -> np.ndarray:
    """Entropy (nats) of each row of a row-stochastic matrix: 0 = one-hot, ln m = uniform."""
    w = np.clip(weights, 1e-300, 1.0)
    return -(weights * np.log(w)).sum(axis=1)


def example(d_k: int = D_K, seed: int = 0) -> dict[str, Any]:
    """The worked example both ways, on the same drawn vectors.

    As printed: four vectors, no scaling. Corrected: the first three (one per word), scaled by 1/√d_k.
    Also the first three vectors unscaled, so the page can show the scaling's effect on the same words.
    """
    q, k, v = draw_vectors(PRINTED_VECTORS, d_k, seed=seed)
    printed = as_printed(q, k, v)
    n = len(WORDS)
    weights, output = attention(q[:n], k[:n], v[:n])
    unscaled_weights, _ = attention(q[:n], k[:n], v[:n], scale=False)
    return {
        "d_k": d_k, "words": list(WORDS), "q": q[:n], "k": k[:n], "v": v[:n],
        "printed": printed, "printed_labels": [f"{i + 1}" for i in range(PRINTED_VECTORS)],
        "weights": weights, "output": output, "unscaled_weights": unscaled_weights,
    }
