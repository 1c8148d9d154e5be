"""Word N-gram: tokenization round trip, Kneser-Ney counts and normalisation, the document's code as written."""

from __future__ import annotations

import math

import pytest

from modelhub.models.ngram import BOS, UNK, KneserNeyLM, SpellingModel, as_written, corrected_bigram, tokenize

TEXT = "the cat sat on the mat . the cat ate the rat . a dog sat on the cat ."


@pytest.mark.parametrize("text", ["a  b\n\nc(d)", "  leading", "trailing \n", "", "déjà vu — ok"])
def test_tokens_concatenate_back_to_the_text(text):
    assert "".join(tokenize(text)) == text


def test_tokens_are_words_and_punctuation_with_their_leading_space():
    assert tokenize("x = f(a_b)") == ["x", " =", " f", "(", "a_b", ")"]


def test_highest_order_keeps_raw_counts_and_lower_orders_count_distinct_left_contexts():
    lm = KneserNeyLM(order=2, min_count=1).fit(TEXT)
    assert lm.counts_[2][(" the",)][" cat"] == 2      # "the cat" twice (plus the sentence-initial "the cat")
    assert lm.counts_[2][("the",)][" cat"] == 1
    # continuation count of " cat": preceded by " the" and "the" → 2 distinct left contexts
    assert lm.counts_[1][()][" cat"] == 2


@pytest.mark.parametrize("order", [1, 2, 3])
def test_each_conditional_distribution_sums_to_one(order):
    lm = KneserNeyLM(order=order, min_count=1).fit(TEXT)
    for context in [(BOS,) * (order - 1), (" the", " cat")[-(order - 1):] if order > 1 else (), ("never",) * 2]:
        assert math.isclose(sum(lm.distribution(tuple(context)).values()), 1.0, rel_tol=1e-9)


def test_smoothing_gives_unseen_continuations_some_but_less_probability():
    lm = KneserNeyLM(order=2, min_count=1).fit(TEXT)
    seen, unseen = lm.prob(" cat", (" the",)), lm.prob(" dog", (" the",))
    assert 0 < unseen < seen


def test_rare_words_become_unk_and_pay_for_their_spelling():
    lm = KneserNeyLM(order=2, min_count=2).fit(TEXT)
    assert UNK in lm.vocab_ and " dog" not in lm.vocab_
    scored = lm.score(" the zebra")
    assert scored["oov_rate"] == 0.5
    assert scored["nats"] > -math.log(lm.prob(" the", (BOS,))) - math.log(lm.prob(UNK, (" the",)))


def test_spelling_model_is_a_distribution_over_one_step():
    spell = SpellingModel().fit(["ab", "ac"])
    total = sum(math.exp(-spell.nats_of_step(256, b)) for b in range(257))
    assert math.isclose(total, 1.0, rel_tol=1e-9)


def test_a_longer_context_fits_the_training_text_better():
    scores = [KneserNeyLM(order=n, min_count=1).fit(TEXT).score(TEXT)["nats_per_token"] for n in (1, 2, 3)]
    assert scores[0] > scores[1] > scores[2]


def test_loss_per_byte_is_total_nats_over_utf8_bytes():
    lm = KneserNeyLM(order=2, min_count=1).fit(TEXT)
    s = lm.score("the cat é")
    assert math.isclose(s["nats_per_byte"], s["nats"] / len("the cat é".encode()))
    assert math.isclose(s["perplexity"], math.exp(s["nats_per_token"]))


def test_as_written_counts_two_character_strings_and_always_answers_zero():
    result = as_written()
    assert result["probability"] == 0.0
    assert result["denominator"] == 19  # len("I like to eat pizza.") - 1 bigrams
    assert all(isinstance(k, str) and len(k) == 2 for k in result["counts"])
    assert "I " in result["counts"] and "zz" in result["counts"]
    assert result["lookup_key"] == ("a", "a")  # word_sequence[-2] is the character 'a' of "pizza."


def test_corrected_bigram_conditions_on_the_previous_word():
    # "a b a c a": the last word is "a", followed by "b" once and "c" once in the text
    assert corrected_bigram("a b a c a", "b")["probability"] == pytest.approx(1 / 2)


def test_order_below_one_is_refused():
    with pytest.raises(ValueError, match="order"):
        KneserNeyLM(order=0)
