"""Data sets, all offline: one ``load(name, **options)`` for every source.

- ``digits`` (options ``size``, ``seed``): scikit-learn's 1,797 8×8 digits → ``ImageDataset``.
- ``pydoc``: Python's documentation topics → ``TextCorpus`` (language modelling; ``.bytes(split)`` for ids).
- ``docstrings`` (``per_package``, ``seed``): docstrings of installed packages labelled by package → ``LabelledText``.
- ``upload:<kind>:<sha256>``: a stored upload (``uploads.store``): text → TextCorpus, csv → LabelledText,
  images → ImageDataset, tsv → ParallelCorpus (translation; loaded with ``modelhub.datasets.parallel.load_parallel``).
- ``folder:<path>`` (images only, for the CLI): a local folder with one sub-folder of images per label.

Models take a ``dataset`` config key and load it through the checker for their kind (``load_images``,
``load_text``, ``load_labelled``), so a data set of the wrong kind is refused by name before anything trains.
Splits are deterministic: stratified 70/15/15 by seed for labelled data, contiguous 70/15/15 for running text.
"""

from __future__ import annotations

from typing import Any

from modelhub.datasets.base import DatasetError, ImageDataset, LabelledText, TextCorpus
from modelhub.datasets.digits import load_digits
from modelhub.datasets.text import load_docstrings, load_pydoc
from modelhub.datasets.uploads import load_stored, read_image_folder

LOADERS = {"digits": load_digits, "pydoc": load_pydoc, "docstrings": load_docstrings}

__all__ = ["LOADERS", "DatasetError", "ImageDataset", "LabelledText", "TextCorpus", "load", "load_images",
           "load_labelled", "load_text"]


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
    """An image data set by name ('digits', 'upload:images:<sha256>' or 'folder:<path>'), resized to size×size.

    For a ``dataset`` config key of image models: anything that is not images is refused by name.
    """
    if name.startswith("folder:"):
        return read_image_folder(name.removeprefix("folder:"), size=size, seed=seed)
    if name != "digits" and not name.startswith("upload:images:"):
        raise DatasetError(f"data set {name!r} is not images; use 'digits', an uploaded zip of images "
                           "(upload:images:<sha256>) or a local folder (folder:<path>)")
    return load(name, size=size, seed=seed)  # type: ignore[return-value]


def load_text(name: str, *, seed: int = 0) -> TextCorpus:
    """A running text by name ('pydoc' or 'upload:text:<sha256>'), for a language model's ``dataset`` key.

    Anything that is not running text (a CSV, images, docstrings) is refused by name.
    """
    if name != "pydoc" and not name.startswith("upload:text:"):
        raise DatasetError(f"data set {name!r} is not running text; use 'pydoc' or an uploaded text file "
                           "(upload:text:<sha256>)")
    return load(name, seed=seed)  # type: ignore[return-value]


def load_labelled(name: str, *, per_package: int = 300, seed: int = 0) -> LabelledText:
    """Labelled texts by name ('docstrings' or 'upload:csv:<sha256>'), for a text classifier's ``dataset`` key.

    ``per_package`` applies to the docstrings only (an uploaded CSV is used whole). Anything else is refused.
    """
    if name == "docstrings":
        return load(name, per_package=per_package, seed=seed)  # type: ignore[return-value]
    if not name.startswith("upload:csv:"):
        raise DatasetError(f"data set {name!r} is not labelled text; use 'docstrings' or an uploaded CSV with "
                           "text and label columns (upload:csv:<sha256>)")
    return load(name, seed=seed)  # type: ignore[return-value]
