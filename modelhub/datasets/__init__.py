"""Data sets, all offline: one ``load(name, **options)`` for every source.

- ``digits`` (options ``size``, ``seed``): scikit-learn's 1,797 8×8 digits → ``ImageDataset``.
- ``pydoc``: Python's documentation topics → ``TextCorpus`` (language modelling; ``.bytes(split)`` for ids).
- ``docstrings`` (``per_package``, ``seed``): docstrings of installed packages labelled by package → ``LabelledText``.
- ``upload:<kind>:<sha256>``: a stored upload (``uploads.store``): text → TextCorpus, csv → LabelledText,
  images → ImageDataset.
Splits are deterministic: stratified 70/15/15 by seed for labelled data, contiguous 70/15/15 for running text.
"""

from __future__ import annotations

from typing import Any

from modelhub.datasets.base import DatasetError, ImageDataset, LabelledText, TextCorpus
from modelhub.datasets.digits import load_digits
from modelhub.datasets.text import load_docstrings, load_pydoc
from modelhub.datasets.uploads import load_stored

LOADERS = {"digits": load_digits, "pydoc": load_pydoc, "docstrings": load_docstrings}

__all__ = ["LOADERS", "DatasetError", "ImageDataset", "LabelledText", "TextCorpus", "load", "load_images"]


def load(name: str, **options: Any) -> ImageDataset | LabelledText | TextCorpus:
    """The data set called ``name`` with loader options; unknown names and options raise DatasetError."""
    if name.startswith("upload:"):
        _, kind, digest = [*name.split(":"), "", ""][:3]
        return load_stored(kind, digest, **options)
    if name not in LOADERS:
        raise DatasetError(f"unknown data set {name!r}; known: {', '.join(sorted(LOADERS))}, upload:<kind>:<sha256>")
    try:
        return LOADERS[name](**options)
    except TypeError as err:
        raise DatasetError(f"data set {name!r}: {err}") from None


def load_images(name: str, *, size: int = 8, seed: int = 0) -> ImageDataset:
    """An image data set by name ('digits' or 'upload:images:<sha256>'), resized to size×size.

    For a ``dataset`` config key of image models: anything that is not images is refused by name.
    """
    if name != "digits" and not name.startswith("upload:images:"):
        raise DatasetError(f"data set {name!r} is not images; use 'digits' or an uploaded zip of images")
    return load(name, size=size, seed=seed)  # type: ignore[return-value]
