"""Every model family trains on the user's own data through its ``dataset`` key: an uploaded CSV for the
classifiers, an uploaded text for the language models, a local image folder from the CLI; a data set of the
wrong kind is refused by name."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from modelhub import registry
from modelhub.datasets import DatasetError, uploads

TOPICS = {  # three labels whose texts share no content words: a classifier that reads the upload separates them
    "astronomy": ["star", "planet", "orbit", "telescope", "galaxy", "comet", "nebula", "moon", "crater", "eclipse"],
    "cooking": ["flour", "butter", "oven", "whisk", "simmer", "garlic", "recipe", "pan", "onion", "dough"],
    "sailing": ["mast", "keel", "harbour", "tide", "anchor", "jib", "hull", "knot", "rudder", "deck"],
}
GLUE = ["the", "a", "of", "and", "with", "under", "near", "over"]


def _sentence(rng: np.random.Generator, words: list[str]) -> str:
    return " ".join(rng.choice(words if i % 2 == 0 else GLUE) for i in range(int(rng.integers(6, 12))))


def _csv(rows_per_label: int = 40, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    lines = ["text,label"] + [f"{_sentence(rng, words)},{label}" for label, words in TOPICS.items()
                              for _ in range(rows_per_label)]
    return "\n".join(lines).encode()


def _text(sentences: int = 400, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    pool = [w for words in TOPICS.values() for w in words]
    return (". ".join(_sentence(rng, pool).capitalize() for _ in range(sentences)) + ".\n").encode()


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FOUNDERDECK_DATA_DIR", str(tmp_path / "data"))


@pytest.mark.parametrize("name", ["naive_bayes", "linear_svm"])
def test_a_classifier_trains_on_an_uploaded_csv(name):
    blob = _csv()
    recipe = registry.create(name, "smoke", dataset=uploads.store(blob, "csv"))
    assert recipe.data.classes == tuple(sorted(TOPICS))  # the upload's labels, not the six packages
    assert recipe.data.x_train == uploads.parse_csv(blob).x_train
    metrics = recipe.fit().evaluate()
    assert metrics["test_accuracy"] >= 0.9 and metrics["test_macro_f1"] >= 0.9


def test_an_ngram_fits_an_uploaded_text_and_scores_its_held_out_part():
    blob = _text()
    name = uploads.store(blob, "text")
    recipe = registry.create("ngram", "smoke", dataset=name)
    assert recipe.corpus.train == uploads.parse_text(blob).train
    metrics = recipe.fit().evaluate()
    on_pydoc = registry.create("ngram", "smoke").fit()
    # A 30-word vocabulary is far easier than the Python documentation: the model learned the upload, and
    # one fitted on the documentation predicts the upload's test text much worse.
    assert metrics["test_loss"] < 1.0
    assert on_pydoc.model.score(recipe.corpus.test)["nats_per_byte"] > 2 * metrics["test_loss"]


def test_the_byte_level_models_read_an_uploaded_text():
    name = uploads.store(_text(), "text")
    for model in ("gpt", "lstm"):
        recipe = registry.create(model, "smoke", dataset=name)
        assert recipe.corpus.meta["source"] == "upload"
        assert np.isfinite(recipe.evaluate(recipe.model)["test_loss"])


def test_a_data_set_of_the_wrong_kind_is_refused_by_name():
    csv_name = uploads.store(_csv(), "csv")
    text_name = uploads.store(_text(), "text")
    with pytest.raises(DatasetError, match="is not running text"):
        registry.create("gpt", "smoke", dataset=csv_name)
    with pytest.raises(DatasetError, match="is not running text"):
        registry.create("ngram", "smoke", dataset="docstrings")
    with pytest.raises(DatasetError, match="is not labelled text"):
        registry.create("naive_bayes", "smoke", dataset=text_name)
    with pytest.raises(DatasetError, match="is not images"):
        registry.create("mlp", "smoke", dataset=csv_name)


def test_an_image_folder_trains_the_mlp_from_the_command_line(tmp_path, capsys):
    from modelhub.__main__ import main

    for label, value in (("dark", 10), ("light", 230)):
        (tmp_path / "imgs" / label).mkdir(parents=True)
        for i in range(10):
            Image.new("L", (10, 10), value + i).save(tmp_path / "imgs" / label / f"{i}.png")
    recipe = registry.create("mlp", "smoke", dataset=f"folder:{tmp_path / 'imgs'}")
    assert recipe.data.classes == ("dark", "light") and recipe.data.shape == (1, 8, 8)
    argv = ["train", "mlp", "--config", "smoke", "--set", f"dataset=folder:{tmp_path / 'imgs'}", "--set", "threads=1"]
    assert main(argv) == 0 and "test_accuracy = " in capsys.readouterr().out
    assert main(["train", "mlp", "--set", f"dataset=folder:{tmp_path / 'nowhere'}"]) == 2
    assert "is not a folder" in capsys.readouterr().err

