"""Parallel corpora: the generated pairs are right, the splits disjoint and seeded; TSV uploads refuse by line."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest

from modelhub import datasets
from modelhub.datasets import DatasetError, uploads
from modelhub.datasets.parallel import (
    _ADJECTIVES,
    _NOUNS,
    _elide,
    detokenize,
    generate,
    load_parallel,
    number_words,
    ordinal_words,
    split_pairs,
    tokenize,
)

_ORDINALS = {ordinal_words(d): d for d in range(1, 32)}


@pytest.mark.parametrize(("n", "words"), [
    (0, "zero"), (7, "seven"), (15, "fifteen"), (40, "forty"), (90, "ninety"), (312, "three hundred and twelve"),
    (1100, "one thousand one hundred"), (2005, "two thousand and five"),
    (2312, "two thousand three hundred and twelve"), (9999, "nine thousand nine hundred and ninety-nine"),
])
def test_number_words_follow_british_usage(n, words):
    assert number_words(n) == words


def test_ordinals_and_french_elision():
    assert [ordinal_words(d) for d in (1, 2, 3, 12, 20, 21, 30, 31)] == [
        "first", "second", "third", "twelfth", "twentieth", "twenty-first", "thirtieth", "thirty-first"]
    assert _elide(["le", "oiseau", "ne", "aime", "pas", "la", "île"]) == "l'oiseau n'aime pas l'île"
    assert _elide(["la", "grande", "île", "ne", "voit", "pas", "le", "chat"]) == "la grande île ne voit pas le chat"


@pytest.mark.parametrize("text", ["2021-03-05", "l'oiseau n'aime pas l'île", "three hundred and thirty-four",
                                  "a  b\tc", "##x ### #", "Größe: 12,5 %"])
def test_tokens_are_word_pieces_that_detokenize_exactly(text):
    tokens = tokenize(text)
    assert detokenize(tokens) == " ".join(text.split())
    assert all(t and not t.isspace() for t in tokens)
    assert tokenize("2021-03-05") == ["2", "##0", "##2", "##1", "##-", "##0", "##3", "##-", "##0", "##5"]


def test_every_generated_pair_is_its_sources_true_translation():
    corpus = generate.__wrapped__(600, 3)
    pairs = corpus.train + corpus.val + corpus.test
    kinds = {"numbers": 0, "dates": 0, "sentences": 0}
    for source, target in pairs:
        if target.isdigit():
            kinds["numbers"] += 1
            assert number_words(int(target)) == source
        elif target[:4].isdigit():
            kinds["dates"] += 1
            date = dt.date.fromisoformat(target)  # a real calendar day
            words = source.split()
            month = next(w for w in words if w in calendar.month_name[1:])
            day = next(_ORDINALS[w] for w in words if w in _ORDINALS)
            assert (date.year, date.month, date.day) == (int(words[-1]), list(calendar.month_name).index(month), day)
        else:
            kinds["sentences"] += 1
            _check_french(source, target)
    assert kinds == corpus.meta["domains"] == {"numbers": 200, "dates": 200, "sentences": 200}


GENDER = {fr: g for _, fr, g in _NOUNS}
ARTICLES = {"m": ("le", "un", "l'"), "f": ("la", "une", "l'")}
COLOURS = {g: {forms[g == "f"] for _, *forms, before in _ADJECTIVES if not before} for g in "mf"}
SIZES = {g: {forms[g == "f"] for _, *forms, before in _ADJECTIVES if before} for g in "mf"}


def _check_french(source: str, target: str) -> None:
    """Articles and adjectives agree with the noun's gender; colours follow it, sizes precede it; ne … pas."""
    words = target.replace("'", "' ").split()  # "l'oiseau" → "l'", "oiseau"
    for k, word in enumerate(words):
        if (gender := GENDER.get(word)) is None:
            continue
        size = words[k - 1] in SIZES["m"] | SIZES["f"]
        article = words[k - 2] if size else words[k - 1]
        assert article in ARTICLES[gender], (source, target)
        assert article != "l'" or word[0] in "aeiouîé", (source, target)
        assert not size or words[k - 1] in SIZES[gender], (source, target)
        after = words[k + 1] if k + 1 < len(words) else ""
        assert after not in COLOURS["m"] | COLOURS["f"] or after in COLOURS[gender], (source, target)
    assert ("does not" in source) == ("pas" in words)


def test_generated_splits_are_disjoint_deterministic_and_seeded():
    corpus = generate(6000, 0)
    sources = [{s for s, _ in corpus.split(name)} for name in ("train", "val", "test")]
    assert not (sources[0] & sources[1] or sources[0] & sources[2] or sources[1] & sources[2])
    assert [len(corpus.split(n)) for n in ("train", "val", "test")] == [4200, 900, 900]
    assert generate.__wrapped__(6000, 0) == corpus  # not only the cache: a fresh draw is identical
    assert generate(6000, 1).test != corpus.test
    assert load_parallel("generated", seed=0, size=6000) is corpus


def test_split_groups_pairs_by_source():
    pairs = [(f"s{i % 10}", f"t{i}") for i in range(40)]  # ten sources, four targets each
    train, val, test = split_pairs(pairs, seed=0)
    assert sorted(train + val + test) == sorted(pairs)
    for part in (train, val, test):
        others = {s for p in (train, val, test) if p is not part for s, _ in p}
        assert not {s for s, _ in part} & others
    assert len({s for s, _ in val}) == len({s for s, _ in test}) == 2
    assert split_pairs(pairs, seed=0) == (train, val, test)


def _tsv(n: int = 30, header: bool = True) -> bytes:
    lines = ["source\ttarget"] if header else []
    lines += [f"{number_words(i)}\t{i}" for i in range(n)]
    return ("\n".join(lines) + "\n\n").encode()


def test_tsv_upload_parses_with_header_and_blank_lines():
    corpus = uploads.parse_tsv(_tsv(30))
    pairs = corpus.train + corpus.val + corpus.test
    assert len(pairs) == 30 and ("twelve", "12") in pairs and ("source", "target") not in pairs
    assert len(corpus.val) == len(corpus.test) == 4  # round(30 × 0.15)
    assert uploads.parse_tsv(_tsv(30), seed=0) == corpus and uploads.parse_tsv(_tsv(30), seed=5) != corpus


@pytest.mark.parametrize(("blob", "message"), [
    (b"one\t1\ntwo 2\n", "line 2 has no tab"),
    (b"one\t1\ntwo\t2\nthree\t3\tx\n", "line 3 has 2 tabs"),
    (b"one\t1\n\n\t3\n", "line 3 has an empty source"),
    (b"one\t1\ntwo\t  \n", "line 2 has an empty target"),
    (b"one\t1\n" + b"w " * 201 + b"\tx\n", "line 2's source has 201 tokens; at most 200"),
    (b"one\t1\ntwo\t2\n", "2 distinct source sentence"),
    (b"\xff\xfe\t1\n", "not UTF-8"),
    (b"", "empty"),
])
def test_tsv_upload_refusals_name_the_line(blob, message):
    with pytest.raises(DatasetError, match=message):
        uploads.parse_tsv(blob)


def test_tsv_store_and_load_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("FOUNDERDECK_DATA_DIR", str(tmp_path))
    name = uploads.store(_tsv(25), "tsv")
    kind, digest = name.split(":")[1:]
    assert kind == "tsv" and [p.name for p in (tmp_path / "uploads").iterdir()] == [f"{digest}.tsv"]
    assert load_parallel(name, seed=2) == datasets.load(name, seed=2) == uploads.parse_tsv(_tsv(25), seed=2)
    with pytest.raises(DatasetError):
        uploads.store(b"no tabs here\n", "tsv")
    assert len(list((tmp_path / "uploads").iterdir())) == 1


@pytest.mark.parametrize("name", ["digits", "upload:csv:" + "0" * 64, "pydoc"])
def test_load_parallel_refuses_other_data_by_name(name):
    with pytest.raises(DatasetError, match=f"{name!r} is not a parallel corpus"):
        load_parallel(name)


def test_generated_size_is_checked():
    with pytest.raises(DatasetError, match="size must be between"):
        generate.__wrapped__(5, 0)
