"""Data sets: offline, deterministic splits, and uploads that refuse what they cannot safely read."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from modelhub import datasets
from modelhub.datasets import DatasetError, uploads


def test_digits_split_is_deterministic_stratified_and_disjoint():
    a, b = datasets.load("digits", seed=1), datasets.load_digits.__wrapped__(8, 1)
    assert np.array_equal(a.y_test, b.y_test) and np.array_equal(a.x_val, b.x_val)
    assert len(a.y_train) + len(a.y_val) + len(a.y_test) == 1797
    assert set(np.unique(a.y_val)) == set(range(10))
    other = datasets.load("digits", seed=2)
    assert not np.array_equal(a.y_test, other.y_test)


def test_digits_resize_keeps_range_and_count():
    big = datasets.load("digits", size=28)
    assert big.shape == (1, 28, 28) and big.x_train.dtype == np.float32
    assert big.x_train.min() >= 0.0 and big.x_train.max() <= 1.0
    assert len(big.y_train) == len(datasets.load("digits").y_train)


def test_pydoc_corpus_is_contiguous_and_nonempty():
    corpus = datasets.load("pydoc")
    assert len(corpus.train) > 300_000 and corpus.val and corpus.test
    assert corpus.bytes("val").max() < 256


def test_docstrings_are_labelled_by_package_and_reproducible():
    data = datasets.load("docstrings", per_package=40, seed=0)
    assert data.classes == ("numpy", "pandas", "scipy", "sklearn", "sqlalchemy", "torch")
    assert np.bincount(np.concatenate([data.y_train, data.y_val, data.y_test])).tolist() == [40] * 6
    assert datasets.load_docstrings.__wrapped__(40, 0).x_test == data.x_test


def test_unknown_data_set_and_option_are_refused():
    with pytest.raises(DatasetError, match="unknown data set 'mnist'"):
        datasets.load("mnist")
    with pytest.raises(DatasetError, match="size must be between"):
        datasets.load("digits", size=1000)
    with pytest.raises(DatasetError, match="digits"):
        datasets.load("digits", colour=True)


def test_csv_upload_parses_and_names_the_bad_row():
    good = b"text,label\nhello world,a\nbye now,b\nmore text,a\n"
    data = uploads.parse_csv(good)
    assert data.classes == ("a", "b")
    with pytest.raises(DatasetError, match="row 3"):
        uploads.parse_csv(b"text,label\nfine,a\n,b\n")
    with pytest.raises(DatasetError, match="'text' and 'label'"):
        uploads.parse_csv(b"words,class\nx,y\n")
    with pytest.raises(DatasetError, match="at least 2"):
        uploads.parse_csv(b"text,label\nx,a\ny,a\n")


def test_text_upload_refuses_non_utf8_and_too_short():
    with pytest.raises(DatasetError, match="not UTF-8"):
        uploads.parse_text(b"\xff\xfe" + b"a" * 2000)
    with pytest.raises(DatasetError, match="at least"):
        uploads.parse_text(b"short")
    assert uploads.parse_text(("word " * 500).encode()).train


def _png(value: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", (12, 12), value).save(out, format="PNG")
    return out.getvalue()


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, blob in entries.items():
            z.writestr(name, blob)
    return out.getvalue()


def test_image_zip_reads_one_folder_per_label():
    blob = _zip({f"{label}/{i}.png": _png(v) for label, v in (("dark", 10), ("light", 240)) for i in range(5)})
    data = uploads.parse_image_zip(blob, size=8)
    assert data.classes == ("dark", "light") and data.shape == (1, 8, 8)
    assert len(data.y_train) + len(data.y_val) + len(data.y_test) == 10


@pytest.mark.parametrize("name", ["../evil/1.png", "/abs/1.png", "a/../../1.png", "C:/x/1.png"])
def test_image_zip_refuses_entries_outside_the_archive(name):
    with pytest.raises(DatasetError, match="outside the archive"):
        uploads.parse_image_zip(_zip({"ok/1.png": _png(1), "ok2/1.png": _png(2), name: _png(3)}))


def test_image_zip_refuses_a_compression_bomb():
    with pytest.raises(DatasetError, match="expands"):
        uploads.parse_image_zip(_zip({"a/1.png": b"\0" * 5_000_000, "b/1.png": _png(1)}))


def test_store_writes_under_the_digest_and_loads_back(tmp_path, monkeypatch):
    monkeypatch.setenv("FOUNDERDECK_DATA_DIR", str(tmp_path))
    blob = b"text,label\nalpha,a\nbeta,b\ngamma,a\ndelta,b\n"
    name = uploads.store(blob, "csv")
    kind, digest = name.split(":")[1:]
    assert kind == "csv" and [p.name for p in (tmp_path / "uploads").iterdir()] == [f"{digest}.csv"]
    assert datasets.load(name).classes == ("a", "b")
    with pytest.raises(DatasetError):
        uploads.store(b"not,a,csv\n", "csv")
    assert len(list((tmp_path / "uploads").iterdir())) == 1
    with pytest.raises(DatasetError, match="unknown upload"):
        datasets.load("upload:csv:../../etc/passwd")


def test_an_uploaded_image_zip_trains_the_mlp_by_name(tmp_path, monkeypatch):
    from modelhub import registry, trainer

    monkeypatch.setenv("FOUNDERDECK_DATA_DIR", str(tmp_path))
    blob = _zip({f"{label}/{i}.png": _png(v + i) for label, v in (("dark", 10), ("light", 200)) for i in range(10)})
    name = uploads.store(blob, "images")
    recipe = registry.create("mlp", "smoke", dataset=name, threads=1, steps=40, lr=0.01)
    assert recipe.data.classes == ("dark", "light")
    result = trainer.train(recipe, device="cpu")
    assert result.metrics["test_accuracy"] == 1.0  # dark and light images are trivially separable
    with pytest.raises(DatasetError, match="is not images"):
        registry.create("mlp", "smoke", dataset="pydoc")
