"""The documents' wrong formulas, worked examples and code listings, each recomputed live.

Every :class:`Erratum` cites document, section and lines (with a verbatim fragment, checked by a test), says
what the document prints, what is wrong, the correct version, and carries a table computed here, now, by
:mod:`analytics.errata_math`. Pure: NumPy and pandas, no framework, no streamlit.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics import errata_math as em
from analytics.library import Citation


@dataclass(frozen=True)
class ErrataInputs:
    """The numbers a reader may change on the page (the documents' own values by default)."""

    d_fake: float = 0.9  # 004:L267, D(G(z)) in the generator example
    d_real: float = 0.8  # 004:L287, D(x) in the discriminator example
    d_fake_disc: float = 0.2  # 004:L287, D(G(z)) in the discriminator example
    seed: int = 0  # the attention example's vectors


@dataclass(frozen=True)
class Erratum:
    id: str
    title: str
    kind: str  # "formula", "worked example" or "code listing"
    cite: Citation
    says: str  # what the document prints (verbatim where short)
    problem: str
    correct: str
    table: pd.DataFrame  # the live recomputation
    table_note: str
    modelhub: tuple[str, ...] = ()  # modelhub entries reproducing or correcting it (more are matched by lines)


def _c(doc: str, section: str, first: int, last: int, quote: str) -> Citation:
    return Citation(doc, section, first, last, quote)


def _gan_generator(inp: ErrataInputs) -> Erratum:
    rows = [{"log base": name, "−log D(G(z))": em.generator_loss(inp.d_fake, base),
             "document prints": 0.15 if inp.d_fake == 0.9 else math.nan}
            for name, base in em.LOG_BASES.items()]
    return Erratum(
        "gan_generator_004", "GAN generator loss example: −log(0.9) ≈ 0.15", "worked example",
        _c("004", "§4.2 GAN 中的损失函数", 266, 271, "L_G = -\\log(0.9) \\approx 0.15"),
        "L_G = −log(0.9) ≈ 0.15",
        "0.15 holds only for log base 2; the formula (and every framework's loss) uses the natural log, "
        "which gives 0.105. The base is never stated.",
        "L_G = −ln D(G(z)); with D(G(z)) = 0.9, L_G = −ln 0.9 = 0.1054 (0.1520 in bits).",
        pd.DataFrame(rows), f"D(G(z)) = {inp.d_fake:g}; change it above.", ("gan",))


def _gan_discriminator(inp: ErrataInputs) -> Erratum:
    rows = []
    for name, base in em.LOG_BASES.items():
        rows.append({"log base": name, "−[log D(x) + log(1 − D(G(z)))]": em.discriminator_loss(
            inp.d_real, inp.d_fake_disc, base), "−log D(x) alone": em.neg_log(inp.d_real, base),
            "document prints": 0.22 if (inp.d_real, inp.d_fake_disc) == (0.8, 0.2) else math.nan})
    return Erratum(
        "gan_discriminator_004", "GAN discriminator loss example: ≈ 0.22, and a missing parenthesis", "worked example",
        _c("004", "§4.2 GAN 中的损失函数", 273, 291, "L_D = -[\\log(D(x)) + \\log(1 - D(G(z))]"),
        "L_D = −[log(D(x)) + log(1 − D(G(z))]; with D(x) = 0.8, D(G(z)) = 0.2: −[log(0.8) + log(1 − 0.2)] ≈ 0.22",
        "The formula drops a closing parenthesis. The example's two terms are both log 0.8, so the sum is "
        "0.446 nats (0.644 bits, 0.194 in base 10): 0.22 matches no base; it is one term, −ln 0.8 = 0.223. "
        "The generator example (0.15) used base 2, so the two examples disagree on the base too.",
        "L_D = −[ln D(x) + ln(1 − D(G(z)))] = −2 ln 0.8 = 0.4463.",
        pd.DataFrame(rows), f"D(x) = {inp.d_real:g}, D(G(z)) = {inp.d_fake_disc:g}.", ("gan",))


def _gan_sign_000() -> Erratum:
    rows = []
    for d in (0.1, 0.3, 0.5, 0.7, 0.9):
        rows.append({"D(x̂)": d, "as written −log(1 − D(x̂))": em.generator_loss_000_v2(d),
                     "its slope d/dD(x̂)": 1.0 / (1.0 - d), "v1 −log D(x̂)": em.generator_loss(d),
                     "v1 slope": -1.0 / d})
    return Erratum(
        "gan_sign_000", "000's second GAN listing: the generator loss has the wrong sign", "formula",
        _c("000", "§1.3.1 生成对抗网络（GAN）", 337, 341, "G_loss = -log(1 - D(x_hat))"),
        "G_loss = -log(1 - D(x_hat))   (the first listing, 000:L134, has G_loss = -[log(D(x_hat))])",
        "Minimising −log(1 − D(x̂)) lowers D(x̂): the generator would learn to be caught. The slope is positive "
        "everywhere, so gradient descent always pushes D(x̂) down. The two listings of the same section disagree.",
        "Minimise −log D(G(z)) (non-saturating, as in the first listing and 004:L257), or minimise "
        "log(1 − D(G(z))) without the minus sign (the minimax form, which saturates early in training).",
        pd.DataFrame(rows), "Natural log. A positive slope means gradient descent lowers D(x̂).",
        ("gan_as_written", "gan"))


def _attention(inp: ErrataInputs) -> Erratum:
    ex = em.attention_example(seed=inp.seed)
    tokens = ("I", "love", "AI")
    rows = []
    for i, token in enumerate(tokens):
        row: dict[str, object] = {"query": token}
        for j, other in enumerate(tokens):
            row[f"scaled → {other}"] = ex["weights"][i, j]
        for j, other in enumerate(tokens):
            row[f"no √d_k → {other}"] = ex["weights_unscaled"][i, j]
        rows.append(row)
    return Erratum(
        "attention_004", "Self-attention example for \"I love AI\"", "worked example",
        _c("004", "§4.1 Transformer 架构中的自注意力", 221, 246, "假设有一个词序列 \"I love AI\""),
        "Q = [q1 q2 q3 q4], K = [k1 … k4], V = [v1 … v4]; softmax(QKᵀ) = [p1 p2 p3 p4]; "
        "Attention = [p1v1 p2v2 p3v3 p4v4], with d_k = d_v = 512",
        "Three words get four vectors. softmax(QKᵀ) of a 4×4 score matrix is a 4×4 row-stochastic matrix, not "
        "a 1×4 row. The output row i is the weighted sum Σ_j p_ij v_j, not an element-wise p_i v_i. And the "
        f"example drops the 1/√d_k of its own formula (√512 = {math.sqrt(512):.2f}): unscaled, dot products of "
        "512-dimensional vectors are so large that each row's softmax is almost one-hot.",
        "One q, k, v per token (3 each); P = softmax(QKᵀ/√d_k) is 3×3 with rows summing to 1; "
        "Attention = PV is 3×512, row i = Σ_j P_ij v_j.",
        pd.DataFrame(rows), f"Seeded N(0, 1) vectors of 512 dimensions (seed {inp.seed}); each row sums to 1.",
        ("attention_example", "gpt"))


def _vae_kl() -> Erratum:
    cases = ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (0.0, -1.0), (2.0, 0.5))
    rows = [{"μ": mu, "log σ²": lv, "as written": em.vae_kl_as_written([mu], [lv]),
             "correct KL": em.vae_kl([mu], [lv])} for mu, lv in cases]
    return Erratum(
        "vae_kl_000", "VAE KL term: z_log_var cancels out", "formula",
        _c("000", "§1.3.2 变分自编码器（VAE）", 154, 155, "KL_loss = -0.5 * sum(1 + z_log_var - z_mean^2 - z_log_var)"),
        "KL_loss = -0.5 * sum(1 + z_log_var - z_mean^2 - z_log_var)\nG_loss = -sum(log(D(x_hat)))   "
        "(repeated at 000:L382-383)",
        "The last term should be exp(z_log_var) = σ²; as written z_log_var cancels and the 'KL' is −½Σ(1 − μ²), "
        "which ignores the variance and is negative when μ is small (a KL divergence is never negative). In Python "
        "`^` is XOR, not a power (3 ^ 2 = 1). The reconstruction term applies the decoder to its own output.",
        "KL = −½ Σ_j (1 + log σ_j² − μ_j² − σ_j²); reconstruction = BCE(x, x̂) or MSE; z = μ + σ·ε, ε ~ N(0, I); "
        "loss = reconstruction + KL.",
        pd.DataFrame(rows), "One latent dimension per row; the correct KL is 0 only at μ = 0, σ² = 1.",
        ("vae_as_written", "vae"))


def _ngram() -> Erratum:
    freq, prob = em.ngram_as_written()
    slices = [k for k in freq if isinstance(k, str)]  # the failed tuple lookup also left a key behind
    tokens = em.tokenize("I like to eat pizza.")
    pairs = list(itertools.pairwise(tokens))
    rows = [
        {"quantity": "what is counted", "as written": "2-character slices", "corrected": "word bigrams"},
        {"quantity": "distinct keys", "as written": str(len(slices)), "corrected": str(len(set(pairs)))},
        {"quantity": "example keys", "as written": ", ".join(repr(k) for k in slices[:4]),
         "corrected": ", ".join(f"{a} {b}" for a, b in pairs[:3])},
        {"quantity": "history of the lookup", "as written": repr("I like to eat pizza."[-2]), "corrected": "'pizza'"},
        {"quantity": "denominator", "as written": "19 (all slices)", "corrected": "C('pizza') = 1"},
        {"quantity": "P('a' | history)", "as written": f"{prob}",
         "corrected": f"MLE {em.bigram_probability(tokens, 'pizza', 'a'):g}; add-one "
                      f"{em.bigram_probability(tokens, 'pizza', 'a', add_k=1):.4f}"},
        {"quantity": "P('pizza' | 'eat')", "as written": "not computable",
         "corrected": f"{em.bigram_probability(tokens, 'eat', 'pizza'):g}"},
    ]
    return Erratum(
        "ngram_000", "N-gram listing counts characters, not words", "code listing",
        _c("000", "§1.2.1 语言模型", 231, 248, "n_gram = word_sequence[i:i+2]"),
        "n_gram = word_sequence[i:i+2] … prob = n_gram_freq[(word_sequence[-2], next_word)] / (len(word_sequence) - 1)",
        "The string is never split into words, so the loop counts 2-character slices ('I ', ' l', 'li', …). The "
        "lookup key is a tuple while the keys are strings, so every probability is 0.0; and it divides by the "
        "number of all slices (19), not by the count of the history word.",
        "Tokenise into words; P(w_i | w_{i−1}) = C(w_{i−1}, w_i) / C(w_{i−1}), smoothed (add-one, or Kneser-Ney as "
        "the modelhub's `ngram` does) so an unseen pair is not impossible.",
        pd.DataFrame(rows), "Both columns computed now from the document's sentence \"I like to eat pizza.\".",
        ("ngram_as_written", "ngram"))


def _lstm() -> Erratum:
    p = em.lstm_listing_params()
    rows = [
        {"layer": "Embedding(10000, 256)", "as written": p["embedding"], "corrected": p["embedding"]},
        {"layer": "LSTM(1024, return_sequences=True)", "as written": p["lstm_1"], "corrected": p["lstm_1"]},
        {"layer": "LSTM(1024) (corrected: return_sequences=True)", "as written": p["lstm_2"], "corrected": p["lstm_2"]},
        {"layer": "Dense(10000, softmax)", "as written": 0, "corrected": p["head"]},
        {"layer": "total (Keras)", "as written": p["keras_as_written"], "corrected": p["keras_with_head"]},
        {"layer": "total (PyTorch port, two LSTM biases)", "as written": p["torch_as_written"],
         "corrected": p["torch_with_head"]},
    ]
    return Erratum(
        "lstm_004", "\"Transformer\" text generator that is an LSTM with no output layer", "code listing",
        _c("004", "§5.2 源代码详细实现", 325, 354, "outputs = LSTM(lstm_units)(lstm)"),
        "Heading: 'based on the Transformer architecture'. Embedding → LSTM(1024, return_sequences=True) → "
        "LSTM(1024) as the output; model.compile(optimizer='adam', loss='mse')",
        "The code is two LSTMs, not a Transformer. `Dense` is imported and never used, so the output is the "
        "last 1024-d hidden state: no distribution over the 10,000-word vocabulary, no next-token prediction at "
        "each step (the second LSTM returns only its last state) and MSE instead of cross-entropy. "
        "`model.summary()` reports 16,199,680 parameters; the training and generation snippets (004:L369-386) "
        "are `...` placeholders, and predict() returns vectors, not text.",
        "Embedding(10000, 256) → LSTM(1024, return_sequences=True) → LSTM(1024, return_sequences=True) → "
        "Dense(10000) with sparse categorical cross-entropy on the next token, then a sampling loop; "
        "10,250,000 more parameters for the head.",
        pd.DataFrame(rows),
        "Parameters from the layers' formulas: Keras 4·((n+u)·u + u) per LSTM, PyTorch 4·((n+u)·u + 2u).",
        ("lstm_as_written", "lstm"))


def _multimodal() -> Erratum:
    rows = [
        {"step": "Flatten(input_shape=(28, 28, 1))", "as written": "(784,)", "functional fix": "image branch (784,)"},
        {"step": "Dense(64)", "as written": f"(64,), {em.dense_params(784, 64):,} params",
         "functional fix": f"(64,), {em.dense_params(784, 64):,} params"},
        {"step": "Flatten(input_shape=(100,)) 'text input'",
         "as written": "(64,): input_shape ignored, no second input",
         "functional fix": "text Input((100,))"},
        {"step": "Dense(64)", "as written": f"(64,), {em.dense_params(64, 64):,} params",
         "functional fix": f"(64,), {em.dense_params(100, 64):,} params"},
        {"step": "concatenate([Dense, Dense]) 'interaction layer'", "as written": "error: layers, not tensors",
         "functional fix": "Concatenate()([image, text]) → (128,)"},
        {"step": "Dense(10, softmax)", "as written": "never built",
         "functional fix": f"(10,), {em.dense_params(128, 10):,} params"},
        {"step": "total parameters", "as written": "does not build",
         "functional fix": f"{em.dense_params(784, 64) + em.dense_params(100, 64) + em.dense_params(128, 10):,}"},
    ]
    return Erratum(
        "multimodal_000", "Multimodal listing that does not build", "code listing",
        _c("000", "§1.2.3 多模态模型", 289, 309,
           "tf.keras.layers.concatenate([tf.keras.layers.Dense(64, activation='relu')"),
        "tf.keras.Sequential([Flatten(input_shape=(28, 28, 1)), Dense(64), Flatten(input_shape=(100,)), Dense(64), "
        "concatenate([Dense(64), Dense(64)]), Dense(10, softmax)])",
        "A Sequential model has one input, so the 'text input' Flatten only flattens the previous Dense's output "
        "and the text never enters; `concatenate` is given two Layer objects instead of tensors and raises when "
        "the model is built. Ten softmax classes for 'sentiment analysis' and undefined x_train complete it.",
        "The functional API: image Input(28, 28, 1) → Flatten → Dense(64); text Input(100,) → Dense(64); "
        "Concatenate → Dense(classes, softmax); fit on [images, texts].",
        pd.DataFrame(rows), "Shapes and parameter counts (weights + biases) per step.", ("multimodal_fusion",))


def _detection_two_stage() -> Erratum:
    s, steps = 224, []
    for name, k in (("Conv2D(64, 7×7)", 7), ("MaxPooling2D(2)", 2), ("Conv2D(64, 7×7)", 7), ("MaxPooling2D(2)", 2)):
        s = em.conv_out(s, k, stride=2 if "Pool" in name else 1)
        steps.append({"step": name, "output": f"{s}×{s}×64", "box numbers out": "—"})
    flat = s * s * 64
    steps += [
        {"step": "Flatten → Dense(1000)", "output": f"{flat:,} → 1,000 ({em.dense_params(flat, 1000):,} params)",
         "box numbers out": "—"},
        {"step": "RPN()(dense1)", "output": "NameError: RPN is not a Keras layer", "box numbers out": "—"},
        {"step": "ROIPooling2D(7×7)(rpn, image)", "output": "NameError: not a Keras layer", "box numbers out": "—"},
        {"step": "Dense(num_classes, softmax)", "output": "(20,) class probabilities", "box numbers out": "0"},
        {"step": "needed: RPN per anchor", "output": "9 anchors × (2 objectness + 4 deltas) = 54 channels per location",
         "box numbers out": "4 per anchor"},
    ]
    return Erratum(
        "faster_rcnn_001", "Faster R-CNN listing: no layer can output a box", "code listing",
        _c("001", "§4.2.1 Faster R-CNN", 458, 482, "rpn = RPN()(dense1)"),
        "… Flatten → Dense(1000) → RPN()(dense1) → ROIPooling2D((7, 7))(rpn, input_image) → "
        "Dense(num_classes, softmax); loss 'categorical_crossentropy'; predicted_boxes = model.predict(…)",
        "RPN and ROIPooling2D are not defined anywhere; a region-proposal network on a flattened vector has no "
        "spatial positions to propose; the only head is a softmax over classes, so 'predicted_boxes' holds no "
        "coordinates, and there is no box-regression loss.",
        "A convolutional backbone feature map → an RPN (objectness + 4 box deltas per anchor) → RoI Align 7×7 → "
        "heads for classes (+ background) and 4 box deltas per class; loss = classification CE + smooth-L1 on boxes.",
        pd.DataFrame(steps), "Shapes for a 224×224×3 input and 20 classes (valid convolutions, as Keras defaults).",
        ("faster_rcnn",))


def _detection_single_stage() -> Erratum:
    s = 224
    for k, stride in ((3, 1), (2, 2), (3, 1), (2, 2)):
        s = em.conv_out(s, k, stride)
    rows = [
        {"quantity": "feature map before `...`", "listing": f"{s}×{s}×64", "real detector": "YOLO: 7×7 to 13×13 grid"},
        {"quantity": "head channels", "listing": "num_classes + 5 = 25, all sigmoid",
         "real detector": "per anchor: 4 box + 1 objectness + classes"},
        {"quantity": "scales", "listing": "1 (SSD listing identical to YOLO's)",
         "real detector": "SSD300: 6 feature maps"},
        {"quantity": "boxes per image", "listing": "undefined (pool5 is never defined)",
         "real detector": f"SSD300: {em.ssd300_default_boxes():,} default boxes"},
        {"quantity": "loss", "listing": "binary_crossentropy, metric 'accuracy'",
         "real detector": "box regression (sum of squares / IoU / smooth-L1) + objectness + class"},
    ]
    return Erratum(
        "yolo_ssd_001", "YOLO and SSD listings: one identical head that cannot be trained for boxes", "code listing",
        _c("001", "§4.2.2 YOLO / §4.2.3 SSD", 488, 536,
           "conv5 = Conv2D(filters=num_classes+5, kernel_size=(1, 1), activation='sigmoid')(pool5)"),
        "Conv2D(32) → pool → Conv2D(64) → pool → ... → Conv2D(num_classes+5, 1×1, sigmoid)(pool5); "
        "binary_crossentropy; the SSD listing (001:L515-536) is byte-identical",
        "`...` elides the network and pool5 is never defined, so neither listing runs. Binary cross-entropy on "
        "box coordinates with an 'accuracy' metric does not train localisation. The SSD text (001:L513) "
        "describes multi-scale heads the identical code does not have.",
        "YOLO: a grid head predicting, per anchor, box (x, y, w, h), objectness and classes, with a box-regression "
        "and objectness loss and non-maximum suppression; SSD: heads on several feature maps with default boxes "
        "and a smooth-L1 + softmax loss.",
        pd.DataFrame(rows), "Shapes for a 224×224×3 input and 20 classes; SSD300's box count computed: "
        "38²·4 + 19²·6 + 10²·6 + 5²·6 + 3²·4 + 1²·4.", ("yolo", "ssd"))


def _segmentation() -> Erratum:
    rows = []
    for size in (128, 224, 512):
        s = size
        for k, stride in ((3, 1), (2, 2), (3, 1), (2, 2)):
            s = em.conv_out(s, k, stride)
        rows.append({"input": f"{size}×{size}", "mask needed": f"{size}×{size}",
                     "listing's output (up to `...`)": f"{s}×{s}",
                     "pixels predicted": f"{s * s / (size * size):.1%}"})
    return Erratum(
        "fcn_unet_001", "FCN and U-Net listings: no upsampling, so no mask", "code listing",
        _c("001", "§4.3.1 FCN / §4.3.2 U-Net", 546, 594,
           "conv5 = Conv2D(filters=num_classes, kernel_size=(1, 1), activation='softmax')(pool5)"),
        "Conv → pool → Conv → pool → ... → Conv2D(num_classes, 1×1, softmax)(pool5); U-Net's listing is the same code",
        "There is no transposed convolution or upsampling, so the output is a fraction of the image's size and "
        "cannot be compared with a pixel mask; U-Net's text describes an expanding path with skip connections the "
        "copied code does not have; pool5 is undefined.",
        "FCN: upsample the class scores to the input size (transposed convolutions with skips from pool3/pool4); "
        "U-Net: a decoder mirroring the encoder, concatenating the encoder's features at each scale.",
        pd.DataFrame(rows), "Valid 3×3 convolutions and 2×2 pools as far as the listing goes before `...`.",
        ("fcn", "unet"))


def _naive_bayes() -> Erratum:
    priors = np.array([0.8, 0.2])
    likelihoods = np.array([[0.10, 0.10], [0.15, 0.10]])
    evidence = np.array([0.12, 0.10])
    small = em.naive_bayes_scores(priors, likelihoods, evidence)
    long_doc = em.naive_bayes_scores(priors, np.full((2, 500), 0.001), np.full(500, 0.001))
    rows = [
        {"document": "2 words", "class": c, "prior": priors[i], "as written Π P(f|c)·P(f)": small["as_written"][i],
         "correct log P(c) + Σ log P(f|c)": small["log_posterior"][i]} for i, c in enumerate(("A", "B"))]
    rows += [
        {"document": "500 words", "class": c, "prior": priors[i], "as written Π P(f|c)·P(f)": long_doc["as_written"][i],
         "correct log P(c) + Σ log P(f|c)": long_doc["log_posterior"][i]} for i, c in enumerate(("A", "B"))]
    return Erratum(
        "naive_bayes_001", "Naive Bayes pseudocode: evidence instead of the prior, raw products", "code listing",
        _c("001", "§3.1.1 朴素贝叶斯", 165, 183, "feature_probabilities.append(p_feature_given_class * p_feature)"),
        "for feature in document: … feature_probabilities.append(p_feature_given_class * p_feature); "
        "class_probability = ...; predicted_class = ...",
        "It multiplies P(f|c) by the evidence P(f), the same for every class, and leaves out the class prior "
        "P(c); line 176 is a no-op; `...` placeholders make it raise. Multiplying raw probabilities underflows "
        "to 0 on a long document, so every class ties.",
        "ĉ = argmax_c [log P(c) + Σ_i log P(f_i | c)] with Laplace smoothing P(f|c) = (count(f, c) + α) / "
        "(Σ_f count(f, c) + α|V|); sklearn.naive_bayes.MultinomialNB does this.",
        pd.DataFrame(rows), "Two words: the missing prior flips the decision (B as written, A correct). 500 words: "
        "the products underflow to 0.0 for both classes; the log scores still decide.",
        ("naive_bayes_as_written", "naive_bayes"))


def _convnet() -> Erratum:
    rows = [{"input": f"{n}×{n}", "fc1 expects": 16 * 6 * 6, "flatten as written": em.convnet_flatten(n),
             "flatten with max_pool2d(2)": em.convnet_flatten(n, pooled=True)} for n in (10, 28, 32)]
    return Erratum(
        "convnet_001", "PyTorch ConvNet: shapes do not match without its pooling", "code listing",
        _c("001", "Appendix A PyTorch", 948, 968, "self.fc1 = nn.Linear(16 * 6 * 6, 120)"),
        "conv1(1→6, 3) → relu → conv2(6→16, 3) → relu → view → fc1 = Linear(16·6·6, 120) → fc2 → fc3",
        "The net is PyTorch's tutorial network with its max_pool2d calls removed: a 28×28 digit flattens to 9,216 "
        "features but fc1 takes 576, so the first batch raises a shape error. Only a 10×10 input fits. "
        "num_epochs and train_loader are undefined, and the comment '编译模型' (compile the model) is a Keras-ism.",
        "F.max_pool2d(x, 2) after each ReLU with 32×32 inputs (16·6·6 = 576), or Linear(16·5·5, 120) for 28×28.",
        pd.DataFrame(rows), "Features entering fc1 for each input size.")


def errata(inputs: ErrataInputs | None = None) -> list[Erratum]:
    """Every erratum, recomputed now (in the documents' order: 000, 001, 004)."""
    # Imported here: errata_listings builds on Erratum, defined in this module.
    from analytics.errata_listings import listing_errata

    inp = inputs or ErrataInputs()
    more = {e.id: e for e in listing_errata()}
    return [_gan_sign_000(), _vae_kl(), _ngram(), _multimodal(), _naive_bayes(), more["textgen_001"],
            more["syntax_001"], more["lenet_001"], _detection_two_stage(), _detection_single_stage(), _segmentation(),
            _convnet(), more["od_api_corner_001"], _attention(inp), _gan_generator(inp), _gan_discriminator(inp),
            _lstm()]
