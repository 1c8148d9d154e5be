"""001 §3.1.1's Naive Bayes as written: the pseudocode's scoring by hand, as a scikit-learn estimator, and
what it costs beside the corrected MultinomialNB on the same split."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.naive_bayes import MultinomialNB

from modelhub import registry
from modelhub.datasets import load, uploads
from modelhub.models.classic_as_written import AsWrittenNaiveBayes

# Two classes, three features; class 0 is four times as common as class 1.
features_ = np.array([[2, 0, 1], [1, 0, 2], [3, 1, 0], [2, 0, 0], [0, 2, 1]], dtype=float)
labels_ = np.array([0, 0, 0, 0, 1])


def test_scores_are_the_pseudocodes_product_of_p_f_given_c_times_p_f():
    nb = AsWrittenNaiveBayes(alpha=1.0).fit(features_, labels_)
    doc = np.array([[1.0, 2.0, 0.0]])
    counts = [features_[labels_ == c].sum(0) for c in (0, 1)]
    total = features_.sum(0)
    for c in (0, 1):
        p_f_c = [(counts[c][f] + 1) / (counts[c].sum() + 3) for f in range(3)]
        p_f = [(total[f] + 1) / (total.sum() + 3) for f in range(3)]
        by_hand = 1.0
        for f, times in enumerate(doc[0]):  # "for feature in document": once per occurrence
            for _ in range(int(times)):
                by_hand *= p_f_c[f] * p_f[f]
        assert nb.class_scores(doc)[0, c] == pytest.approx(by_hand, rel=1e-12)
    logs = AsWrittenNaiveBayes(alpha=1.0, arithmetic="log").fit(features_, labels_).class_scores(doc)
    assert np.allclose(np.exp(logs), nb.class_scores(doc))


def test_without_the_prior_a_rare_class_wins_where_the_posterior_picks_the_common_one():
    doc = np.array([[1.0, 1.0, 1.0]])
    written = AsWrittenNaiveBayes(alpha=1.0).fit(features_, labels_)
    corrected = MultinomialNB(alpha=1.0).fit(features_, labels_)
    assert written.predict(doc)[0] == 1 and corrected.predict(doc)[0] == 0
    # The evidence P(f) multiplies every class alike: the likelihood ratio is the corrected one without the prior.
    ratio = written.class_scores(doc)[0]
    jll = corrected.predict_joint_log_proba(doc)[0] - corrected.class_log_prior_
    assert math.log(ratio[1] / ratio[0]) == pytest.approx(jll[1] - jll[0])


def test_a_long_document_underflows_to_zero_for_every_class_and_ties_on_the_first():
    nb = AsWrittenNaiveBayes(alpha=1.0).fit(features_, labels_)
    long = np.array([[0.0, 400.0, 400.0]])  # clearly class 1, but 800 factors below 0.3 each
    assert (nb.class_scores(long) == 0.0).all() and nb.predict(long)[0] == 0
    assert AsWrittenNaiveBayes(alpha=1.0, arithmetic="log").fit(features_, labels_).predict(long)[0] == 1


def test_it_is_a_scikit_learn_estimator():
    nb = AsWrittenNaiveBayes(alpha=0.5, arithmetic="log")
    assert clone(nb).get_params() == {"alpha": 0.5, "arithmetic": "log"}
    assert not hasattr(nb, "classes_") and nb.fit(features_, labels_) is nb and list(nb.classes_) == [0, 1]
    with pytest.raises(ValueError, match="arithmetic"):
        AsWrittenNaiveBayes(arithmetic="exp").fit(features_, labels_)
    with pytest.raises(registry.RegistryError, match="arithmetic must be one of"):
        registry.create("naive_bayes_as_written", "smoke", arithmetic="exp")


def test_on_the_default_docstrings_the_products_underflow_and_it_does_worse():
    written = registry.create("naive_bayes_as_written").fit().evaluate()
    corrected = registry.create("naive_bayes").fit().evaluate()
    assert written["test_all_zero_rate"] > 0  # balanced classes: the prior is uniform, underflow is the cost
    assert written["test_accuracy"] < corrected["test_accuracy"]
    logs = registry.create("naive_bayes_as_written", arithmetic="log").fit().evaluate()
    assert logs["test_accuracy"] == corrected["test_accuracy"]  # no underflow + equal priors: the same model


def _imbalanced_csv(sizes=(300, 120, 60, 30, 15, 10), seed=0) -> bytes:
    """The docstrings with the six packages at very different frequencies, as a user's CSV upload."""
    d = load("docstrings", per_package=300, seed=seed)
    texts = [*d.x_train, *d.x_val, *d.x_test]
    labels = np.concatenate([d.y_train, d.y_val, d.y_test])
    rng = np.random.default_rng(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["text", "label"])
    for label, n in enumerate(sizes):
        for i in rng.permutation(np.flatnonzero(labels == label))[:n]:
            writer.writerow([texts[i], d.classes[label]])
    return out.getvalue().encode()


def test_on_imbalanced_classes_the_missing_prior_costs_accuracy_on_the_same_split(tmp_path, monkeypatch):
    monkeypatch.setenv("FOUNDERDECK_DATA_DIR", str(tmp_path))
    name = uploads.store(_imbalanced_csv(), "csv")
    written = registry.create("naive_bayes_as_written", dataset=name, arithmetic="log")
    corrected = registry.create("naive_bayes", dataset=name)
    assert written.data.x_test == corrected.data.x_test  # the same split
    w, c = written.fit().evaluate(), corrected.fit().evaluate()
    flipped = (written.predict(written.data.x_test) != corrected.predict(corrected.data.x_test)).sum()
    print(f"as written {w['test_accuracy']:.4f}, corrected {c['test_accuracy']:.4f}, {flipped} of "
          f"{len(written.data.x_test)} test predictions differ")
    assert flipped > 0 and w["test_accuracy"] < c["test_accuracy"]
