"""The VAE: the corrected KL term (hand-computed and against torch.distributions), 000's line as written, figures."""

from __future__ import annotations

import json
import math
import time

import pytest
import torch
import torch.nn.functional as F  # noqa: N812 - the usual PyTorch alias
from torch.distributions import Normal, kl_divergence

from modelhub import registry, trainer
from modelhub.models.vae import VAE, kl_as_written, kl_to_standard_normal

torch.set_num_threads(1)


def test_kl_matches_a_hand_computed_case():
    # Per dimension KL(N(μ, σ²) ‖ N(0, 1)) = ½(σ² + μ² − 1 − ln σ²):
    # μ = 1, σ² = 1 → ½(1 + 1 − 1 − 0) = 0.5;  μ = 0, σ² = 4 → ½(4 − 1 − ln 4) = 1.5 − ln 2.
    mu = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    log_var = torch.tensor([[0.0, math.log(4.0)]], dtype=torch.float64)
    assert kl_to_standard_normal(mu, log_var).item() == pytest.approx(0.5 + 1.5 - math.log(2), abs=1e-12)
    assert kl_to_standard_normal(torch.zeros(1, 3), torch.zeros(1, 3)).item() == 0.0  # q = p


def test_kl_matches_torch_distributions():
    generator = torch.Generator().manual_seed(0)
    mu = torch.randn(50, 6, generator=generator, dtype=torch.float64)
    log_var = 2 * torch.randn(50, 6, generator=generator, dtype=torch.float64)
    expected = kl_divergence(Normal(mu, (0.5 * log_var).exp()), Normal(torch.zeros_like(mu), torch.ones_like(mu)))
    torch.testing.assert_close(kl_to_standard_normal(mu, log_var), expected.sum(dim=1))
    assert (kl_to_standard_normal(mu, log_var) >= 0).all()


def test_the_documents_kl_ignores_the_variance():
    # 000:L154: −½ Σ(1 + log σ² − μ² − log σ²) = −½ Σ(1 − μ²), whatever σ is.
    mu = torch.tensor([[1.0, 2.0]])
    for log_var in (torch.zeros(1, 2), torch.full((1, 2), -30.0), torch.full((1, 2), 5.0)):
        assert kl_as_written(mu, log_var).item() == pytest.approx(-0.5 * ((1 - 1) + (1 - 4)))
    log_var = torch.zeros(1, 2, requires_grad=True)
    kl_as_written(mu, log_var).sum().backward()
    assert torch.count_nonzero(log_var.grad) == 0  # no pull on σ at all
    log_var.grad = None
    kl_to_standard_normal(mu, log_var).sum().backward()
    assert torch.count_nonzero(log_var.grad) == 0  # σ² = 1 is the correct KL's optimum …
    shrunk = torch.full((1, 2), -3.0, requires_grad=True)
    kl_to_standard_normal(mu, shrunk).sum().backward()
    assert (shrunk.grad < 0).all()  # … and a shrunken σ is pushed back up


def test_forward_is_cross_entropy_plus_kl_with_the_reparameterised_sample():
    torch.manual_seed(0)
    model = VAE((1, 8, 8), latent=3, hidden=16, likelihood="bernoulli").double()
    x = torch.rand(5, 1, 8, 8, dtype=torch.float64)
    eps = torch.randn(5, 3, dtype=torch.float64)
    recon, kl = model(x, eps)
    mu, log_var = model.encode(x)
    probs = model.decode(mu + (0.5 * log_var).exp() * eps).flatten(1)
    expected = F.binary_cross_entropy(probs, x.flatten(1), reduction="none").sum(dim=1)
    torch.testing.assert_close(recon, expected)
    torch.testing.assert_close(kl, kl_to_standard_normal(mu, log_var))


def test_the_gaussian_reconstruction_is_the_normal_log_density_with_the_learned_scale():
    torch.manual_seed(0)
    model = VAE((1, 8, 8), latent=3, hidden=16, likelihood="gaussian").double()
    with torch.no_grad():
        model.log_sigma_x.fill_(math.log(0.2))
    x = torch.rand(5, 1, 8, 8, dtype=torch.float64)
    eps = torch.randn(5, 3, dtype=torch.float64)
    recon, _ = model(x, eps)
    mu, log_var = model.encode(x)
    means = model.decode(mu + (0.5 * log_var).exp() * eps).flatten(1)
    expected = -Normal(means, torch.full_like(means, 0.2)).log_prob(x.flatten(1)).sum(dim=1)
    torch.testing.assert_close(recon, expected)


def test_the_loss_is_the_negative_elbo_and_reaches_every_parameter():
    recipe = registry.create("vae", "smoke")
    batch = recipe.get_batch("train", 8, torch.Generator().manual_seed(0))
    recon, kl = recipe.model(*batch)
    loss = recipe.loss(recipe.model, batch)
    torch.testing.assert_close(loss, (recon + kl).mean())
    loss.backward()
    assert all(p.grad is not None for p in recipe.model.parameters())


def test_evaluate_and_figures_have_the_documented_shapes():
    recipe = registry.create("vae", "smoke")
    metrics = recipe.evaluate(recipe.model)
    for key in ("recon_accuracy", "sample_confident_share", "test_elbo_nats", "val_elbo_nats"):
        assert key in metrics and math.isfinite(metrics[key])
    assert metrics["test_elbo_nats"] == pytest.approx(-(metrics["test_recon_nats"] + metrics["test_kl_nats"]))
    figures = recipe.figures(recipe.model)
    json.dumps(figures)
    assert [f["kind"] for f in figures] == ["images", "images", "scatter"]
    pairs, samples, scatter = figures
    assert torch.tensor(pairs["images"]).shape == (64, 8, 8) and len(pairs["captions"]) == 64
    assert pairs["captions"][0].startswith("test ") and pairs["captions"][1].startswith("recon ")
    assert torch.tensor(samples["images"]).shape == (64, 8, 8)
    n = len(recipe._splits["test"][1])
    assert len(scatter["x"]) == len(scatter["y"]) == len(scatter["labels"]) == n
    assert set(scatter["labels"]) <= set(recipe.classes)
    assert "principal components" in scatter["title"]  # latent 8 > 2: PCA


def test_a_two_dimensional_latent_is_drawn_as_is():
    recipe = registry.create("vae", "smoke", latent=2)
    scatter = recipe.figures(recipe.model)[2]
    mu = recipe.model.encode(recipe._splits["test"][0])[0]
    assert scatter["x"] == pytest.approx(mu[:, 0].tolist(), abs=1e-4) and "(μ)" in scatter["title"]


def test_short_training_lifts_reconstruction_accuracy_far_above_chance():
    began = time.perf_counter()
    # The default judge (the smoke config's 40-step judge is only for speed); 600 steps of a 128-wide VAE
    # (measured: recon_accuracy 0.10 after 200 steps, 0.61 after 600, in ~8 s).
    recipe = registry.create("vae", "smoke", steps=600, eval_every=600, hidden=128, batch_size=64, lr=3e-3,
                             warmup_steps=20, judge_steps=400, threads=1)
    metrics = trainer.train(recipe, device="cpu").metrics
    assert metrics["recon_accuracy"] > 0.5  # chance is 0.1
    assert time.perf_counter() - began < 60


def test_the_entries_carry_the_bars_and_the_kl_erratum():
    entry, as_written = registry.get("vae"), registry.get("vae_as_written")
    assert (entry.metric, entry.quality_bar) == ("recon_accuracy", 0.9)
    assert entry.extra_bars == {"sample_confident_share": (">=", 0.6)}
    assert "exp(z_log_var)" in entry.description and as_written.as_written_of == "vae"
    assert "L154" in as_written.errata and registry.create("vae_as_written", "smoke").model.kl == "as_written"
