"""The arithmetic behind the Errata page: each wrong formula, worked example or listing of the documents,
recomputed as written and as it should be. Pure NumPy and Python, no framework: the counts follow the
frameworks' documented formulas (Keras' LSTM has one bias per gate, PyTorch's two).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict

import numpy as np

LOG_BASES: dict[str, float] = {"ln": math.e, "log2": 2.0, "log10": 10.0}


def neg_log(p: float, base: float = math.e) -> float:
    """−log_base(p), the loss of one probability."""
    if not 0.0 < p <= 1.0:
        raise ValueError(f"a probability in (0, 1] is needed, not {p}")
    return -math.log(p) / math.log(base)


def generator_loss(d_fake: float, base: float = math.e) -> float:
    """Non-saturating generator loss −log D(G(z)) (004:L257; 000 v1 at L134)."""
    return neg_log(d_fake, base)


def generator_loss_000_v2(d_fake: float, base: float = math.e) -> float:
    """000's second GAN listing (L341): −log(1 − D(x̂)). Minimising it drives D(x̂) to 0: the wrong way."""
    return neg_log(1.0 - d_fake, base)


def discriminator_loss(d_real: float, d_fake: float, base: float = math.e) -> float:
    """−[log D(x) + log(1 − D(G(z)))] (004:L276 with its missing parenthesis closed)."""
    return neg_log(d_real, base) + neg_log(1.0 - d_fake, base)


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    z = x - x.max(axis=axis, keepdims=True)  # shifted: exp never overflows
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, *, scaled: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(weights, output) of softmax(QKᵀ/√d_k)V for rows of Q, K, V; ``scaled=False`` drops the √d_k as 004's
    example does. Weights are n×n and row-stochastic; output row i is Σ_j p_ij v_j."""
    scores = q @ k.T
    if scaled:
        scores = scores / math.sqrt(k.shape[-1])
    weights = softmax(scores, axis=-1)
    return weights, weights @ v


def attention_example(tokens: tuple[str, ...] = ("I", "love", "AI"), d_k: int = 512, seed: int = 0
                      ) -> dict[str, np.ndarray]:
    """004 §4.1's example done right: one query, key and value per token (seeded N(0, 1) vectors of d_k)."""
    rng = np.random.default_rng(seed)
    q, k, v = (rng.standard_normal((len(tokens), d_k)) for _ in range(3))
    w_scaled, out_scaled = attention(q, k, v, scaled=True)
    w_raw, _ = attention(q, k, v, scaled=False)
    return {"q": q, "k": k, "v": v, "weights": w_scaled, "weights_unscaled": w_raw, "output": out_scaled}


def vae_kl(mu: np.ndarray, log_var: np.ndarray) -> float:
    """KL(N(μ, σ²) ‖ N(0, 1)) summed over dimensions: −½ Σ (1 + log σ² − μ² − σ²)."""
    mu, log_var = np.asarray(mu, dtype=float), np.asarray(log_var, dtype=float)
    return float(-0.5 * np.sum(1.0 + log_var - mu**2 - np.exp(log_var)))


def vae_kl_as_written(mu: np.ndarray, log_var: np.ndarray) -> float:
    """000:L154 read as arithmetic: −0.5·Σ(1 + log σ² − μ² − log σ²); the log-variance cancels out."""
    mu, log_var = np.asarray(mu, dtype=float), np.asarray(log_var, dtype=float)
    return float(-0.5 * np.sum(1.0 + log_var - mu**2 - log_var))


def ngram_as_written(word_sequence: str = "I like to eat pizza.", next_word: str = "a") -> tuple[dict[str, int], float]:
    """000:L233-247 executed line for line: counts of 2-character slices, and the printed probability."""
    n_gram_freq: defaultdict[str, int] = defaultdict(int)
    for i in range(len(word_sequence) - 1):
        n_gram_freq[word_sequence[i:i + 2]] += 1
    # The listing looks up a tuple among string keys; a defaultdict answers 0 and stores the miss, as here.
    prob = n_gram_freq[(word_sequence[-2], next_word)] / (len(word_sequence) - 1)  # type: ignore[index]
    return dict(n_gram_freq), prob


def tokenize(text: str) -> list[str]:
    """Words and sentence punctuation as separate tokens ("pizza." → "pizza", ".")."""
    out: list[str] = []
    for word in text.split():
        stripped = word.rstrip(".,!?;:")
        if stripped:
            out.append(stripped)
        out.extend(word[len(stripped):])
    return out


def bigram_probability(tokens: list[str], previous: str, word: str, *, add_k: float = 0.0,
                       vocabulary: int | None = None) -> float:
    """P(word | previous) = (C(previous, word) + k) / (C(previous) + k·V): MLE at k = 0, Laplace at k = 1."""
    pairs = Counter(itertools.pairwise(tokens))
    history = Counter(tokens[:-1])
    v = vocabulary if vocabulary is not None else len(set(tokens) | {word})
    denominator = history[previous] + add_k * v
    return (pairs[(previous, word)] + add_k) / denominator if denominator else 0.0


def keras_lstm_params(input_dim: int, units: int) -> int:
    """Keras LSTM: 4 gates × (input and recurrent kernels + one bias)."""
    return 4 * ((input_dim + units) * units + units)


def torch_lstm_params(input_dim: int, units: int) -> int:
    """torch.nn.LSTM: the same kernels with two bias vectors (b_ih and b_hh) per gate."""
    return 4 * ((input_dim + units) * units + 2 * units)


def dense_params(inputs: int, units: int) -> int:
    return inputs * units + units


def lstm_listing_params(vocab: int = 10_000, embedding: int = 256, units: int = 1024) -> dict[str, int]:
    """004:L327-354 as written (no output layer) and with the missing Dense(vocab) head, Keras and PyTorch."""
    emb = vocab * embedding
    keras = emb + keras_lstm_params(embedding, units) + keras_lstm_params(units, units)
    torch = emb + torch_lstm_params(embedding, units) + torch_lstm_params(units, units)
    head = dense_params(units, vocab)
    return {"embedding": emb, "lstm_1": keras_lstm_params(embedding, units), "lstm_2": keras_lstm_params(units, units),
            "head": head, "keras_as_written": keras, "keras_with_head": keras + head,
            "torch_as_written": torch, "torch_with_head": torch + head}


def conv_out(size: int, kernel: int, stride: int = 1, padding: str = "valid") -> int:
    """Spatial size after a Keras Conv2D/MaxPooling2D ('valid': ⌊(n − k)/s⌋ + 1; 'same': ⌈n/s⌉)."""
    if padding == "same":
        return -(-size // stride)
    return (size - kernel) // stride + 1


def ssd300_default_boxes() -> int:
    """Default boxes of SSD300 (Liu et al. 2016): six feature maps with 4 or 6 boxes per location."""
    maps = ((38, 4), (19, 6), (10, 6), (5, 6), (3, 4), (1, 4))
    return sum(side * side * boxes for side, boxes in maps)


def naive_bayes_scores(priors: np.ndarray, likelihoods: np.ndarray, evidence: np.ndarray) -> dict[str, np.ndarray]:
    """Scores per class of one document: ``likelihoods[c, f]`` = P(f | c), ``evidence[f]`` = P(f).

    as written (001:L174-177): Π_f P(f|c)·P(f), no prior; correct: log P(c) + Σ_f log P(f|c).
    """
    as_written = np.prod(likelihoods * evidence[None, :], axis=1)
    log_posterior = np.log(priors) + np.log(likelihoods).sum(axis=1)
    return {"as_written": as_written, "log_posterior": log_posterior}


def convnet_flatten(size: int, *, pooled: bool = False) -> int:
    """001:L948-968's ConvNet: features after conv1 (1→6, 3×3) and conv2 (6→16, 3×3), with or without the
    2×2 max-pool after each ReLU that the PyTorch tutorial it copies has."""
    s = conv_out(size, 3)
    if pooled:
        s //= 2
    s = conv_out(s, 3)
    if pooled:
        s //= 2
    return 16 * s * s
