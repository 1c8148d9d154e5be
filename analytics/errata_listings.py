"""More of 001's wrong listings: code that does not parse (checked with ``ast`` now), a box drawn with the
wrong corner, LeNet's text against its code, and text "generators" that emit one number per step."""

from __future__ import annotations

import ast

import pandas as pd

from analytics import errata_math as em
from analytics.errata import Erratum
from analytics.library import Citation

# Verbatim from the documents (the lines the citations name), parsed on every call.
SMT_LISTING = ("from nltk.translate import statistical translators\n"
               "corpus = ...\n"
               "translator = statistical translators.PhraseTranslator(corpus)\n"
               "translated_text = translator.translate(source_text)\n")
OD_API_CALL = ("cv2.rectangle(image, (int(xmin * image.shape[1]), int(ymin * image.shape[0]),\n"
               "                  int((xmax - xmin) * image.shape[1]), int((ymax - ymin) * image.shape[0]), "
               "color=(0, 0, 255), thickness=2)\n")


def parse_problem(source: str) -> str:
    """'parses' or the SyntaxError Python reports, with its line."""
    try:
        ast.parse(source)
    except SyntaxError as exc:
        return f"SyntaxError on line {exc.lineno}: {exc.msg}"
    return "parses"


def box_corners(box: tuple[float, float, float, float], width: int, height: int) -> dict[str, tuple[int, int]]:
    """Pixel corners of a normalised (ymin, xmin, ymax, xmax) box: the listing's second point is the box's
    width and height, cv2.rectangle wants the opposite corner."""
    ymin, xmin, ymax, xmax = box
    return {"first corner": (int(xmin * width), int(ymin * height)),
            "listing's second point": (int((xmax - xmin) * width), int((ymax - ymin) * height)),
            "correct second corner": (int(xmax * width), int(ymax * height))}


def _syntax() -> Erratum:
    fixed_call = "cv2.rectangle(image, (x0, y0), (x1, y1), color=(0, 0, 255), thickness=2)\n"
    rows = [{"listing": "statistical MT (001:L296-308)", "Python says": parse_problem(SMT_LISTING),
             "after the fix": parse_problem("from nltk.translate import IBMModel1\n")},
            {"listing": "TF Object Detection API drawing (001:L1091-1092)", "Python says": parse_problem(OD_API_CALL),
             "after the fix": parse_problem(fixed_call)}]
    return Erratum(
        "syntax_001", "Two listings that are not Python: statistical MT and the detection drawing", "code listing",
        Citation("001", "§3.3.1 统计机器翻译", 296, 308, "from nltk.translate import statistical translators"),
        SMT_LISTING + "…\n" + OD_API_CALL,
        "`statistical translators` has a space in a name, so the file does not even parse; NLTK has no "
        "PhraseTranslator. The OpenCV call (001:L1091) leaves a parenthesis open. Neither can run.",
        "MT: nltk.translate.IBMModel1 (or IBMModel2–5) on an AlignedSent corpus, or a phrase table from "
        "nltk.translate.phrase_based.phrase_extraction; drawing: see the next erratum for the corners.",
        pd.DataFrame(rows), "Each snippet parsed now with Python's own parser (ast.parse).", ("ibm1",))


def _corner() -> Erratum:
    corners = box_corners((0.2, 0.3, 0.6, 0.9), 640, 480)
    rows = [{"point": name, "x": xy[0], "y": xy[1]} for name, xy in corners.items()]
    return Erratum(
        "od_api_corner_001", "Detection boxes drawn with their size as the second corner", "code listing",
        Citation("001", "Appendix B TensorFlow Object Detection API", 1088, 1092, "ymin, xmin, ymax, xmax = box"),
        OD_API_CALL,
        "Besides the open parenthesis, the second point passed to cv2.rectangle is the box's width and height, not "
        "its bottom-right corner, so every box is drawn in the wrong place (unless it starts at the origin). The "
        "loop also iterates over the batch dimension of detection_boxes instead of the boxes, feeds float32 "
        "where the zoo's models expect uint8, and BGR where they expect RGB.",
        "cv2.rectangle(image, (int(xmin·W), int(ymin·H)), (int(xmax·W), int(ymax·H)), (0, 0, 255), 2) over "
        "detections['detection_boxes'][0]; convert the image with cv2.cvtColor(image, cv2.COLOR_BGR2RGB) first.",
        pd.DataFrame(rows), "A box (ymin, xmin, ymax, xmax) = (0.2, 0.3, 0.6, 0.9) on a 640×480 image.")


def _lenet() -> Erratum:
    s = 28
    for k, stride in ((5, 1), (2, 2), (5, 1), (2, 2)):
        s = em.conv_out(s, k, stride)
    conv = (5 * 5 * 1 * 6 + 6) + (5 * 5 * 6 * 16 + 16)
    flat = 16 * s * s
    code = conv + em.dense_params(flat, 120) + em.dense_params(120, 84) + em.dense_params(84, 10)
    text = conv + em.dense_params(flat, 10)
    rows = [{"reading": "the code (3 Dense layers: 120, 84, 10)", "fully connected layers": 3, "parameters": code},
            {"reading": "the text ('one fully connected layer')", "fully connected layers": 1, "parameters": text},
            {"reading": "LeNet-5 (LeCun et al. 1998: C5, F6, output)", "fully connected layers": 3, "parameters": code}]
    return Erratum(
        "lenet_001", "LeNet: the text says one fully connected layer, the code has three", "code listing",
        Citation("001", "§4.1.1 LeNet", 354, 370, "两个卷积层、两个池化层和一个全连接层"),
        "'It consists of two convolutional layers, two pooling layers and one fully connected layer' "
        "(两个卷积层、两个池化层和一个全连接层); the code adds Dense(120), Dense(84) and Dense(10)",
        "The text and its own listing disagree; the listing is the one that matches LeNet-5. It also gives no "
        "input_shape, and categorical_crossentropy needs one-hot labels.",
        "Two 5×5 conv + pool stages, then fully connected 120 → 84 → 10 (the code), on 28×28 or 32×32 inputs.",
        pd.DataFrame(rows), f"28×28 input: features after the second pool {s}×{s}×16 = {flat}.", ("lenet",))


def _textgen() -> Erratum:
    e, u, vocab = 64, 128, 5000
    lstm = em.keras_lstm_params(e, u)
    column = "parameters (64-d inputs)"
    rows = [
        {"listing": "generative (001:L225-241)", "head": "Dense(1, sigmoid) per step",
         "output per step": "1 number in (0, 1)", "emits a token?": "no", column: lstm + em.dense_params(u, 1)},
        {"listing": "discriminative (001:L247-263)", "head": "identical to the generative listing",
         "output per step": "1 number in (0, 1)", "emits a token?": "no", column: lstm + em.dense_params(u, 1)},
        {"listing": "hybrid (001:L269-286)", "head": "Attention() inside Sequential",
         "output per step": "does not build", "emits a token?": "no", column: None},
        {"listing": "corrected", "head": "Dense(vocab, softmax) per step + sampling",
         "output per step": "a distribution over the vocabulary", "emits a token?": "yes",
         column: lstm + em.dense_params(u, vocab)},
    ]
    table = pd.DataFrame(rows)
    table[column] = table[column].astype("Int64")
    return Erratum(
        "textgen_001", "Text 'generators' that emit one number per step; 'discriminative' = GAN and VAE",
        "code listing",
        Citation("001", "§3.2 文本生成", 223, 286, "常见的判别式模型包括生成对抗网络、变分自编码器等"),
        "LSTM(128, return_sequences=True) → Dense(1, sigmoid), binary_crossentropy, epochs=100 (generative and "
        "discriminative, byte-identical); the hybrid adds keras.layers.Attention() in a Sequential",
        "A sigmoid per time step is a binary label per step, not a next-token distribution, so none of them can "
        "generate text. The 'discriminative' listing is the generative one copied, and the text names GAN and VAE "
        "as discriminative models (生成对抗网络、变分自编码器), which are generative. Keras' Attention layer must be "
        "called on [query, value], so it cannot sit in a Sequential (the same error breaks the NMT listing, "
        f"001:L314-331). The {e}-d inputs and {vocab:,}-word vocabulary are illustrative sizes.",
        "Embedding → LSTM(return_sequences=True) → Dense(vocab) trained with cross-entropy on the next token, "
        "then sampling; attention via the functional API, Attention()([h, h]), or a Transformer block.",
        table, "Parameters from the Keras formulas for the listing's LSTM(128); the hybrid never builds.",
        ("text_discriminator", "lstm_attention"))


def listing_errata() -> list[Erratum]:
    """001's listings in document order."""
    return [_textgen(), _syntax(), _lenet(), _corner()]
