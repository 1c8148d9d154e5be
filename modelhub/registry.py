"""The model registry (timm-style): ``register`` fills a dict, ``create`` builds a recipe, ``list_models`` filters.

How to add a model (one module per family under ``modelhub/models/``; every module there is imported
automatically by ``modelhub/models/__init__.py``, so nothing else needs editing)::

    from modelhub.recipes import ImageClassification          # or subclass TorchRecipe / FitRecipe yourself
    from modelhub.registry import register

    @register(
        "lenet", family="cnn", task="image-classification",
        source="001 §4.1, 001:L350-372",                      # the documents' section and lines
        dataset="digits", metric="test_accuracy", higher_is_better=True, quality_bar=0.97,
        configs={
            "smoke":   {"image_size": 28, "steps": 20, "batch_size": 32},      # a second or two on a CPU
            "default": {"image_size": 28, "steps": 1500, "batch_size": 64},    # minutes on a 2-core CPU
            "scale":   {"image_size": 28, "steps": 6000, "batch_size": 256},   # meant for a GPU
        },
        description="LeNet-5 as in 001 §4.1, digits upsampled 8→28 px because two 5×5 convs need ≥ 20 px.",
    )
    def lenet(config: dict) -> ImageClassification:
        ...build and return the recipe from the merged config...

- ``config`` is ONE flat dict: the trainer's keys (``modelhub.config.TrainConfig``: steps, batch_size, lr,
  warmup_steps, weight_decay, grad_clip, accumulate, eval_every, target, seed, threads) and the model's own keys
  live side by side, so ``--set key=value`` works for either. Keys missing from a named config are taken from
  the ``default`` config, then from ``modelhub.config.TRAIN_DEFAULTS``; ``create`` refuses unknown keys and
  coerces values to the type of the default (so ``--set lr=1e-3`` is a float).
- A variant reproducing the documents' wrong code is registered beside the corrected one with
  ``as_written_of="<corrected name>"`` and ``errata="what is wrong and what the corrected entry does instead"``.
- The recipe protocol (what the trainer and the benchmark harness call) is in ``modelhub/recipes.py``;
  ``ImageClassification`` wraps any image classifier on an ``ImageDataset``.
- Data: ``modelhub.datasets.load(name, **options)``. Every model takes a ``dataset`` config key (in its
  ``default`` config) and loads it through the checker for its kind, so users can train it on their own data
  and a data set of the wrong kind is refused by name: image models ``load_images(config["dataset"], size=...,
  seed=...)`` (as ``mlp`` does: 'digits', ``upload:images:<sha256>``, or ``folder:<path>`` from the CLI),
  language models ``load_text`` ('pydoc' or ``upload:text:<sha256>``), text classifiers ``load_labelled``
  ('docstrings' or ``upload:csv:<sha256>``).
- Smoke configs must run in a second or two on one CPU thread: the registry-driven tests in
  ``tests/modelhub/test_registry.py`` build, evaluate and step every entry's ``smoke`` config.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from modelhub.config import setting_problem

CONFIG_NAMES = ("smoke", "default", "scale")
TASKS = (
    "image-classification", "text-classification", "language-modeling", "image-generation",
    "reinforcement-learning", "multimodal-classification", "translation", "object-detection",
    "semantic-segmentation", "transfer-learning", "compression", "demonstration",
)


class RegistryError(ValueError):
    """An unknown model, config or key, or a value of the wrong type: the message says which."""


@dataclass(frozen=True)
class ModelEntry:
    """What the registry knows about one model, before anything is built."""

    name: str
    family: str
    task: str
    source: str  # the documents' section and lines, e.g. "001 §4.1, 001:L350-372"
    dataset: str
    metric: str  # the key of evaluate()'s dict that measures quality
    higher_is_better: bool
    quality_bar: float | None
    configs: dict[str, dict[str, Any]]
    builder: Callable[[dict[str, Any]], Any] = field(repr=False, compare=False)
    description: str = ""
    as_written_of: str | None = None  # set on a variant that reproduces the documents' wrong code
    errata: str = ""
    # Further conditions of the bar, all of which must hold too: metric → (">=" or "<=", value).
    extra_bars: dict[str, tuple[str, float]] = field(default_factory=dict)
    # A bar that is another model's measured metric on the same data: (reference model, metric); strictly beaten.
    beats: tuple[str, str] | None = None

    def config(self, name: str = "default") -> dict[str, Any]:
        """The merged config: trainer defaults < this entry's ``default`` < the named config."""
        from modelhub.config import TRAIN_DEFAULTS

        if name not in self.configs:
            raise RegistryError(f"model {self.name!r} has no config {name!r}; choose one of {sorted(self.configs)}")
        return {**TRAIN_DEFAULTS, **self.configs.get("default", {}), **self.configs[name]}

    def passes(self, value: float) -> bool | None:
        """Whether a measured metric meets the quality bar (None when the entry has no bar)."""
        if self.quality_bar is None:
            return None
        return value >= self.quality_bar if self.higher_is_better else value <= self.quality_bar


_REGISTRY: dict[str, ModelEntry] = {}


def register(
    name: str,
    *,
    family: str,
    task: str,
    source: str,
    dataset: str,
    metric: str,
    higher_is_better: bool,
    configs: dict[str, dict[str, Any]],
    quality_bar: float | None = None,
    description: str = "",
    as_written_of: str | None = None,
    errata: str = "",
    extra_bars: dict[str, tuple[str, float]] | None = None,
    beats: tuple[str, str] | None = None,
) -> Callable[[Callable[[dict[str, Any]], Any]], Callable[[dict[str, Any]], Any]]:
    """Decorator: record ``builder(config) -> recipe`` under ``name`` and return the builder unchanged."""
    if task not in TASKS:
        raise RegistryError(f"model {name!r}: task {task!r} is not one of {TASKS}")
    missing = [c for c in CONFIG_NAMES if c not in configs]
    if missing:
        raise RegistryError(f"model {name!r}: configs {missing} are missing (every entry has {CONFIG_NAMES})")
    if as_written_of is not None and not errata:
        raise RegistryError(f"model {name!r}: an as-written variant needs its errata text")
    bad_ops = [m for m, (op, _) in (extra_bars or {}).items() if op not in (">=", "<=")]
    if bad_ops:
        raise RegistryError(f"model {name!r}: extra_bars {bad_ops} need '>=' or '<='")

    def wrap(builder: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
        if name in _REGISTRY and _REGISTRY[name].builder is not builder:
            raise RegistryError(f"model {name!r} is registered twice")
        _REGISTRY[name] = ModelEntry(
            name=name, family=family, task=task, source=source, dataset=dataset, metric=metric,
            higher_is_better=higher_is_better, quality_bar=quality_bar, configs=configs, builder=builder,
            description=description, as_written_of=as_written_of, errata=errata,
            extra_bars=dict(extra_bars or {}), beats=beats,
        )
        return builder

    return wrap


def _load_all() -> None:
    """Import every model module once, so their ``@register`` calls have run."""
    import modelhub.models  # noqa: F401 - imports each family module


def get(name: str) -> ModelEntry:
    """The entry called ``name``; an unknown name raises RegistryError listing the known ones."""
    _load_all()
    if name not in _REGISTRY:
        raise RegistryError(f"unknown model {name!r}; known models: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def list_models(pattern: str = "*", *, family: str | None = None, task: str | None = None) -> list[str]:
    """Registered names matching a shell-style ``pattern`` (and family/task when given), sorted."""
    _load_all()
    return sorted(
        n for n, e in _REGISTRY.items()
        if fnmatch.fnmatch(n, pattern) and (family is None or e.family == family) and (task is None or e.task == task)
    )


def entries() -> list[ModelEntry]:
    """Every registered entry, sorted by family then name."""
    _load_all()
    return sorted(_REGISTRY.values(), key=lambda e: (e.family, e.name))


def _coerce(name: str, key: str, value: Any, default: Any) -> Any:
    """Convert an override (often a CLI string) to the type of the key's default value."""
    if default is None or value is None or (isinstance(value, type(default)) and not isinstance(value, str)):
        return value
    if isinstance(default, bool):
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise RegistryError(f"model {name!r}: {key} must be true or false, not {value!r}")
    try:
        if isinstance(default, int):
            as_float = float(value)
            if not as_float.is_integer():
                raise ValueError
            return int(as_float)
        return type(default)(value)
    except (TypeError, ValueError):
        kind = {int: "whole number", float: "number"}.get(type(default), type(default).__name__)
        raise RegistryError(f"model {name!r}: {key} must be a {kind}, not {value!r}") from None


def resolve_config(name: str, config: str = "default", **overrides: Any) -> dict[str, Any]:
    """The config ``create`` would build with: named config, then the overrides that are not None, coerced."""
    entry = get(name)
    merged = entry.config(config)
    for key, value in overrides.items():
        if value is None:  # an unset override keeps the entry's default (timm's create_model does the same)
            continue
        if key not in merged:
            raise RegistryError(f"model {name!r} has no setting {key!r}; settings: {', '.join(sorted(merged))}")
        coerced = _coerce(name, key, value, merged[key])
        # Here, not in one caller: the CLI, the page's jobs and the quality run all build configs through this.
        if need := setting_problem(key, coerced, merged[key]):
            raise RegistryError(f"model {name!r} needs {key} {need}, not {value!r}")
        merged[key] = coerced
    return merged


def create(name: str, config: str = "default", **overrides: Any) -> Any:
    """Build the recipe for ``name`` with the named config and any overrides; the recipe keeps ``.config``."""
    merged = resolve_config(name, config, **overrides)
    recipe = get(name).builder(merged)
    recipe.name, recipe.config_name, recipe.config = name, config, merged
    return recipe


def _fit_recipe_names() -> set[str]:
    """Class names of every FitRecipe subclass defined by the model modules."""
    from modelhub.recipes import FitRecipe

    names, todo = set(), [FitRecipe]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


@cache
def parameter_estimate(name: str, config: str = "default") -> int | None:
    """Trainable parameters of ``name``'s torch model in ``config``, without training or benchmarking it.

    The model is built under PyTorch's meta device (shapes only: no weights are allocated or initialised, so
    the 16 M-parameter LSTM costs nothing); its data set is still loaded, since image models read their
    channels and classes from it. None for fit recipes (scikit-learn, counting models): their parameters
    exist only after fitting, and the builder is not run for them (it would load the docstring corpus).
    """
    import torch

    entry = get(name)
    if str(entry.builder.__annotations__.get("return", "")) in _fit_recipe_names():
        return None
    with torch.device("meta"):
        recipe = create(name, config)
    if getattr(recipe, "kind", "") != "torch":
        return None
    return sum(p.numel() for p in recipe.model.parameters() if p.requires_grad)
