"""The GAN: one backward of L_D + L_G gives each player exactly its own loss's gradient; the judge; figures."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F  # noqa: N812 - the usual PyTorch alias

from modelhub import registry
from modelhub.models._judge import CONFIDENT, judge_for, non_digits
from modelhub.models.gan import GAN

torch.set_num_threads(1)


def _model(g_loss="non_saturating", r1=0.0):
    torch.manual_seed(0)
    return GAN((1, 8, 8), z_dim=8, hidden=16, g_loss=g_loss, r1=r1).double()


def _batch(n=12):
    generator = torch.Generator().manual_seed(1)
    return torch.rand(n, 1, 8, 8, generator=generator).double(), torch.randn(n, 8, generator=generator).double()


def _grads(loss, params):
    return torch.autograd.grad(loss, params, allow_unused=True, retain_graph=True)


@pytest.mark.parametrize(("g_loss", "r1"), [("non_saturating", 0.0), ("as_written", 0.0), ("non_saturating", 0.5)])
def test_one_backward_gives_d_its_loss_gradient_and_g_its_loss_gradient(g_loss, r1):
    model = _model(g_loss, r1)
    real, z = _batch()
    d_params, g_params = list(model.discriminator.parameters()), list(model.generator.parameters())
    d_loss, g_loss_value = model(real, z)
    (d_loss + g_loss_value).backward()

    # The textbook losses, written from D(x) = sigmoid(logit) with plain logs and an ordinary (undetached) D.
    def prob(images):
        return torch.sigmoid(model.discriminator(images.flatten(1)).squeeze(1))

    fake = model.generate(z)
    d_reference = -(torch.log(prob(real)) + torch.log(1 - prob(fake))).mean()
    if r1:  # the R1 penalty γ/2 E‖∇ₓ logit D(x)‖² on the real images, part of D's loss
        x = real.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(model.discriminator(x.flatten(1)).sum(), x, create_graph=True)
        d_reference = d_reference + 0.5 * r1 * grad.pow(2).flatten(1).sum(1).mean()
    g_reference = (-torch.log(prob(fake)) if g_loss == "non_saturating" else -torch.log(1 - prob(fake))).mean()
    for p, want in zip(d_params, _grads(d_reference, d_params), strict=True):
        torch.testing.assert_close(p.grad, want)  # D: its own loss only, nothing from L_G
    for p, want in zip(g_params, _grads(g_reference, g_params), strict=True):
        torch.testing.assert_close(p.grad, want)  # G: its own loss only, nothing from L_D
    # And the naive sum (no detaching) would have mixed them: its D gradient differs.
    naive = d_reference + g_reference
    assert any(not torch.allclose(p.grad, g) for p, g in zip(d_params, _grads(naive, d_params), strict=True))


def test_the_returned_losses_are_the_documents_formulas():
    model = _model()
    real, z = _batch()
    d_loss, g_loss = model(real, z)
    with torch.no_grad():
        d_real, d_fake = torch.sigmoid(model.logit(real)), torch.sigmoid(model.logit(model.generate(z)))
    torch.testing.assert_close(d_loss, -(d_real.log() + (1 - d_fake).log()).mean())
    torch.testing.assert_close(g_loss, -d_fake.log().mean())


def test_a_generator_step_raises_d_of_fakes_and_the_as_written_step_lowers_it():
    real, z = _batch(64)
    changes = {}
    for g_loss in ("non_saturating", "as_written"):
        model = _model(g_loss)
        before = torch.sigmoid(model.logit(model.generate(z))).mean().item()
        _, loss = model(real, z)
        loss.backward()
        with torch.no_grad():
            for p in model.generator.parameters():
                p -= 0.05 * p.grad
        changes[g_loss] = torch.sigmoid(model.logit(model.generate(z))).mean().item() - before
    assert changes["non_saturating"] > 0 > changes["as_written"]


def test_batches_carry_their_noise_so_a_batch_is_reproducible():
    recipe = registry.create("gan", "smoke")
    a = recipe.get_batch("train", 8, torch.Generator().manual_seed(3))
    b = recipe.get_batch("train", 8, torch.Generator().manual_seed(3))
    assert a[0].shape == (8, 1, 8, 8) and a[1].shape == (8, recipe.model.z_dim)
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert torch.equal(recipe.loss(recipe.model, a), recipe.loss(recipe.model, b))


def test_the_judge_knows_digits_and_rejects_non_digits():
    from modelhub.datasets import load_images

    judge = judge_for("digits", 8, 0)
    assert judge.test_accuracy > 0.95 and judge.real_confident_share > 0.8
    data = load_images("digits", size=8, seed=0)
    pool = torch.from_numpy(data.x_train.copy())
    assert judge.score(torch.rand(300, 1, 8, 8, generator=torch.Generator().manual_seed(9)))["confident_share"] < 0.05
    # Blurred digits were never shown to it as non-digits: they are not confidently any digit either.
    blurred = F.avg_pool2d(torch.from_numpy(data.x_test.copy()), 3, 1, 1)
    assert judge.score(blurred)["confident_share"] < 0.05
    junk = non_digits(pool, torch.from_numpy(data.y_train.copy()), 300, torch.Generator().manual_seed(4))
    assert judge.score(junk)["confident_share"] < 0.1
    real = judge.score(torch.from_numpy(data.x_test.copy()))
    assert real["confident_share"] == pytest.approx(judge.real_confident_share) and real["classes_covered"] == 10


def test_training_the_judge_leaves_the_global_random_stream_alone():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    judge_for("digits", 8, 0, 7)  # a fresh (uncached) judge
    assert torch.equal(torch.rand(3), expected)


def test_evaluate_reports_the_bar_metrics_and_figures_are_json_ready():
    recipe = registry.create("gan", "smoke")
    batch = recipe.get_batch("train", 16, torch.Generator().manual_seed(0))
    recipe.model.train()
    for _ in range(3):
        recipe.loss(recipe.model, batch).backward()
    metrics = recipe.evaluate(recipe.model)
    assert 0 <= metrics["confident_share"] <= 1 and 0 <= metrics["digits_covered"] <= 10
    assert metrics["digits_covered"] == int(metrics["digits_covered"])
    figures = recipe.figures(recipe.model)
    json.dumps(figures)
    kinds = [f["kind"] for f in figures]
    assert kinds.count("lines") >= 1 and kinds.count("images") == 1
    losses = figures[0]
    assert len(losses["x"]) == 3 and set(map(len, losses["series"].values())) == {3}
    grid = next(f for f in figures if f["kind"] == "images")
    images = torch.tensor(grid["images"])
    assert images.shape == (64, 8, 8) and images.min() >= 0 and images.max() <= 1
    assert len(grid["captions"]) == 64 and all("(" in c for c in grid["captions"])


def test_the_entries_carry_the_bar_and_the_as_written_errata():
    entry, as_written = registry.get("gan"), registry.get("gan_as_written")
    assert (entry.metric, entry.quality_bar) == ("confident_share", 0.8)
    assert entry.extra_bars == {"digits_covered": (">=", 8)}
    assert "0.105" in entry.description and "0.446" in entry.description
    assert as_written.as_written_of == "gan" and "L341" in as_written.errata
    assert registry.create("gan_as_written", "smoke").model.g_loss == "as_written"
    assert CONFIDENT == 0.9


def test_the_discrete_code_is_a_uniform_one_hot_drawn_from_the_noise_itself():
    latent = GAN((1, 8, 8), z_dim=16, hidden=8, codes=10).generator[0]
    z = torch.randn(20_000, 16, generator=torch.Generator().manual_seed(3))
    out = latent(z)
    code, rest = out[:, :10], out[:, 10:]
    assert torch.equal(code.argmax(1), z[:, :10].argmax(1)) and torch.equal(code.sum(1), torch.ones(20_000))
    assert torch.equal(rest, z[:, 10:])  # the continuous part passes through unchanged
    shares = torch.bincount(code.argmax(1), minlength=10) / 20_000
    assert shares.min() > 0.09 and shares.max() < 0.11  # argmax of 10 i.i.d. Gaussians: each code 1/10
    assert torch.equal(GAN((1, 8, 8), z_dim=16, hidden=8, codes=0).generator[0](z), z)
    with pytest.raises(ValueError, match="codes"):
        GAN((1, 8, 8), z_dim=8, codes=8)


def test_the_averaged_generator_is_a_frozen_copy_that_moves_one_minus_ema_towards_g():
    torch.manual_seed(0)
    plain, averaged = GAN((1, 8, 8), z_dim=8, hidden=16), GAN((1, 8, 8), z_dim=8, hidden=16, ema=0.9)
    # Not a parameter (the optimiser and the parameter count never see it), but saved with the model.
    assert sum(p.numel() for p in averaged.parameters()) == sum(p.numel() for p in plain.parameters())
    assert any(k.startswith("generator_ema.") for k in averaged.state_dict())
    assert not list(averaged.generator_ema.parameters())
    weights = dict(averaged.generator.named_parameters())
    before = {name: averaged.generator_ema.get_buffer(name).clone() for name in weights}
    with torch.no_grad():
        for p in weights.values():
            p.add_(1.0)
    averaged.update_ema()
    for name, live in weights.items():
        torch.testing.assert_close(averaged.generator_ema.get_buffer(name), before[name] + 0.1 * (live - before[name]))
    z = torch.randn(5, 8)
    averaged.eval()
    assert torch.equal(averaged.sample(z), averaged.generator_ema(z).view(5, 1, 8, 8))
    assert not torch.equal(averaged.sample(z), averaged.generate(z))
    plain.eval()
    assert torch.equal(plain.sample(z), plain.generate(z))
    with pytest.raises(ValueError, match="ema"):
        GAN((1, 8, 8), ema=1.0)


def test_a_training_step_updates_the_average_and_the_default_uses_gan_settings():
    recipe = registry.create("gan", "smoke")
    start = [b.clone() for b in recipe.model.generator_ema.buffers()]
    optimiser = torch.optim.SGD(recipe.model.parameters(), lr=0.1)
    recipe.model.train()
    for _ in range(2):
        optimiser.zero_grad()
        recipe.loss(recipe.model, recipe.get_batch("train", 16, torch.Generator().manual_seed(0))).backward()
        optimiser.step()
    recipe.loss(recipe.model, recipe.get_batch("train", 16, torch.Generator().manual_seed(0)))
    assert any(not torch.equal(a, b) for a, b in zip(start, recipe.model.generator_ema.buffers(), strict=True))
    config = registry.get("gan").config("default")
    assert (config["beta1"], config["codes"], config["ema"]) == (0.5, 10, 0.999)
