"""The data set types every loader returns, and the one deterministic split they all use."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Fractions of the rows that go to validation and test; the rest is training data.
VAL_FRACTION = 0.15
TEST_FRACTION = 0.15


class DatasetError(ValueError):
    """A data set that cannot be loaded or an upload that is refused; the message says why."""


@dataclass(frozen=True)
class ImageDataset:
    """Images as float32 arrays N×C×H×W in [0, 1] with int64 labels 0..K-1, split three ways."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...]
    meta: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int, int]:
        """One image's (channels, height, width)."""
        return tuple(self.x_train.shape[1:])  # type: ignore[return-value]

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of 'train', 'val' or 'test'."""
        return getattr(self, f"x_{name}"), getattr(self, f"y_{name}")


@dataclass(frozen=True)
class LabelledText:
    """Short texts with int64 labels 0..K-1 (text classification), split three ways."""

    name: str
    x_train: tuple[str, ...]
    y_train: np.ndarray
    x_val: tuple[str, ...]
    y_val: np.ndarray
    x_test: tuple[str, ...]
    y_test: np.ndarray
    classes: tuple[str, ...]
    meta: dict = field(default_factory=dict)

    def split(self, name: str) -> tuple[tuple[str, ...], np.ndarray]:
        """(texts, labels) of 'train', 'val' or 'test'."""
        return getattr(self, f"x_{name}"), getattr(self, f"y_{name}")


@dataclass(frozen=True)
class TextCorpus:
    """One running text for language modelling, split into contiguous train/val/test pieces."""

    name: str
    train: str
    val: str
    test: str
    meta: dict = field(default_factory=dict)

    def split(self, name: str) -> str:
        """The text of 'train', 'val' or 'test'."""
        return getattr(self, name)

    def bytes(self, name: str) -> np.ndarray:
        """The split as UTF-8 bytes (uint8 token ids 0..255, vocabulary 256)."""
        return np.frombuffer(self.split(name).encode("utf-8"), dtype=np.uint8).copy()


def split_indices(labels: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stratified train/val/test row indices: the same labels and seed always give the same split.

    Each class is shuffled with its own seeded generator and cut at the same fractions, so every class
    appears in every split in proportion (a class with fewer than 3 rows lands in training only).
    """
    rng = np.random.default_rng(seed)
    train, val, test = [], [], []
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        rows = rows[rng.permutation(len(rows))]
        n_val = round(len(rows) * VAL_FRACTION) if len(rows) >= 3 else 0
        n_test = round(len(rows) * TEST_FRACTION) if len(rows) >= 3 else 0
        val.append(rows[:n_val])
        test.append(rows[n_val:n_val + n_test])
        train.append(rows[n_val + n_test:])
    return tuple(np.sort(np.concatenate(part)) for part in (train, val, test))  # type: ignore[return-value]


def contiguous_split(text: str) -> tuple[str, str, str]:
    """Cut a running text at the val/test fractions (contiguous, so no sentence leaks between splits)."""
    n = len(text)
    a = int(n * (1 - VAL_FRACTION - TEST_FRACTION))
    b = int(n * (1 - TEST_FRACTION))
    return text[:a], text[a:b], text[b:]
