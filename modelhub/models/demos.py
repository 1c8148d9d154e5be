"""Small demonstrations of the documents' formulas, each a fit recipe whose ``fit`` runs the demo.

* ``gradient_descent`` — 003 §10.1's MSE (003:L521-524) and gradient-descent loop (003:L526-534) on a 2-D
  least-squares problem, one run per learning rate. The document's loop updates per sample and leaves
  ``learning_rate`` and ``num_epochs`` undefined; here the update is full-batch (so the runs are deterministic
  and comparable), w ← w − η·(2/n)·Xᵀ(Xw − y). The loss is a quadratic with Hessian H = (2/n)·XᵀX, so gradient
  descent converges exactly when η < 2/λ_max(H) (reported as ``lr_limit``) and is slowest along λ_min.
  Metric: ``final_loss``, the lowest final MSE over the learning rates (``optimal_loss`` is the least-squares
  minimum from ``numpy.linalg.lstsq``). A run whose loss passes 1e12 × its first loss is stopped as diverged.
* ``backprop`` — 003 §10.1's back-propagation (003:L536-544, pseudocode whose ``model.backward_gradients`` is
  no real API): a 2-layer network (tanh hidden layer, sigmoid output, MSE) on noisy XOR, its gradients
  written out by the chain rule in numpy, trained by gradient descent and checked against
  ``torch.autograd`` (float64) every ``check_every`` steps. Metric: ``max_abs_grad_diff`` over every check and
  parameter (bar ≤ 1e-6).
* ``attention_example`` — 004 §4.1's worked example (004:L206-246) as printed and recomputed correctly
  (``modelhub.models.attention_errata``), checked against torch's ``scaled_dot_product_attention``.
  Metric: ``max_abs_diff_torch`` (bar ≤ 1e-9).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from modelhub.models import attention_errata as ae
from modelhub.recipes import FitRecipe
from modelhub.registry import register

DIVERGED = 1e12  # a loss this many times its starting value counts as diverged
MAX_POINTS = 501  # figures are stored with the run: long curves are thinned to this many points


def thin(length: int, points: int = MAX_POINTS) -> list[int]:
    """At most ``points`` evenly spaced indices into a sequence of ``length``, first and last included."""
    if length < 1:
        return []
    return np.unique(np.rint(np.linspace(0, length - 1, min(length, points))).astype(int)).tolist()


def parse_rates(text: str) -> list[float]:
    """'0.01, 0.1' → [0.01, 0.1]; refuses an empty list and rates that are not positive numbers."""
    try:
        rates = [float(part) for part in str(text).split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"learning_rates must be comma-separated numbers, not {text!r}") from None
    if not rates or any(not np.isfinite(r) or r <= 0 for r in rates):
        raise ValueError(f"learning_rates needs positive numbers, not {text!r}")
    return rates


def least_squares_problem(n: int, scales: tuple[float, float], noise: float, seed: int
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X (n×2, column j scaled by scales[j]), y = X·w_true + noise·ε, and w_true = (2, −1)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2)) * np.asarray(scales)
    w_true = np.array([2.0, -1.0])
    return x, x @ w_true + noise * rng.standard_normal(n), w_true


def mse(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """003:L523: (1/n)·Σ (ŷ_i − y_i)²."""
    return float(np.mean((x @ w - y) ** 2))


def gradient_descent(x: np.ndarray, y: np.ndarray, lr: float, steps: int) -> tuple[list[float | None], np.ndarray]:
    """Full-batch gradient descent on the MSE from w = 0: the loss before each step and after the last (None
    once diverged), and the path of w (steps + 1 rows, fewer when it diverged)."""
    w = np.zeros(x.shape[1])
    losses: list[float | None] = [mse(x, y, w)]
    path = [w.copy()]
    for _ in range(steps):
        w = w - lr * (2.0 / len(y)) * x.T @ (x @ w - y)
        loss = mse(x, y, w)
        if not np.isfinite(loss) or loss > DIVERGED * losses[0]:
            losses += [None] * (steps + 1 - len(losses))
            break
        losses.append(loss)
        path.append(w.copy())
    return losses, np.asarray(path)


class GradientDescentDemo(FitRecipe):
    """Gradient descent on least squares at several learning rates (see the module docstring)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.rates = parse_rates(config["learning_rates"])
        self.x, self.y, self.w_true = least_squares_problem(
            config["n_samples"], (config["scale_1"], config["scale_2"]), config["noise"], config["seed"])
        self.runs: dict[float, tuple[list[float | None], np.ndarray]] = {}

    def fit(self) -> GradientDescentDemo:
        self.runs = {lr: gradient_descent(self.x, self.y, lr, self.config["steps"]) for lr in self.rates}
        return self

    def _final(self, lr: float) -> float:
        losses, path = self.runs[lr]
        return losses[-1] if losses[-1] is not None else mse(self.x, self.y, path[-1])

    def best_lr(self) -> float:
        return min(self.rates, key=self._final)

    def evaluate(self) -> dict[str, float]:
        hessian = 2.0 / len(self.y) * self.x.T @ self.x
        eig = np.linalg.eigvalsh(hessian)
        optimum = mse(self.x, self.y, np.linalg.lstsq(self.x, self.y, rcond=None)[0])
        best = self.best_lr()
        out = {"final_loss": self._final(best), "optimal_loss": optimum, "excess_loss": self._final(best) - optimum,
               "best_lr": best, "lr_limit": float(2.0 / eig[-1]), "condition_number": float(eig[-1] / eig[0]),
               "diverged_runs": float(sum(self.runs[lr][0][-1] is None for lr in self.rates))}
        out.update({f"final_loss_lr_{lr:g}": self._final(lr) for lr in self.rates})
        return out

    def fit_units(self) -> int:
        return len(self.rates) * self.config["steps"] * len(self.y)  # per-sample gradient terms computed

    def predict_inputs(self) -> np.ndarray:
        return self.x

    def predict(self, inputs: Any) -> np.ndarray:
        return np.asarray(inputs) @ self.runs[self.best_lr()][1][-1]

    def parameter_count(self) -> int:
        return 2

    def figures(self) -> list[dict[str, Any]]:
        if not self.runs:
            return []
        steps = thin(self.config["steps"] + 1)
        series = {f"lr {lr:g}": [self.runs[lr][0][i] for i in steps] for lr in self.rates}
        logs = {k: [None if v is None else float(np.log10(v)) for v in vals] for k, vals in series.items()}
        paths = [(float(a), float(b), f"lr {lr:g}") for lr in self.rates
                 for a, b in self.runs[lr][1][thin(len(self.runs[lr][1]), 100)]]
        limit = self.evaluate()["lr_limit"]
        return [
            {"kind": "lines", "title": f"MSE per step (converges for lr < {limit:.3g})", "x": steps,
             "series": series, "x_label": "step", "y_label": "MSE"},
            {"kind": "lines", "title": "log10 MSE per step", "x": steps, "series": logs, "x_label": "step",
             "y_label": "log10 MSE"},
            {"kind": "scatter", "title": "Path of (w1, w2) from (0, 0); the least-squares optimum is near (2, −1)",
             "x": [p[0] for p in paths], "y": [p[1] for p in paths], "labels": [p[2] for p in paths]},
        ]


def xor_data(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n points around the corners (±1, ±1), label 1 where the signs differ (XOR), Gaussian noise added."""
    rng = np.random.default_rng(seed)
    corners = rng.choice([-1.0, 1.0], size=(n, 2))
    return corners + noise * rng.standard_normal((n, 2)), (corners[:, 0] != corners[:, 1]).astype(float)[:, None]


def init_params(hidden: int, seed: int) -> dict[str, np.ndarray]:
    """W1 2×hidden, b1, W2 hidden×1, b2; weights N(0, 1/fan_in), biases 0."""
    rng = np.random.default_rng(seed)
    return {"W1": rng.standard_normal((2, hidden)) / np.sqrt(2), "b1": np.zeros(hidden),
            "W2": rng.standard_normal((hidden, 1)) / np.sqrt(hidden), "b2": np.zeros(1)}


def forward(p: dict[str, np.ndarray], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hidden activations tanh(xW1 + b1) and outputs sigmoid(hW2 + b2)."""
    h = np.tanh(x @ p["W1"] + p["b1"])
    return h, 1.0 / (1.0 + np.exp(-(h @ p["W2"] + p["b2"])))


def backward(p: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
    """MSE loss and its gradients by the chain rule, written out layer by layer."""
    h, out = forward(p, x)
    loss = float(np.mean((out - y) ** 2))
    d_out = 2.0 * (out - y) / out.size  # ∂L/∂out
    d_z2 = d_out * out * (1.0 - out)  # sigmoid′ = σ(1 − σ)
    d_h = d_z2 @ p["W2"].T
    d_z1 = d_h * (1.0 - h ** 2)  # tanh′ = 1 − tanh²
    return loss, {"W1": x.T @ d_z1, "b1": d_z1.sum(0), "W2": h.T @ d_z2, "b2": d_z2.sum(0)}


def autograd_gradients(p: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """The same loss's gradients from torch.autograd, in float64."""
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in p.items()}
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    out = torch.sigmoid(torch.tanh(xt @ t["W1"] + t["b1"]) @ t["W2"] + t["b2"])
    torch.mean((out - yt) ** 2).backward()
    return {k: v.grad.numpy() for k, v in t.items()}


class BackpropDemo(FitRecipe):
    """Hand-written back-propagation, trained and checked against autograd (see the module docstring)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.x, self.y = xor_data(config["n_samples"], config["noise"], config["seed"])
        self.params = init_params(config["hidden"], config["seed"])
        self.losses: list[float] = []
        self.diffs: list[tuple[int, float]] = []

    def fit(self) -> BackpropDemo:
        cfg = self.config
        self.params = init_params(cfg["hidden"], cfg["seed"])
        self.losses, self.diffs = [], []
        for step in range(cfg["steps"] + 1):
            loss, grads = backward(self.params, self.x, self.y)
            self.losses.append(loss)
            if step % cfg["check_every"] == 0 or step == cfg["steps"]:
                auto = autograd_gradients(self.params, self.x, self.y)
                self.diffs.append((step, max(float(np.abs(grads[k] - auto[k]).max()) for k in grads)))
            if step < cfg["steps"]:
                self.params = {k: v - cfg["lr"] * grads[k] for k, v in self.params.items()}
        return self

    def evaluate(self) -> dict[str, float]:
        _, out = forward(self.params, self.x)
        return {"max_abs_grad_diff": max((d for _, d in self.diffs), default=float("inf")),
                "gradient_checks": float(len(self.diffs)), "final_loss": self.losses[-1] if self.losses else 1.0,
                "accuracy": float(np.mean((out > 0.5) == (self.y > 0.5)))}

    def fit_units(self) -> int:
        return (self.config["steps"] + 1) * len(self.y)

    def predict_inputs(self) -> np.ndarray:
        return self.x

    def predict(self, inputs: Any) -> np.ndarray:
        return forward(self.params, np.asarray(inputs, dtype=np.float64))[1]

    def parameter_count(self) -> int:
        return sum(v.size for v in self.params.values())

    def figures(self) -> list[dict[str, Any]]:
        if not self.losses:
            return []
        grid = np.linspace(-2, 2, 21)
        xx, yy = np.meshgrid(grid, grid)
        z = self.predict(np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
        ticks = [f"{g:g}" for g in grid]
        steps = thin(len(self.losses))
        return [
            {"kind": "lines", "title": "Training loss (MSE), hand-written gradients", "x": steps,
             "series": {"MSE": [self.losses[i] for i in steps]}, "x_label": "step", "y_label": "MSE"},
            {"kind": "lines", "title": "max |hand-written − autograd| gradient at each check",
             "x": [s for s, _ in self.diffs], "series": {"max abs difference": [d for _, d in self.diffs]},
             "x_label": "step", "y_label": "max abs difference"},
            {"kind": "heatmap", "title": "P(XOR = 1) learned over the plane", "z": z.tolist(), "x": ticks, "y": ticks},
        ]


class AttentionDemo(FitRecipe):
    """004 §4.1's attention example as printed and corrected, checked against torch (see the module docstring)."""

    unit = "token"

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.example: dict[str, Any] = {}
        self.torch_diff = float("inf")

    def fit(self) -> AttentionDemo:
        self.example = ex = ae.example(self.config["d_k"], self.config["seed"])
        expected = torch.nn.functional.scaled_dot_product_attention(
            *(torch.from_numpy(ex[key])[None] for key in ("q", "k", "v")))[0].numpy()
        self.torch_diff = float(np.abs(ex["output"] - expected).max())
        return self

    def evaluate(self) -> dict[str, float]:
        ex = self.example or ae.example(self.config["d_k"], self.config["seed"])
        printed = ex["printed"]["weights"]
        return {"max_abs_diff_torch": self.torch_diff, "sqrt_d_k": float(np.sqrt(ex["d_k"])),
                "printed_row_max_mean": float(printed.max(1).mean()),
                "scaled_row_max_mean": float(ex["weights"].max(1).mean()),
                "unscaled_entropy_mean": float(ae.row_entropy(ex["unscaled_weights"]).mean()),
                "scaled_entropy_mean": float(ae.row_entropy(ex["weights"]).mean())}

    def fit_units(self) -> int:
        return ae.PRINTED_VECTORS + len(ae.WORDS)  # query rows computed: four as printed, three corrected

    def predict_inputs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return ae.draw_vectors(len(ae.WORDS), self.config["d_k"], seed=self.config["seed"])

    def predict(self, inputs: Any) -> np.ndarray:
        return ae.attention(*inputs)[1]

    def predict_units(self, inputs: Any) -> int:
        return len(inputs[0])

    def figures(self) -> list[dict[str, Any]]:
        if not self.example:
            return []
        ex = self.example
        labels = ex["printed_labels"]
        return [
            {"kind": "heatmap", "title": f"As printed (004:L233-242): softmax(QKᵀ), four vectors, no 1/√d_k "
             f"(d_k = {ex['d_k']})", "z": ex["printed"]["weights"].tolist(),
             "x": [f"k{i}" for i in labels], "y": [f"q{i}" for i in labels]},
            {"kind": "heatmap", "title": f"Corrected: softmax(QKᵀ/√d_k) for \"I love AI\" (√d_k = "
             f"{np.sqrt(ex['d_k']):.2f})", "z": ex["weights"].tolist(), "x": ex["words"], "y": ex["words"]},
        ]


_COMMON = {"family": "demo", "task": "demonstration"}


@register("gradient_descent", source="003 §10.1 (headed 8.1), 003:L521-534", dataset="synthetic least squares",
          metric="final_loss", higher_is_better=False, **_COMMON,
          configs={"smoke": {"steps": 20, "n_samples": 50},
                   "default": {"steps": 200, "n_samples": 200, "scale_1": 1.0, "scale_2": 3.0, "noise": 0.5,
                               "learning_rates": "0.005,0.02,0.08,0.12"},
                   "scale": {"steps": 2000, "n_samples": 100_000}},
          description="Full-batch gradient descent on 2-D least squares (MSE) at four learning rates: slow, "
                      "good, fastest, diverging past 2/λ_max.")
def gradient_descent_demo(config: dict[str, Any]) -> GradientDescentDemo:
    """Gradient-descent demonstration."""
    return GradientDescentDemo(config)


@register("backprop", source="003 §10.1 (headed 8.1), 003:L536-544", dataset="noisy XOR",
          metric="max_abs_grad_diff", higher_is_better=False, quality_bar=1e-6, **_COMMON,
          configs={"smoke": {"steps": 50, "check_every": 25},
                   "default": {"steps": 2000, "lr": 0.5, "hidden": 8, "n_samples": 64, "noise": 0.2,
                               "check_every": 100},
                   "scale": {"steps": 20_000, "n_samples": 4096, "check_every": 1000}},
          description="2-layer tanh/sigmoid network on noisy XOR, gradients by hand-written back-propagation "
                      "in numpy, checked against torch.autograd.")
def backprop_demo(config: dict[str, Any]) -> BackpropDemo:
    """Back-propagation demonstration."""
    return BackpropDemo(config)


@register("attention_example", source="004 §4.1, 004:L206-246", dataset="seeded vectors, 004's example",
          metric="max_abs_diff_torch", higher_is_better=False, quality_bar=1e-9, **_COMMON,
          configs={"smoke": {"d_k": 64}, "default": {"d_k": ae.D_K}, "scale": {"d_k": 4096}},
          description="004's worked attention example as printed (four vectors, no √d_k) and recomputed: "
                      "softmax(QKᵀ/√d_k)V for three words, checked against torch.")
def attention_example(config: dict[str, Any]) -> AttentionDemo:
    """Attention worked-example demonstration."""
    return AttentionDemo(config)
