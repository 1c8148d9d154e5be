"""The errata: each recomputation checked against values worked out here by hand, NumPy or PyTorch, and
each citation against the source documents."""

from __future__ import annotations

import contextlib
import io
import math

import numpy as np
import pytest

from analytics import errata_math as em
from analytics.errata import ErrataInputs, errata
from tests.test_library import SEEDS

ALL = {e.id: e for e in errata()}


def _row(table, column: str, value):
    return table[table[column] == value].iloc[0]


def test_every_erratum_cites_lines_that_hold_its_words():
    if not SEEDS.is_dir():
        pytest.skip(f"the source documents are not at {SEEDS}")
    docs = {p.name[:3]: p.read_text(encoding="utf-8").split("\n") for p in SEEDS.glob("*.txt")}
    assert len(ALL) == len(errata())  # unique ids
    for erratum in ALL.values():
        c = erratum.cite
        assert 1 <= c.first <= c.last <= len(docs[c.doc])
        assert c.quote in "\n".join(docs[c.doc][c.first - 1:c.last]), erratum.id
        assert erratum.says and erratum.problem and erratum.correct and not erratum.table.empty, erratum.id


def test_the_issue_s_errata_are_all_there():
    assert {"gan_generator_004", "gan_discriminator_004", "gan_sign_000", "attention_004", "vae_kl_000", "ngram_000",
            "lstm_004", "multimodal_000", "faster_rcnn_001", "yolo_ssd_001", "naive_bayes_001"} <= set(ALL)


def test_gan_generator_example_is_0_105_nats_and_0_15_only_in_bits():
    table = ALL["gan_generator_004"].table
    assert _row(table, "log base", "ln")["−log D(G(z))"] == pytest.approx(0.10536, abs=1e-5)
    assert _row(table, "log base", "log2")["−log D(G(z))"] == pytest.approx(0.15200, abs=1e-5)
    printed = {r["log base"] for _, r in table.iterrows() if round(r["−log D(G(z))"], 2) == 0.15}
    assert printed == {"log2"}


def test_gan_discriminator_example_is_0_446_nats_and_0_22_is_one_term():
    table = ALL["gan_discriminator_004"].table
    both = -(math.log(0.8) + math.log(1 - 0.2))
    assert _row(table, "log base", "ln")["−[log D(x) + log(1 − D(G(z)))]"] == pytest.approx(both)
    assert both == pytest.approx(0.4463, abs=1e-4)
    assert all(round(v, 2) != 0.22 for v in table["−[log D(x) + log(1 − D(G(z)))]"])  # no base gives 0.22
    assert round(_row(table, "log base", "ln")["−log D(x) alone"], 2) == 0.22


def test_the_gan_inputs_can_be_changed():
    table = {e.id: e for e in errata(ErrataInputs(d_fake=0.5))}["gan_generator_004"].table
    assert _row(table, "log base", "ln")["−log D(G(z))"] == pytest.approx(math.log(2))
    assert table["document prints"].isna().all()  # the document's 0.15 is for 0.9 only


def test_000s_second_generator_loss_pushes_the_discriminator_output_down():
    table = ALL["gan_sign_000"].table
    assert (table["its slope d/dD(x̂)"] > 0).all() and (table["v1 slope"] < 0).all()
    d = 0.3
    assert _row(table, "D(x̂)", d)["as written −log(1 − D(x̂))"] == pytest.approx(-np.log(1 - d))


def test_attention_example_with_three_tokens_and_the_scaling():
    ex = em.attention_example(seed=0)
    q, k, v = ex["q"], ex["k"], ex["v"]
    assert q.shape == (3, 512)  # three words, three vectors (the document has four)
    scores = q @ k.T / np.sqrt(512)
    expected = np.exp(scores - scores.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    np.testing.assert_allclose(ex["weights"], expected)
    np.testing.assert_allclose(ex["weights"].sum(1), 1.0)
    np.testing.assert_allclose(ex["output"], expected @ v)  # row i = Σ_j p_ij v_j, 3×512
    # Without √d_k (as in the example) each row is almost one-hot; with it, the weights spread.
    assert ex["weights_unscaled"].max(1).min() > 0.99 and ex["weights"].max(1).max() < 0.95
    table = ALL["attention_004"].table
    np.testing.assert_allclose(table[["scaled → I", "scaled → love", "scaled → AI"]].to_numpy(), expected)


def test_vae_kl_as_written_ignores_the_variance_and_goes_negative():
    mu, log_var = np.array([0.0, 1.0, 0.5]), np.array([0.0, 1.0, -2.0])
    by_hand = -0.5 * np.sum(1 + log_var - mu**2 - np.exp(log_var))
    assert em.vae_kl(mu, log_var) == pytest.approx(by_hand)
    assert em.vae_kl_as_written(mu, log_var) == pytest.approx(-0.5 * np.sum(1 - mu**2))
    table = ALL["vae_kl_000"].table
    assert (table["correct KL"] >= 0).all()
    assert _row(table, "log σ²", 1.0)["correct KL"] == pytest.approx(-0.5 * (1 + 1 - 0 - math.e))
    assert table.iloc[0]["as written"] == pytest.approx(-0.5)  # μ = 0, σ² = 1: KL is 0, the listing says −½
    assert (3 ^ 2) == 1  # `^` in the listing is XOR in Python


def test_the_ngram_listing_run_as_printed_gives_0_and_counts_character_pairs():
    if not SEEDS.is_dir():
        pytest.skip(f"the source documents are not at {SEEDS}")
    lines = next(SEEDS.glob("000_*.txt")).read_text(encoding="utf-8").split("\n")
    listing = "\n".join(lines[232 - 1:247])  # 000:L232-247, the code between the fences
    out, scope = io.StringIO(), {}
    with contextlib.redirect_stdout(out):
        exec(compile(listing, "000:L232-247", "exec"), scope)  # the document's own 15 lines, no I/O
    assert out.getvalue().strip() == "The probability of 'a' is 0.0"
    freq, prob = em.ngram_as_written()
    assert prob == 0.0 and dict(scope["n_gram_freq"]) == freq
    assert sum(v for k, v in freq.items() if isinstance(k, str)) == len("I like to eat pizza.") - 1 == 19
    assert all(len(k) == 2 for k in freq if isinstance(k, str))
    sentence = "I like to eat pizza."
    shown = _row(ALL["ngram_000"].table, "quantity", "distinct keys")["as written"]
    assert shown == str(len({sentence[i:i + 2] for i in range(len(sentence) - 1)}))


def test_the_corrected_bigram_counts_words():
    tokens = em.tokenize("I like to eat pizza.")
    assert tokens == ["I", "like", "to", "eat", "pizza", "."]
    assert em.bigram_probability(tokens, "eat", "pizza") == 1.0
    assert em.bigram_probability(tokens, "pizza", "a") == 0.0
    assert em.bigram_probability(tokens, "pizza", "a", add_k=1) == pytest.approx((0 + 1) / (1 + 7))


def test_lstm_listing_parameter_counts_match_the_frameworks():
    p = em.lstm_listing_params()
    keras = 10_000 * 256 + 4 * ((256 + 1024) * 1024 + 1024) + 4 * ((1024 + 1024) * 1024 + 1024)
    assert p["keras_as_written"] == keras == 16_199_680
    assert p["keras_with_head"] == keras + 1024 * 10_000 + 10_000
    torch = pytest.importorskip("torch")
    port = [torch.nn.Embedding(10_000, 256), torch.nn.LSTM(256, 1024), torch.nn.LSTM(1024, 1024)]
    assert p["torch_as_written"] == sum(t.numel() for m in port for t in m.parameters()) == 16_207_872
    table = ALL["lstm_004"].table
    assert _row(table, "layer", "Dense(10000, softmax)")["as written"] == 0


def test_multimodal_fix_has_the_parameters_counted_by_hand():
    table = ALL["multimodal_000"].table
    by_hand = (784 * 64 + 64) + (100 * 64 + 64) + (128 * 10 + 10)
    assert _row(table, "step", "total parameters")["functional fix"] == f"{by_hand:,}" == "57,994"


def test_naive_bayes_without_the_prior_picks_the_other_class_and_underflows():
    table = ALL["naive_bayes_001"].table
    short = table[table["document"] == "2 words"]
    assert short.loc[short["as written Π P(f|c)·P(f)"].idxmax(), "class"] == "B"
    assert short.loc[short["correct log P(c) + Σ log P(f|c)"].idxmax(), "class"] == "A"
    assert np.log(0.8) + 2 * np.log(0.1) > np.log(0.2) + np.log(0.15) + np.log(0.1)  # A wins, by hand
    long = table[table["document"] == "500 words"]
    assert (long["as written Π P(f|c)·P(f)"] == 0.0).all()  # float64 underflow: every class ties
    assert long["correct log P(c) + Σ log P(f|c)"].iloc[0] == pytest.approx(np.log(0.8) + 500 * np.log(0.001))


def test_detection_heads_and_ssd_boxes():
    assert em.ssd300_default_boxes() == 38 * 38 * 4 + 19 * 19 * 6 + 10 * 10 * 6 + 5 * 5 * 6 + 3 * 3 * 4 + 4 == 8732
    two_stage = ALL["faster_rcnn_001"].table
    assert _row(two_stage, "step", "Dense(num_classes, softmax)")["box numbers out"] == "0"
    assert em.conv_out(224, 7) == 218 and em.conv_out(218, 2, 2) == 109 and em.conv_out(224, 3, 2, "same") == 112


def test_convnet_flatten_sizes_match_pytorch():
    torch = pytest.importorskip("torch")
    conv = torch.nn.Sequential(torch.nn.Conv2d(1, 6, 3), torch.nn.ReLU(), torch.nn.Conv2d(6, 16, 3), torch.nn.ReLU())
    pooled = torch.nn.Sequential(torch.nn.Conv2d(1, 6, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                 torch.nn.Conv2d(6, 16, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2))
    with torch.no_grad():
        for n in (10, 28, 32):
            x = torch.zeros(1, 1, n, n)
            assert em.convnet_flatten(n) == conv(x).numel()
            assert em.convnet_flatten(n, pooled=True) == pooled(x).numel()
    assert em.convnet_flatten(10) == em.convnet_flatten(32, pooled=True) == 16 * 6 * 6


def test_a_probability_out_of_range_is_refused():
    with pytest.raises(ValueError, match="probability"):
        em.neg_log(0.0)


def test_the_listings_that_are_not_python_fail_to_parse_as_printed():
    import ast

    from analytics.errata_listings import OD_API_CALL, SMT_LISTING

    if not SEEDS.is_dir():
        pytest.skip(f"the source documents are not at {SEEDS}")
    lines = next(SEEDS.glob("001_*.txt")).read_text(encoding="utf-8").split("\n")
    for snippet, first, last in ((SMT_LISTING, 297, 307), (OD_API_CALL, 1091, 1092)):
        printed = "\n".join(lines[first - 1:last])
        for line in snippet.strip().split("\n"):
            assert line.strip() in printed  # the snippet is the document's text
        with pytest.raises(SyntaxError):
            ast.parse(snippet)
    table = ALL["syntax_001"].table
    assert table["Python says"].str.startswith("SyntaxError").all() and (table["after the fix"] == "parses").all()


def test_lenet_text_and_code_parameter_counts():
    table = ALL["lenet_001"].table
    conv = (5 * 5 * 6 + 6) + (5 * 5 * 6 * 16 + 16)
    three_dense = conv + (4 * 4 * 16 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10)
    assert table["parameters"].iloc[0] == three_dense == 44_426
    assert table["parameters"].iloc[1] == conv + 4 * 4 * 16 * 10 + 10


def test_the_box_corner_and_the_text_generators():
    corner = ALL["od_api_corner_001"].table.set_index("point")
    assert tuple(corner.loc["correct second corner"]) == (int(0.9 * 640), int(0.6 * 480))
    assert tuple(corner.loc["listing's second point"]) == (int((0.9 - 0.3) * 640), int((0.6 - 0.2) * 480))
    gen = ALL["textgen_001"].table
    assert gen["parameters (64-d inputs)"].iloc[0] == 4 * ((64 + 128) * 128 + 128) + 128 + 1
    assert list(gen["emits a token?"]) == ["no", "no", "no", "yes"]
