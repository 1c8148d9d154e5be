"""Parallel corpora for translation (001 §3.3): a generated corpus with real structure, and uploaded TSV pairs.

001 §3.3 names a "bilingual corpus" (001:L294, ``corpus = ...`` at 001:L300) and gives none. The generated
one (``generate``) mixes three domains in equal parts, each a deterministic function of its source, so a
model has something real to learn and the reference translation is never in doubt:

- **numbers**: English number words → digits, 0–9,999, British style (``"two thousand three hundred and
  twelve"`` → ``"2312"``); the digit count is drawn uniformly, so one- to four-digit numbers are as common.
  Words map one-to-many (``"twelve"`` → two digits) and ``"hundred"`` writes zeros only when nothing follows.
- **dates**: ``"the fifth of March 2021"`` or ``"March the fifth 2021"`` → ISO ``"2021-03-05"`` (real
  calendar days, leap years included): the year moves from the end to the front, a long-distance reordering.
- **sentences**: English subject–verb–object sentences → French with gender agreement (``le``/``la``,
  ``noir``/``noire``), colour adjectives after the noun and size adjectives before it, negation around the
  verb (``"does not see"`` → ``"ne voit pas"``) and elision (``"l'oiseau"``, ``"n'aime"``).

Splits never overlap: pairs are grouped by source sentence and whole groups go to train, val or test (70/15/15,
shuffled by ``seed``), so no test source was seen in training. Uploads (``upload:tsv:<sha256>``, parsed by
``uploads.parse_tsv``) are split the same way.

Tokens are word-level (``tokenize``): each whitespace-separated word is cut into letter runs, single digits and
single punctuation marks; pieces after a word's first carry a ``##`` prefix, so ``detokenize`` restores the text
exactly (up to runs of whitespace). Digits are single tokens so that numbers and years are composed, not
memorised whole; BLEU is scored on detokenized text (sacrebleu's own tokenizer), never on these pieces.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from modelhub.datasets.base import TEST_FRACTION, VAL_FRACTION, DatasetError

Pair = tuple[str, str]
GLUE = "##"  # marks a piece that is joined to the previous one without a space
_PIECE = re.compile(r"\d|[^\W\d]+|\W")  # within a word: letter runs, one digit, one punctuation mark


@dataclass(frozen=True)
class ParallelCorpus:
    """(source, target) sentence pairs split three ways; no source sentence occurs in two splits."""

    name: str
    train: tuple[Pair, ...]
    val: tuple[Pair, ...]
    test: tuple[Pair, ...]
    meta: dict = field(default_factory=dict)

    def split(self, name: str) -> tuple[Pair, ...]:
        """The pairs of 'train', 'val' or 'test'."""
        if name not in ("train", "val", "test"):
            raise DatasetError(f"split must be 'train', 'val' or 'test', not {name!r}")
        return getattr(self, name)


def tokenize(text: str) -> list[str]:
    """Word-level tokens; ``detokenize(tokenize(t)) == " ".join(t.split())``."""
    tokens: list[str] = []
    for word in text.split():
        pieces = _PIECE.findall(word)
        tokens += [pieces[0], *(GLUE + p for p in pieces[1:])]
    return tokens


def detokenize(tokens: list[str]) -> str:
    """Join tokens back into text: a ``##`` piece attaches to the token before it."""
    out = ""
    for t in tokens:
        if t.startswith(GLUE) and len(t) > len(GLUE):
            out += t[len(GLUE):]
        else:
            out += (" " if out else "") + t
    return out


def split_pairs(pairs: list[Pair], seed: int) -> tuple[tuple[Pair, ...], tuple[Pair, ...], tuple[Pair, ...]]:
    """Train/val/test pairs, grouped by source so that a source's pairs all land in the same split.

    The groups are shuffled with ``seed`` and cut at the val/test fractions; each split keeps the pairs'
    original order, so the same pairs and seed always give the same splits.
    """
    sources = list(dict.fromkeys(s for s, _ in pairs))
    order = np.random.default_rng(seed).permutation(len(sources))
    n_val = max(round(len(sources) * VAL_FRACTION), 1) if len(sources) >= 3 else 0
    n_test = max(round(len(sources) * TEST_FRACTION), 1) if len(sources) >= 3 else 0
    where = {}
    for rank, i in enumerate(order):
        where[sources[i]] = "val" if rank < n_val else "test" if rank < n_val + n_test else "train"
    parts = {s: tuple(p for p in pairs if where[p[0]] == s) for s in ("train", "val", "test")}
    return parts["train"], parts["val"], parts["test"]


# -- numbers --------------------------------------------------------------------------------------------------
_UNITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
          "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TENS = ("_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def _below_100(n: int) -> str:
    if n < 20:
        return _UNITS[n]
    tens, unit = divmod(n, 10)
    return _TENS[tens] + (f"-{_UNITS[unit]}" if unit else "")


def number_words(n: int) -> str:
    """0–9,999 in British English words: 2312 → 'two thousand three hundred and twelve'."""
    if not 0 <= n <= 9999:
        raise ValueError(f"number_words covers 0 to 9999, not {n}")
    thousands, rest = divmod(n, 1000)
    hundreds, small = divmod(rest, 100)
    words = [f"{_UNITS[thousands]} thousand"] if thousands else []
    if hundreds:
        words.append(f"{_UNITS[hundreds]} hundred")
    if small or not words:
        words.append(("and " if words else "") + _below_100(small))
    return " ".join(words)


def _number_pair(rng: np.random.Generator) -> Pair:
    digits = int(rng.integers(1, 5))  # as many one-digit numbers as four-digit ones
    n = int(rng.integers(0 if digits == 1 else 10 ** (digits - 1), 10 ** digits))
    return number_words(n), str(n)


# -- dates ----------------------------------------------------------------------------------------------------
_ORDINAL_UNITS = ("_", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
                  "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
                  "eighteenth", "nineteenth")


def ordinal_words(day: int) -> str:
    """1–31 as an English ordinal: 21 → 'twenty-first', 30 → 'thirtieth'."""
    if not 1 <= day <= 31:
        raise ValueError(f"a day of the month is 1 to 31, not {day}")
    if day < 20:
        return _ORDINAL_UNITS[day]
    tens, unit = divmod(day, 10)
    return {2: "twentieth", 3: "thirtieth"}[tens] if not unit else f"{_TENS[tens]}-{_ORDINAL_UNITS[unit]}"


def _date_pair(rng: np.random.Generator) -> Pair:
    year, month = int(rng.integers(1950, 2050)), int(rng.integers(1, 13))
    day = int(rng.integers(1, calendar.monthrange(year, month)[1] + 1))
    name = calendar.month_name[month]
    source = (f"the {ordinal_words(day)} of {name} {year}" if rng.random() < 0.5
              else f"{name} the {ordinal_words(day)} {year}")
    return source, f"{year:04d}-{month:02d}-{day:02d}"


# -- sentences ------------------------------------------------------------------------------------------------
# (English, French, gender); French nouns starting with a vowel take the elided article l'.
_NOUNS = [("cat", "chat", "m"), ("dog", "chien", "m"), ("bird", "oiseau", "m"), ("tree", "arbre", "m"),
          ("book", "livre", "m"), ("horse", "cheval", "m"), ("boat", "bateau", "m"), ("boy", "garçon", "m"),
          ("car", "voiture", "f"), ("house", "maison", "f"), ("flower", "fleur", "f"), ("table", "table", "f"),
          ("door", "porte", "f"), ("apple", "pomme", "f"), ("girl", "fille", "f"), ("island", "île", "f")]
# (English, masculine, feminine, before the noun?) — colours follow the noun in French, size adjectives precede it.
_ADJECTIVES = [("red", "rouge", "rouge", False), ("black", "noir", "noire", False),
               ("white", "blanc", "blanche", False), ("green", "vert", "verte", False),
               ("blue", "bleu", "bleue", False), ("grey", "gris", "grise", False),
               ("small", "petit", "petite", True), ("big", "grand", "grande", True)]
# (3rd person singular, base form for "does not", French 3rd person singular)
_VERBS = [("sees", "see", "voit"), ("likes", "like", "aime"), ("follows", "follow", "suit"),
          ("wants", "want", "veut"), ("takes", "take", "prend"), ("finds", "find", "trouve"),
          ("watches", "watch", "regarde"), ("pushes", "push", "pousse")]
_VOWELS = tuple("aeiouhâéèêîôû")


def _noun_phrase(rng: np.random.Generator) -> tuple[list[str], list[str]]:
    en_noun, fr_noun, gender = _NOUNS[int(rng.integers(len(_NOUNS)))]
    definite = rng.random() < 0.5
    en = ["the" if definite else "a"]  # becomes "an" before a vowel below
    fr = [("le" if gender == "m" else "la") if definite else ("un" if gender == "m" else "une")]
    if rng.random() < 0.6:
        en_adj, masc, fem, before = _ADJECTIVES[int(rng.integers(len(_ADJECTIVES)))]
        adj = masc if gender == "m" else fem
        en += [en_adj, en_noun]
        fr += [adj, fr_noun] if before else [fr_noun, adj]
    else:
        en.append(en_noun)
        fr.append(fr_noun)
    if en[0] == "a" and en[1].startswith(tuple("aeiou")):
        en[0] = "an"
    return en, fr


def _elide(words: list[str]) -> str:
    """French elision: le/la and ne drop their vowel before a vowel (l'oiseau, n'aime)."""
    out: list[str] = []
    for w in words:
        if out and out[-1] in ("le", "la", "ne") and w.startswith(_VOWELS):
            out[-1] = out[-1][0] + "'" + w
        else:
            out.append(w)
    return " ".join(out)


def _sentence_pair(rng: np.random.Generator) -> Pair:
    subj_en, subj_fr = _noun_phrase(rng)
    obj_en, obj_fr = _noun_phrase(rng)
    third, base, fr_verb = _VERBS[int(rng.integers(len(_VERBS)))]
    if rng.random() < 0.3:
        verb_en, verb_fr = ["does", "not", base], ["ne", fr_verb, "pas"]
    else:
        verb_en, verb_fr = [third], [fr_verb]
    return " ".join(subj_en + verb_en + obj_en), _elide(subj_fr + verb_fr + obj_fr)


DOMAINS = {"numbers": _number_pair, "dates": _date_pair, "sentences": _sentence_pair}


@cache
def generate(size: int = 6000, seed: int = 0) -> ParallelCorpus:
    """``size`` distinct pairs, a third from each domain, drawn and split with ``seed``."""
    if not 30 <= int(size) <= 100_000:
        raise DatasetError(f"generated corpus: size must be between 30 and 100,000 pairs, not {size}")
    rng = np.random.default_rng(seed)
    pairs: dict[str, str] = {}
    counts: dict[str, int] = {}
    for i, (domain, make) in enumerate(DOMAINS.items()):
        before = len(pairs)
        want = before + (size - before) // (len(DOMAINS) - i)
        while len(pairs) < want:  # redraw duplicates: every source occurs once, so splits cannot share one
            source, target = make(rng)
            pairs.setdefault(source, target)
        counts[domain] = len(pairs) - before
    # Shuffle before splitting so that every split (and every batch order) mixes the domains.
    items = list(pairs.items())
    items = [items[i] for i in rng.permutation(len(items))]
    train, val, test = split_pairs(items, seed)
    return ParallelCorpus(name="generated", train=train, val=val, test=test,
                          meta={"source": "generated", "pairs": len(items), "domains": counts})


def load_parallel(name: str, *, seed: int = 0, size: int = 6000) -> ParallelCorpus:
    """A parallel corpus by name: 'generated' (``size`` pairs) or an uploaded TSV ('upload:tsv:<sha256>').

    For a translation model's ``dataset`` config key; ``size`` applies to the generated corpus only (an upload
    is used whole). Anything else is refused by name.
    """
    if name == "generated":
        return generate(size, seed)
    if name.startswith("upload:tsv:"):
        from modelhub.datasets.uploads import load_stored  # uploads imports this module for ParallelCorpus

        return load_stored("tsv", name.removeprefix("upload:tsv:"), seed=seed)  # type: ignore[return-value]
    raise DatasetError(f"data set {name!r} is not a parallel corpus; use 'generated' or an uploaded TSV of "
                       "source<TAB>target lines (upload:tsv:<sha256>)")
