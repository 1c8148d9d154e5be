"""Offline text: Python's own documentation (``pydoc_data.topics``) and docstrings of installed packages.

Both are read from what is installed on this machine, so they are the same everywhere the same versions are
installed; ``meta`` records the versions so a result can say which text it was measured on.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import platform
from functools import lru_cache
from pathlib import Path

import numpy as np

from modelhub.datasets.base import DatasetError, LabelledText, TextCorpus, contiguous_split, split_indices

# Packages whose docstrings label the text-classification corpus: all are requirements of the app, so
# they are installed wherever it runs. Import names; labels are the same names.
DOCSTRING_PACKAGES = ("numpy", "pandas", "scipy", "sklearn", "sqlalchemy", "torch")
DISTRIBUTIONS = {"sklearn": "scikit-learn", "sqlalchemy": "SQLAlchemy"}


@lru_cache(maxsize=2)
def load_pydoc(seed: int = 0) -> TextCorpus:
    """The Python reference's help topics (~465k characters) as one text, topics in sorted order.

    ``seed`` is accepted for the common interface; the contiguous 70/15/15 split does not depend on it.
    """
    from pydoc_data.topics import topics

    text = "\n\n".join(topics[k].strip() for k in sorted(topics))
    train, val, test = contiguous_split(text)
    return TextCorpus(name="pydoc", train=train, val=val, test=test,
                      meta={"source": "pydoc_data.topics", "python": platform.python_version(),
                            "characters": len(text)})


def _docstrings_of(package: str, limit: int, seed: int) -> list[str]:
    """Up to ``limit`` docstrings (first two paragraphs, 40–1,000 characters) from a package's source files.

    Files are parsed with ``ast`` (nothing is imported or run), in a seeded shuffled order, skipping tests.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise DatasetError(f"docstrings: package {package!r} is not installed")
    files = sorted(p for p in Path(spec.origin).parent.rglob("*.py") if "tests" not in p.parts)
    order = np.random.default_rng(seed).permutation(len(files))
    found: list[str] = []
    seen: set[str] = set()
    for i in order:
        try:
            tree = ast.parse(files[i].read_text(encoding="utf-8", errors="replace"))
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module):
                continue
            doc = ast.get_docstring(node)
            if not doc:
                continue
            text = "\n\n".join(doc.strip().split("\n\n")[:2])[:1000]
            if len(text) >= 40 and text not in seen:
                seen.add(text)
                found.append(text)
                if len(found) >= limit:
                    return found
    return found


@lru_cache(maxsize=4)
def load_docstrings(per_package: int = 300, seed: int = 0) -> LabelledText:
    """Docstrings labelled by the package they come from (6 classes, ``per_package`` each at most).

    A text-classification task with real, varied technical prose: which library wrote this docstring?
    Split stratified 70/15/15 by ``seed``.
    """
    if not 10 <= int(per_package) <= 5000:
        raise DatasetError(f"docstrings: per_package must be between 10 and 5000, not {per_package}")
    texts: list[str] = []
    labels: list[int] = []
    for label, package in enumerate(DOCSTRING_PACKAGES):
        docs = _docstrings_of(package, int(per_package), seed)
        texts += docs
        labels += [label] * len(docs)
    y = np.asarray(labels, dtype=np.int64)
    tr, va, te = split_indices(y, seed)
    pick = lambda rows: tuple(texts[i] for i in rows)  # noqa: E731 - three uses, one line each
    versions = {p: importlib.metadata.version(DISTRIBUTIONS.get(p, p)) for p in DOCSTRING_PACKAGES}
    return LabelledText(
        name="docstrings", x_train=pick(tr), y_train=y[tr], x_val=pick(va), y_val=y[va], x_test=pick(te),
        y_test=y[te], classes=DOCSTRING_PACKAGES,
        meta={"source": "docstrings of installed packages (ast, first two paragraphs)", "versions": versions,
              "per_package": per_package, "seed": seed},
    )
