"""Registry-driven checks: every registered model builds, learns and is described; the registry refuses misuse."""

from __future__ import annotations

import pytest
import torch

from modelhub import registry
from modelhub.registry import RegistryError

# One thread: the results do not depend on it, and on a shared 2-core machine a second OpenMP thread makes
# small steps hundreds of times slower (see modelhub.trainer.auto_threads).
torch.set_num_threads(1)
ALL = registry.list_models()


def _smoke(name):
    torch.manual_seed(0)
    return registry.create(name, "smoke")


def test_the_registry_holds_the_example_model():
    assert "mlp" in ALL
    entry = registry.get("mlp")
    assert (entry.family, entry.task, entry.dataset, entry.metric) == ("mlp", "image-classification", "digits",
                                                                        "test_accuracy")


@pytest.mark.parametrize("name", ALL)
def test_every_entry_is_fully_described(name):
    entry = registry.get(name)
    assert entry.source and entry.dataset and entry.metric and entry.description
    assert set(registry.CONFIG_NAMES) <= set(entry.configs)
    if entry.as_written_of is not None:
        assert entry.as_written_of in ALL and entry.errata


@pytest.mark.parametrize("name", ALL)
def test_smoke_recipe_evaluates_to_finite_numbers_including_its_metric(name):
    recipe = _smoke(name)
    if recipe.kind == "fit":
        recipe.fit()
        metrics = recipe.evaluate()
    else:
        metrics = recipe.evaluate(recipe.model)
    assert registry.get(name).metric in metrics
    assert all(isinstance(v, float) and v == v for v in metrics.values())


@pytest.mark.parametrize("name", ALL)
def test_backward_gives_a_gradient_on_every_parameter(name):
    recipe = _smoke(name)
    if recipe.kind != "torch":
        pytest.skip("fit recipes have no gradients")
    batch = recipe.example_batch(recipe.config["batch_size"])
    loss = recipe.loss(recipe.model, batch)
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    missing = [n for n, p in recipe.model.named_parameters() if p.requires_grad and p.grad is None]
    assert missing == []


@pytest.mark.parametrize("name", ALL)
def test_one_smoke_step_lowers_the_loss_on_that_batch(name):
    recipe = _smoke(name)
    if recipe.kind != "torch":
        pytest.skip("fit recipes are trained by fit()")
    model = recipe.model
    batch = recipe.example_batch(recipe.config["batch_size"])
    optimiser = torch.optim.AdamW(model.parameters(), lr=recipe.config["lr"], weight_decay=0.0)
    before = recipe.loss(model, batch)
    before.backward()
    optimiser.step()
    with torch.no_grad():
        after = recipe.loss(model, batch)
    assert after.item() < before.item()


def test_create_keeps_defaults_for_unset_overrides():
    default = registry.get("mlp").config("smoke")["hidden"]
    assert registry.create("mlp", "smoke", hidden=None).config["hidden"] == default
    assert registry.create("mlp", "smoke", hidden="16").config["hidden"] == 16


def test_named_config_falls_back_to_default_then_trainer_defaults():
    smoke = registry.get("mlp").config("smoke")
    assert smoke["steps"] == 5 and smoke["image_size"] == 8 and smoke["grad_clip"] == 1.0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"lr": "fast"}, "lr must be a number"),
    ({"steps": "2.5"}, "steps must be a whole number"),
    ({"compile": "maybe"}, "compile must be true or false"),
    ({"colour": "red"}, "has no setting 'colour'"),
])
def test_bad_overrides_are_refused_with_the_key_named(kwargs, message):
    with pytest.raises(RegistryError, match=message):
        registry.create("mlp", "smoke", **kwargs)


def test_unknown_model_and_config_are_refused():
    with pytest.raises(RegistryError, match=r"unknown model 'nope'; known models: .*mlp"):
        registry.get("nope")
    with pytest.raises(RegistryError, match="no config 'huge'"):
        registry.create("mlp", "huge")


def test_list_filters_by_pattern_family_and_task():
    assert "mlp" in registry.list_models("ml*")
    assert registry.list_models("zz*") == []
    assert "mlp" in registry.list_models(family="mlp", task="image-classification")
    assert "mlp" not in registry.list_models(task="language-modeling")


def test_register_refuses_incomplete_entries():
    with pytest.raises(RegistryError, match="configs"):
        registry.register("x", family="f", task="language-modeling", source="s", dataset="d", metric="m",
                          higher_is_better=True, configs={"smoke": {}})
    with pytest.raises(RegistryError, match="errata"):
        registry.register("x", family="f", task="language-modeling", source="s", dataset="d", metric="m",
                          higher_is_better=True, configs={c: {} for c in registry.CONFIG_NAMES},
                          as_written_of="mlp")


@pytest.mark.parametrize("name", ALL)
def test_forward_backward_flops_are_counted(name):
    from modelhub.bench import flops_per_unit

    recipe = _smoke(name)
    if recipe.kind != "torch":
        pytest.skip("fit recipes are not counted in FLOPs")
    assert flops_per_unit(recipe, recipe.example_batch(2)) > 0
