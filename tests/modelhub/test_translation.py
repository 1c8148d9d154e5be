"""Translation: sacrebleu BLEU on hand-worked pairs, IBM Model 1 on a toy corpus, phrase extraction, the
phrase decoder's reordering, and the attention seq2seq's masking and figures."""

from __future__ import annotations

import math

import pytest
import torch

from modelhub import registry
from modelhub.models.translation import (
    IBMModel1,
    PhraseDecoder,
    TrigramLM,
    extract_phrases,
    grow_diag_final_and,
    translation_scores,
)
from modelhub.models.translation_seq2seq import EOS, PAD, Seq2Seq, Vocabulary

torch.set_num_threads(1)


def test_bleu_of_a_hand_worked_pair():
    # Clipped n-gram precisions 5/6, 3/5, 2/4, 1/3, equal lengths (BP = 1): BLEU = (1/12)^(1/4).
    out = translation_scores(["the cat sat on the mat"], ["the cat sat on a mat"], "test")
    assert out["test_bleu"] == pytest.approx(100 * 12 ** -0.25, abs=1e-6)  # 53.728…
    assert out["test_exact_match"] == 0.0


def test_bleu_brevity_penalty_and_exact_match():
    # Every n-gram of the 5-word hypothesis is in the 6-word reference: BLEU = BP = exp(1 − 6/5).
    out = translation_scores(["the cat sat on the"], ["the cat sat on the mat"], "val")
    assert out["val_bleu"] == pytest.approx(100 * math.exp(-0.2), abs=1e-6)  # 81.873…
    both = translation_scores(["a  b c d", "x"], ["a b c d", "y"], "test")
    assert both["test_exact_match"] == 0.5  # whitespace runs do not count against a match
    with pytest.raises(ValueError, match="2 hypotheses for 1 references"):
        translation_scores(["a", "b"], ["a"], "test")


TOY_SOURCES = [["das", "Haus"], ["das", "Buch"], ["ein", "Buch"]]
TOY_TARGETS = [["the", "house"], ["the", "book"], ["a", "book"]]


def test_ibm1_recovers_the_obvious_alignment_of_the_toy_corpus():
    model = IBMModel1().fit(TOY_SOURCES, TOY_TARGETS, iterations=20)
    for src, tgt in zip(TOY_SOURCES, TOY_TARGETS, strict=True):
        assert model.viterbi(src, tgt) == {(0, 0), (1, 1)}
    # EM drives the co-occurrence ambiguity out: "das" is "the", not "book" or "house".
    assert model.prob("the", "das") > 0.9 > 0.05 > model.prob("book", "das")
    assert model.prob("book", "Buch") > model.prob("the", "Buch")
    for e in ("das", "Haus", "Buch", "ein"):
        assert sum(model.prob(f, e) for f in ("the", "house", "book", "a")) == pytest.approx(1.0)


def test_ibm1_first_em_step_matches_the_hand_computation():
    # Uniform start t = 1/4. Target "the" in pair 1 spreads 1/3 to each of NULL, das, Haus; in pair 2 the same
    # over NULL, das, Buch. So count(the, das) = 2/3, and das co-occurs with the, house, book (1/3 each besides).
    model = IBMModel1().fit(TOY_SOURCES, TOY_TARGETS, iterations=1)
    assert model.prob("the", "das") == pytest.approx((2 / 3) / (2 / 3 + 1 / 3 + 1 / 3))
    assert model.prob("a", "das") == 0.0  # never in the same pair


def test_symmetrisation_and_phrase_extraction_on_a_swapped_pair():
    links = grow_diag_final_and({(0, 1), (1, 0)}, {(0, 1), (1, 0), (1, 1)})
    assert links == {(0, 1), (1, 0)}  # (1, 1) would align two already-aligned words
    phrases = set(extract_phrases(["a", "b"], ["x", "y"], links, max_len=3))
    assert phrases == {(("a",), ("y",)), (("b",), ("x",)), (("a", "b"), ("x", "y"))}
    # An unaligned target word joins its neighbours' phrases but never stands alone.
    padded = set(extract_phrases(["a"], ["x", "of"], {(0, 0)}, max_len=3))
    assert padded == {(("a",), ("x",)), (("a",), ("x", "of"))}


def test_phrase_decoder_reorders_when_the_language_model_says_so():
    # Word-for-word options only; the target LM has only seen "B A", so a jump of one word must win.
    table = {("a",): [(("A",), 0.0)], ("b",): [(("B",), 0.0)]}
    lm = TrigramLM().fit([["B", "A"]] * 5)
    config = {"max_phrase": 2, "beam": 5, "distortion": 2, "lm_weight": 1.0, "distortion_weight": 0.1,
              "word_bonus": 0.0}
    assert PhraseDecoder(table, lm, config).translate(["a", "b"]) == ["B", "A"]
    assert PhraseDecoder(table, lm, {**config, "distortion": 0}).translate(["a", "b"]) == ["A", "B"]
    assert PhraseDecoder(table, lm, {**config, "distortion": 0}).translate(["a", "zebra"]) == ["A", "zebra"]  # copied


def test_ibm1_learns_numbers_from_a_small_generated_corpus():
    recipe = registry.create("ibm1", "default", size=600, beam=4, distortion=2).fit()
    metrics = recipe.evaluate()
    assert set(metrics) == {"val_bleu", "val_exact_match", "test_bleu", "test_exact_match"}
    # Trained on 420 pairs: well above chance, well below perfect (dates need a longer jump than 2).
    assert 20 < metrics["test_bleu"] < 95
    (figure,) = recipe.figures()
    assert figure["kind"] == "heatmap" and len(figure["z"]) == len(figure["y"])
    assert all(len(row) == len(figure["x"]) and sum(row) == pytest.approx(1.0) for row in figure["z"])


def _model() -> Seq2Seq:
    torch.manual_seed(0)
    return Seq2Seq(src_vocab=12, tgt_vocab=9, embedding_dim=8, hidden=16).eval()


def test_attention_rows_sum_to_one_and_ignore_padding():
    model = _model()
    src = torch.tensor([[4, 5, 6, 7], [8, 9, PAD, PAD]])
    tgt_in = torch.tensor([[1, 4, 5], [1, 6, 7]])
    logits, weights = model(src, tgt_in)
    assert logits.shape == (2, 3, 9) and weights.shape == (2, 3, 4)
    assert torch.allclose(weights.sum(-1), torch.ones(2, 3))
    assert torch.all(weights[1, :, 2:] == 0)  # padded source positions get no attention


def test_padding_does_not_change_a_sentences_encoding_or_output():
    model = _model()
    alone, _ = model(torch.tensor([[8, 9]]), torch.tensor([[1, 6]]))
    batched, _ = model(torch.tensor([[4, 5, 6, 7], [8, 9, PAD, PAD]]), torch.tensor([[1, 4], [1, 6]]))
    assert torch.allclose(alone[0], batched[1], atol=1e-6)


def test_greedy_decoding_returns_attention_per_output_token():
    out, attention = _model().greedy(torch.tensor([[4, 5, 6], [7, PAD, PAD]]), max_len=5)
    assert out.shape[0] == 2 and attention.shape == (2, out.shape[1], 3)
    assert torch.allclose(attention.sum(-1), torch.ones(2, out.shape[1]))


def test_vocabulary_round_trip_stops_at_end_of_sentence():
    vocab = Vocabulary([["b", "a", "a"], ["c"]], max_size=6)
    assert vocab.itos[4:] == ["a", "b"]  # most frequent first, capped at max_size
    ids = vocab.encode(["a", "c", "b"])
    assert vocab.decode([*ids, EOS, ids[0]]) == ["a", "b"]  # "c" was cut as unknown, nothing after </s>


def test_seq2seq_learns_and_draws_its_attention():
    from modelhub import trainer

    recipe = registry.create("seq2seq", "smoke", size=60, steps=80, eval_every=80, warmup_steps=5,
                             threads=1, lr=1e-2)
    before = recipe.loss(recipe.model, recipe.example_batch(32)).item()
    result = trainer.train(recipe, device="cpu")
    assert recipe.loss(recipe.model, recipe.example_batch(32)).item() < before / 2
    assert {"val_bleu", "test_bleu", "val_exact_match", "test_exact_match", "val_loss"} <= set(result.metrics)
    (figure,) = recipe.figures(recipe.model)
    assert figure["kind"] == "heatmap" and len(figure["z"]) == len(figure["y"])
    assert all(len(row) == len(figure["x"]) and sum(row) == pytest.approx(1.0, abs=1e-5) for row in figure["z"])


def test_registry_entries_carry_the_bars():
    neural, statistical = registry.get("seq2seq"), registry.get("ibm1")
    assert (neural.metric, neural.quality_bar, neural.beats) == ("test_bleu", 60.0, ("ibm1", "test_bleu"))
    assert statistical.task == neural.task == "translation" and statistical.higher_is_better
    assert (statistical.metric, statistical.quality_bar) == ("test_bleu", 60.0)
    assert "001:L310-331" in neural.source and "001:L292-308" in statistical.source
