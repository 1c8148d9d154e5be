"""The GAN of 000 §1.3.1 (000:L118-135, L319-348) and 004 §3.1.2 / §4.2 (004:L166-179, L250-291), on digits.

The documents give losses and a loop, no networks: here both players are MLPs (G: z → 512 → 512 → pixels,
sigmoid; D: pixels → 512 → 512 → 1 logit, LeakyReLU 0.2), on the 8×8 digits.

- D's loss: ``−[log D(x) + log(1 − D(G(z)))]`` (000:L133, L338; 004:L276).
- G's loss: the non-saturating ``−log D(G(z))`` (000:L134; 004:L257). 000's second copy writes
  ``G_loss = −log(1 − D(x̂))`` (000:L341): G minimising it pushes D(G(z)) → 0, i.e. helps D — the sign of the
  minimax term min_G log(1 − D(G(z))) is flipped. ``gan_as_written`` trains with that loss.

Both are written with ``softplus`` on D's logit (−log σ(l) = softplus(−l), −log(1 − σ(l)) = softplus(l)), which
never takes the log of a rounded 0.

Training in ONE recipe: the trainer calls ``loss(model, batch)`` once per step and steps one optimiser over all
parameters. ``GAN.forward`` returns (L_D, L_G) built so that one backward of L_D + L_G puts exactly ∂L_D/∂θ_D on
D's parameters and exactly ∂L_G/∂θ_G on G's:

- L_D sees the fake images through ``fake.detach()``: no path from L_D back to θ_G, so ∂L_D/∂θ_G = 0;
- L_G runs D through ``torch.func.functional_call`` with *detached copies* of D's parameters: the gradient flows
  through D's function into the fake images and on to θ_G, but stops at the copies, so ∂L_G/∂θ_D = 0.

Hence ∇_{θ_D}(L_D + L_G) = ∇_{θ_D} L_D and ∇_{θ_G}(L_D + L_G) = ∇_{θ_G} L_G (tests/modelhub/test_gan.py
checks it against each loss alone). The two players then step together from the same point — simultaneous
gradient descent — where the documents alternate (000:L344-348, 004:L176-179: a D step, then a G step against
the updated D). Both are standard; alternation would need either two optimisers or steps that leave half of the
parameters without gradients, which the trainer's single optimiser and DDP do not allow.

What the default adds to the documents' recipe, each measured on the judge's confident share (1 thread,
seed 0; the plain 256-wide GAN with Adam's β1 = 0.9 gave 0.686 at 15,000 steps):

- Adam β1 = 0.5 (DCGAN's choice), 0.718 at 15,000 steps; 512-wide layers, 0.760; both with R1 = 0.1.
- A discrete code (``codes``): the first 10 noise values pick a one-hot code by their argmax, G sees
  [code, the other 22]. The digits are ten separate clusters, and a continuous G maps connected noise onto a
  connected set, so some samples must fall between digits (blends the judge rejects); the code gives G a
  jump. No labels are used: which code draws which digit is G's choice. 0.755 at 256 wide, 0.772 at 512.
- Samples from the averaged generator (EMA 0.999): about +0.01, more when the live G is mid-swing.
- 30,000 steps: 0.807 at 25,000, **0.811** at 30,000 (all ten digits). Tried and not kept: R1 = 0.01
  (0.733 at 256 wide), batch 256 at lr 2e-4 (0.683 at 10,000), a DCGAN conv G and D and a conv D alone
  (0.63 and 0.71 at 7,500 and 10,000 steps, at several times the step cost).

The quality measure is a separately trained judge (``modelhub/models/_judge.py``): ``confident_share`` of 1,000
samples classified with confidence ≥ 0.9 and ``digits_covered`` among them.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the usual PyTorch alias
from torch import nn
from torch.func import functional_call

from modelhub.datasets import load_images
from modelhub.models._judge import binned, image_figure, judge_for, judged_captions
from modelhub.recipes import Batch, TorchRecipe
from modelhub.registry import register


def _mlp(sizes: list[int], last: nn.Module | None, norm: bool = False) -> nn.Sequential:
    """Linear layers with LeakyReLU(0.2) between them (the usual GAN choice: D never has dead units), and batch
    norm before each activation when ``norm`` (in G only: measured here, G without it let D win outright —
    D's loss fell to ~0.001 and no sample was a digit — while with it the two stayed balanced)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers += [nn.BatchNorm1d(b), nn.LeakyReLU(0.2)] if norm else [nn.LeakyReLU(0.2)]
    if last is not None:
        layers.append(last)
    return nn.Sequential(*layers)


class _Latent(nn.Module):
    """z → [one-hot(argmax z[:, :codes]), z[:, codes:]]: a discrete code drawn from the Gaussian noise itself."""

    def __init__(self, codes: int) -> None:
        super().__init__()
        self.codes = codes

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if not self.codes:
            return z
        code = F.one_hot(z[:, : self.codes].argmax(1), self.codes).to(z.dtype)
        return torch.cat([code, z[:, self.codes:]], 1)


def _frozen_copy(module: nn.Module) -> nn.Module:
    """A deep copy of ``module`` whose parameters are turned into buffers of the same names."""
    copied = copy.deepcopy(module)
    for part in copied.modules():
        for name, weight in list(part._parameters.items()):
            if weight is not None:
                del part._parameters[name]
                part.register_buffer(name, weight.detach().clone())
    return copied


class GAN(nn.Module):
    """Generator and discriminator in one module; ``forward(real, z)`` returns (L_D, L_G), see the docstring."""

    def __init__(self, shape: tuple[int, int, int], z_dim: int = 32, hidden: int = 256,
                 g_loss: str = "non_saturating", r1: float = 0.0, ema: float = 0.0, codes: int = 0) -> None:
        super().__init__()
        if g_loss not in ("non_saturating", "as_written"):
            raise ValueError(f"g_loss must be 'non_saturating' or 'as_written', not {g_loss!r}")
        if not 0.0 <= ema < 1.0:
            raise ValueError(f"ema must be in [0, 1), not {ema!r}")
        if not 0 <= codes < z_dim:
            raise ValueError(f"codes must be in [0, z_dim), not {codes!r}")
        self.shape, self.z_dim, self.g_loss, self.r1, self.ema = tuple(shape), z_dim, g_loss, r1, ema
        pixels = int(np.prod(shape))
        self.generator = nn.Sequential(_Latent(codes), _mlp([z_dim, hidden, hidden, pixels], nn.Sigmoid(), norm=True))
        self.discriminator = _mlp([pixels, hidden, hidden, 1], None)
        # The generator the samples come from: an exponential moving average of G's weights (Karras et al.
        # 2018, Yazıcı et al. 2019). Simultaneous GAN steps circle round an equilibrium rather than settle on
        # it, and the average sits nearer the centre than any one iterate. Its weights are buffers, not
        # parameters: no gradient, not in the optimiser or the parameter count, but in the state dict (so a
        # resume is exact) and moved with the model to its device.
        self.generator_ema = _frozen_copy(self.generator) if ema > 0 else None

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        """Images N×C×H×W in [0, 1] from noise N×z_dim, by the generator being trained."""
        return self.generator(z).view(len(z), *self.shape)

    def sample(self, z: torch.Tensor) -> torch.Tensor:
        """The images shown and judged: by the averaged generator when there is one, else by ``generate``."""
        if self.generator_ema is None:
            return self.generate(z)
        return self.generator_ema(z).view(len(z), *self.shape)

    @torch.no_grad()
    def update_ema(self) -> None:
        """Move the averaged weights a step ``1 − ema`` towards G's; batch-norm statistics are copied."""
        if self.generator_ema is None:
            return
        weights = dict(self.generator.named_parameters())
        statistics = dict(self.generator.named_buffers())
        for name, averaged in self.generator_ema.named_buffers():
            if name in weights:
                averaged.lerp_(weights[name], 1.0 - self.ema)
            else:
                averaged.copy_(statistics[name])

    def logit(self, images: torch.Tensor) -> torch.Tensor:
        """D's logit (D(x) = sigmoid of it), one per image."""
        return self.discriminator(images.flatten(1)).squeeze(1)

    def frozen_logit(self, images: torch.Tensor) -> torch.Tensor:
        """D's logit with D's parameters detached: gradients reach ``images`` (hence G) but not D."""
        frozen = {name: p.detach() for name, p in self.discriminator.named_parameters()}
        return functional_call(self.discriminator, frozen, (images.flatten(1),)).squeeze(1)

    def forward(self, real: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(L_D, L_G) on a batch of real images and noise; sum them for one backward (module docstring)."""
        fake = self.generate(z)
        penalise = self.r1 > 0 and torch.is_grad_enabled()
        if penalise:
            real = real.detach().requires_grad_(True)
        real_logit = self.logit(real)
        d_loss = F.softplus(-real_logit).mean() + F.softplus(self.logit(fake.detach())).mean()
        if penalise:
            # R1 (Mescheder et al. 2018): γ/2 E‖∇ₓ D-logit(x)‖² on real images, a term of D's loss only (it
            # depends on θ_D alone), which makes simultaneous gradient steps locally convergent. r1 = 0 is
            # the documents' loss exactly.
            (grad,) = torch.autograd.grad(real_logit.sum(), real, create_graph=True)
            d_loss = d_loss + 0.5 * self.r1 * grad.pow(2).flatten(1).sum(1).mean()
        fake_logit = self.frozen_logit(fake)
        # −log D(G(z)) = softplus(−l); the as-written −log(1 − D(G(z))) = softplus(l).
        g_loss = F.softplus(-fake_logit if self.g_loss == "non_saturating" else fake_logit).mean()
        return d_loss, g_loss


class GANRecipe(TorchRecipe):
    """Real images and noise per batch (noise drawn with the trainer's generator, so a resume is exact)."""

    unit = "sample"

    def __init__(self, model: GAN, dataset: str, size: int, seed: int, eval_samples: int = 1000,
                 judge_steps: int = 400) -> None:
        super().__init__(model)
        data = load_images(dataset, size=size, seed=seed)
        self.classes = data.classes
        self._real = {s: torch.from_numpy(np.ascontiguousarray(data.split(s)[0])) for s in ("train", "val", "test")}
        self.judge_key = (dataset, size, seed, judge_steps)
        self.eval_samples, self.seed = eval_samples, seed
        # Per training step (a loss call in train mode): L_D and L_G, kept as tensors so a GPU never syncs.
        self._curve: list[torch.Tensor] = []
        self._evals: list[dict[str, float]] = []

    def get_batch(self, split: str, batch_size: int, generator: torch.Generator) -> Batch:
        real = self._real[split]
        rows = torch.randint(len(real), (batch_size,), generator=generator)
        return real[rows], torch.randn(batch_size, self.model.z_dim, generator=generator)

    def loss(self, model: nn.Module, batch: Batch) -> torch.Tensor:
        if model.training and torch.is_grad_enabled():
            # Before this step's forward, so the average takes in the weights the previous step left. One update
            # per loss call is one per optimiser step because the GAN's configs do not accumulate micro-batches.
            self.model.update_ema()
        d_loss, g_loss = model(*batch)  # through the (possibly DDP-wrapped) module, so its hooks run
        if model.training and torch.is_grad_enabled():
            self._curve.append(torch.stack([d_loss.detach(), g_loss.detach()]).float())
        return d_loss + g_loss

    @torch.no_grad()
    def samples(self, model: GAN, n: int, seed: int | None = None) -> torch.Tensor:
        """``n`` generated images from fixed noise (``seed``, default the config's), on the model's device."""
        device = next(model.parameters()).device
        generator = torch.Generator().manual_seed(self.seed if seed is None else seed)
        return model.sample(torch.randn(n, model.z_dim, generator=generator).to(device))

    @torch.no_grad()
    def evaluate(self, model: nn.Module) -> dict[str, float]:
        was_training = model.training
        model.eval()
        device = next(model.parameters()).device
        judge = judge_for(*self.judge_key)
        score = judge.score(self.samples(model, self.eval_samples))
        real = self._real["val"].to(device)
        generator = torch.Generator().manual_seed(self.seed + 1)
        d_loss, g_loss = model(real, torch.randn(len(real), model.z_dim, generator=generator).to(device))
        fake = self.samples(model, len(real), self.seed + 1)
        metrics = {
            "confident_share": score["confident_share"], "digits_covered": score["classes_covered"],
            "mean_confidence": score["mean_confidence"],
            "val_d_loss": float(d_loss), "val_g_loss": float(g_loss),
            "d_real": float(torch.sigmoid(model.logit(real)).mean()),  # D's mean belief that real images are real
            "d_fake": float(torch.sigmoid(model.logit(fake)).mean()),
            "judge_test_accuracy": judge.test_accuracy, "judge_real_confident_share": judge.real_confident_share,
        }
        self._evals.append(metrics)
        model.train(was_training)
        return metrics

    @torch.no_grad()
    def figures(self, model: nn.Module) -> list[dict[str, Any]]:
        curve = torch.stack(self._curve).cpu().numpy() if self._curve else np.zeros((0, 2))
        x, d_curve = binned(curve[:, 0].tolist())
        _, g_curve = binned(curve[:, 1].tolist())
        was_training = model.training
        model.eval()
        grid = self.samples(model, 64)
        model.train(was_training)
        figures = [
            {"kind": "lines", "title": "GAN training losses (nats, mean over runs of steps)", "x": x,
             "series": {"D loss −[log D(x) + log(1 − D(G(z)))]": d_curve,
                        ("G loss −log D(G(z))" if model.g_loss == "non_saturating"
                         else "G loss −log(1 − D(G(z))) (as written)"): g_curve},
             "x_label": "training step", "y_label": "loss (nats)"},
            image_figure("64 samples, captioned with the judge's digit and confidence", grid,
                         judged_captions(judge_for(*self.judge_key), grid)),
        ]
        if self._evals:
            figures.append({"kind": "lines", "title": "Judge's confident share of samples at each evaluation",
                            "x": list(range(1, len(self._evals) + 1)),
                            "series": {"confident_share": [e["confident_share"] for e in self._evals]},
                            "x_label": "evaluation", "y_label": "share ≥ 0.9"})
        return figures


def _build(config: dict[str, Any], g_loss: str) -> GANRecipe:
    torch.manual_seed(config["seed"])  # initial weights follow the seed
    data = load_images(config["dataset"], size=config["image_size"], seed=config["seed"])
    model = GAN(data.shape, z_dim=config["z_dim"], hidden=config["hidden"], g_loss=g_loss, r1=config["r1"],
                ema=config["ema"], codes=config["codes"])
    return GANRecipe(model, config["dataset"], config["image_size"], config["seed"],
                     eval_samples=config["eval_samples"], judge_steps=config["judge_steps"])


_GAN_SOURCE = "000 §1.3.1, 000:L118-135 and L319-348; 004 §3.1.2 and §4.2, 004:L166-179 and L250-291"
_GAN_CONFIGS: dict[str, dict[str, Any]] = {
    "smoke": {"steps": 4, "batch_size": 32, "eval_every": 4, "warmup_steps": 1, "hidden": 32, "eval_samples": 100,
              "judge_steps": 40},
    # grad_clip 0: the trainer clips the global norm over both players at once, which would let a large D
    # gradient shrink G's step; each player's own Adam scaling is the usual GAN safeguard.
    # beta1 0.5, the 512-wide MLPs, the discrete code, the averaged G and 30,000 steps: each measured to add
    # to the judge's confident share (module docstring); together 0.811 where the 256-wide plain GAN gave 0.686.
    "default": {"dataset": "digits", "image_size": 8, "z_dim": 32, "codes": 10, "hidden": 512, "r1": 0.1,
                "ema": 0.999, "steps": 30000, "batch_size": 64, "lr": 5e-4, "beta1": 0.5, "warmup_steps": 100,
                "grad_clip": 0.0, "eval_every": 5000, "eval_samples": 1000, "judge_steps": 400},
    "scale": {"hidden": 1024, "steps": 40000, "batch_size": 256, "eval_every": 5000},
}
_GAN_ERRATA_004 = (
    "004 §4.2's worked examples are misprinted: L_G = −log 0.9 is printed ≈ 0.15 (004:L270) but is 0.105 in "
    "natural log (0.15 only in log2, 0.152); L_D = −[log 0.8 + log(1 − 0.2)] is printed ≈ 0.22 (004:L290) but is "
    "0.446 in natural log (0.644 in log2): 0.22 is a single −ln 0.8 = 0.223, one of the two terms. "
    "modelhub.models.gan_errata recomputes both."
)


@register(
    "gan", family="gan", task="image-generation", source=_GAN_SOURCE, dataset="digits",
    metric="confident_share", higher_is_better=True, quality_bar=0.80, extra_bars={"digits_covered": (">=", 8)},
    configs=_GAN_CONFIGS,
    description="MLP GAN on 8×8 digits (a 10-way discrete code in the noise, samples from the averaged G): "
                "D loss −[log D(x) + log(1 − D(G(z)))], non-saturating G loss −log D(G(z)) "
                "(000:L133-134, 004:L257/L276); both players stepped together from one backward (D's parameters "
                "detached in G's loss, the fakes detached in D's). Scored by a separately trained judge CNN: share "
                "of 1,000 samples it classifies with confidence ≥ 0.9, and the digits among them. " + _GAN_ERRATA_004,
)
def gan(config: dict[str, Any]) -> GANRecipe:
    """The corrected GAN."""
    return _build(config, "non_saturating")


@register(
    "gan_as_written", family="gan", task="image-generation", source="000 §1.3.1, 000:L338-341", dataset="digits",
    # No bar: it reproduces the document's error and is measured beside the corrected 'gan', not held to it.
    metric="confident_share", higher_is_better=True, configs=_GAN_CONFIGS, as_written_of="gan",
    errata="000:L341 writes G_loss = −log(1 − D(x̂)); minimising it drives D(G(z)) → 0, the discriminator's own "
           "goal, so G learns to look fake (000:L134 and 004:L257 have the correct −log D(G(z))). This variant "
           "trains G with L341's loss; the corrected 'gan' uses the non-saturating −log D(G(z)).",
    description="The GAN with 000's second copy of the generator loss, −log(1 − D(G(z))) (000:L341), to show "
                "that it does not learn digits; everything else as 'gan'.",
)
def gan_as_written(config: dict[str, Any]) -> GANRecipe:
    """The GAN with the sign-flipped generator loss of 000:L341."""
    return _build(config, "as_written")
